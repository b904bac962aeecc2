"""Is the model really there? The default and the alias targets against a live catalog.

Chutes' list moves month to month: by mid-2026 the product page's default and two alias
targets were gone. Nothing is changed silently: missing models are reported with up to
three live suggestions, and only the user (a question, or ``--default``) picks another.
"""

from __future__ import annotations

import difflib
import functools
import heapq
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from genesis_cli.providers import Provider
from genesis_cli.records import Model

MAX_SUGGESTIONS = 3
_DIGITS = re.compile(r"\d+")


@dataclass
class Unavailable:
    ref: str
    role: str  # "primary" or "alias:<name>"
    suggestions: list[str] = field(default_factory=list)

    def warning(self, source: str) -> str:
        what = (
            "the default model"
            if self.role == "primary"
            else f"the target of {self.role.removeprefix('alias:')}"
        )
        tail = f"; live suggestions: {', '.join(self.suggestions)}" if self.suggestions else ""
        fix = " (pick one with `genesis onboard --default REF`)" if self.role == "primary" else ""
        return f"{self.ref} ({what}) is not in the {source} catalog{tail}{fix}"


def _natural(text: str) -> tuple[Any, ...]:
    """``GLM-5.2`` after ``GLM-5.10``-style order: digits compared as numbers."""
    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text))


def suggest(
    provider: Provider,
    model_id: str,
    live_ids: list[str],
    limit: int = MAX_SUGGESTIONS,
    floor: float = 0.5,
) -> list[str]:
    """Up to ``limit`` refs from ``live_ids`` for a missing ``model_id``: the same vendor
    (the part before '/') first, then the closest names (at least ``floor`` alike). Names
    are compared with their numbers blanked out, so a successor (GLM-4.7 -> GLM-5.2) ranks
    like a sibling; among equals the higher version comes first."""
    vendor = model_id.split("/", 1)[0].lower() if "/" in model_id else None
    shape = _DIGITS.sub("#", model_id.lower())
    matcher = difflib.SequenceMatcher(None, shape, "")
    letters = Counter(shape)
    # A catalog of a thousand models holds far fewer shapes (versions differ in digits only):
    # each shape is compared once.
    ratios: dict[str, float] = {}

    def ratio(name_shape: str) -> float:
        if name_shape not in ratios:
            matcher.set_seq2(name_shape)
            ratios[name_shape] = matcher.ratio()
        return ratios[name_shape]

    @functools.cache
    def bound(name_shape: str) -> float:
        common = Counter(name_shape)
        shared = sum(min(count, common[char]) for char, count in letters.items())
        length = len(shape) + len(name_shape)
        return 2.0 * shared / length if length else 1.0

    def ranked(names: list[str], floor: float, wanted: int) -> list[str]:
        """The ``wanted`` closest of ``names`` (at least ``floor``), newest first among equals.

        The letters two names share bound their likeness from above (difflib's
        ``quick_ratio``), so a name whose bound is below the floor, or below the
        ``wanted``-th best likeness already found, is never compared in full."""
        if wanted <= 0:
            return []
        shapes = {name: _DIGITS.sub("#", name.lower()) for name in names}
        bounds = {name: bound(name_shape) for name, name_shape in shapes.items()}
        scored: dict[str, float] = {}
        best: list[float] = []  # the ``wanted`` highest likenesses so far (a min-heap)
        for name in sorted(names, key=bounds.__getitem__, reverse=True):
            if bounds[name] < floor or (len(best) == wanted and bounds[name] < best[0]):
                break
            score = scored[name] = ratio(shapes[name])
            if score >= floor:
                heapq.heappush(best, score)
                if len(best) > wanted:
                    heapq.heappop(best)
        keep = [n for n in names if scored.get(n, floor - 1) >= floor]
        keep.sort(key=_natural, reverse=True)
        return sorted(keep, key=scored.__getitem__, reverse=True)[:wanted]

    candidates = [c for c in live_ids if c != model_id]
    same = [c for c in candidates if vendor is not None and c.split("/", 1)[0].lower() == vendor]
    picked = ranked(same, floor=-1.0, wanted=limit)
    if len(picked) < limit:
        chosen = set(same)
        others = [c for c in candidates if c not in chosen]
        picked += ranked(others, floor=floor, wanted=limit - len(picked))
    return [provider.ref(c) for c in picked]


def hint(provider: Provider, ref: str, live_ids: list[str]) -> str:
    """The next step for a ``ref`` the catalog lacks: the closest models, or the list."""
    tips = suggest(provider, provider.model_id(ref) or ref, live_ids)
    return f"try {', '.join(tips)}" if tips else "see `genesis models list --refresh`"


def check(
    provider: Provider, live: list[Model], default: str, aliases: dict[str, str]
) -> list[Unavailable]:
    """The default and each alias target (refs) that a live catalog lacks, with suggestions.

    A suggestion takes every input the missing model takes, as far as genesis knows it (the
    bundled catalog): a model for images (``chutes-vision``) is offered only image models,
    the closest first, however unlike their names."""
    from genesis_cli import catalog

    present = {m.id for m in live}
    known = {m.id: m for m in catalog.bundled_catalog(provider, "").models}
    missing: list[Unavailable] = []
    roles = [("primary", default)] + [(f"alias:{name}", ref) for name, ref in aliases.items()]
    for role, ref in roles:
        model_id = provider.model_id(ref)
        if model_id is None:
            continue  # another provider's model: not ours to judge
        if model_id not in present:
            needs = set(known[model_id].input) if model_id in known else set()
            fitting = [m.id for m in live if needs <= set(m.input)]
            # Beyond text, fitting the inputs matters more than a like name.
            floor = -1.0 if needs - {"text"} else 0.5
            missing.append(
                Unavailable(ref, role, suggest(provider, model_id, fitting, floor=floor))
            )
    return missing
