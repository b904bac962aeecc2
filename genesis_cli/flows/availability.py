"""Is the model really there? The default and the alias targets against a live catalog,
with up to three live suggestions for each missing one (only the user picks another)."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from genesis_cli import catalog
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
        primary = self.role == "primary"
        what = (
            "the default model" if primary else f"the target of {self.role.removeprefix('alias:')}"
        )
        tail = f"; live suggestions: {', '.join(self.suggestions)}" if self.suggestions else ""
        fix = " (pick one with `genesis onboard --default REF`)" if primary else ""
        return f"{self.ref} ({what}) is not in the {source} catalog{tail}{fix}"


def _natural(text: str) -> tuple[Any, ...]:
    """``GLM-5.10`` after ``GLM-5.2``: digits compared as numbers."""
    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text))


def suggest(
    provider: Provider, model_id: str, live_ids: list[str], floor: float = 0.5
) -> list[str]:
    """Up to three refs from ``live_ids`` for a missing ``model_id``: the same vendor (the part
    before '/') first, then the closest names (at least ``floor`` alike). Names are compared
    with their numbers blanked out, so a successor (GLM-4.7 -> GLM-5.2) ranks like a sibling;
    among equals the higher version comes first."""
    matcher = difflib.SequenceMatcher(None, _DIGITS.sub("#", model_id.lower()))

    @functools.cache
    def alike(shape: str) -> float:  # a thousand models hold far fewer shapes
        matcher.set_seq2(shape)
        return matcher.ratio()

    def ranked(names: list[str], floor: float, wanted: int) -> list[str]:
        scored = {n: alike(_DIGITS.sub("#", n.lower())) for n in names}
        keep = sorted((n for n in names if scored[n] >= floor), key=_natural, reverse=True)
        return sorted(keep, key=scored.__getitem__, reverse=True)[:wanted]

    vendor = model_id.split("/", 1)[0].lower() if "/" in model_id else None
    candidates = [c for c in live_ids if c != model_id]
    same = {c for c in candidates if vendor is not None and c.split("/", 1)[0].lower() == vendor}
    picked = ranked([c for c in candidates if c in same], -1.0, MAX_SUGGESTIONS)
    others = [c for c in candidates if c not in same]
    picked += ranked(others, floor, MAX_SUGGESTIONS - len(picked))
    return [provider.ref(c) for c in picked]


def hint(provider: Provider, ref: str, live_ids: list[str]) -> str:
    """The next step for a ``ref`` the catalog lacks: the closest models, or the list."""
    tips = suggest(provider, provider.model_id(ref) or ref, live_ids)
    return f"try {', '.join(tips)}" if tips else "see `genesis models list --refresh`"


def check(
    provider: Provider, live: list[Model], default: str, aliases: dict[str, str]
) -> list[Unavailable]:
    """The default and each alias target (refs) that a live catalog lacks, with suggestions
    that take every input the missing model takes (as the bundled catalog knows it)."""
    present = {m.id for m in live}
    known = {m.id: m for m in catalog.bundled_catalog(provider, "").models}
    missing: list[Unavailable] = []
    roles = [("primary", default)] + [(f"alias:{name}", ref) for name, ref in aliases.items()]
    for role, ref in roles:
        model_id = provider.model_id(ref)
        if model_id is None or model_id in present:
            continue  # present, or another provider's model: not ours to judge
        needs = set(known[model_id].input) if model_id in known else set()
        fitting = [m.id for m in live if needs <= set(m.input)]
        # Beyond text, fitting the inputs matters more than a like name.
        floor = -1.0 if needs - {"text"} else 0.5
        missing.append(Unavailable(ref, role, suggest(provider, model_id, fitting, floor=floor)))
    return missing
