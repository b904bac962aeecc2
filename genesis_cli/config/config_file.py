"""The JSON5 config: read with ``json5_doc`` (once per command: ``load`` keeps its last parse
while the bytes are the same) and changed by splicing text (``json5_edit``), under a lock,
atomically, keeping the old file at ``<config>.bak``. An invalid file is never overwritten."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from genesis_cli import fsutil
from genesis_cli.errors import ConfigError, GenesisError
from genesis_cli.fsutil import atomic_write, locked, read_if_present, write_target
from genesis_cli.paths import lock_path
from genesis_cli.text import one_line

if TYPE_CHECKING:
    from genesis_cli.config.json5_doc import Node

T = TypeVar("T")
_HINT_INVALID = "fix the file by hand (genesis never overwrites an invalid config)"


class ShapeError(ConfigError):
    """A value genesis must add to or read is of the wrong kind (``agents: "x"``, a model
    entry that is not an object). ``keys`` say where; ``located`` adds the line and column."""

    def __init__(self, keys: tuple[str | int, ...], problem: str) -> None:
        self.keys = keys
        self.problem = problem
        super().__init__(
            f"'{dotted(keys)}' {problem}", hint="fix the file by hand (nothing was written)"
        )


def dotted(keys: tuple[str | int, ...]) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")


@contextlib.contextmanager
def located(document: ConfigDocument) -> Iterator[None]:
    """Turn a ``ShapeError`` from code working on ``document``'s data into one naming the
    file, line and column of the offending value."""
    try:
        yield
    except ShapeError as exc:
        from genesis_cli.config.json5_doc import Container, where  # loaded with any tree

        node = document.tree
        for key in exc.keys:
            members = node.members if isinstance(node, Container) else []
            found = [m for m in members if m.key == key] if isinstance(key, str) else members[key:]
            if not found:
                break
            node = found[-1 if isinstance(key, str) else 0].value
        at = (
            "" if node is None else "line {}, column {}: ".format(*where(document.text, node.start))
        )
        raise ConfigError(
            f"{document.path}: {at}'{dotted(exc.keys)}' {exc.problem}", hint=exc.hint
        ) from None


@dataclass
class ConfigDocument:
    """A parsed config. Shared by every ``load`` of the same bytes: treat ``data`` as read-only
    (``update`` changes a copy)."""

    path: Path
    text: str = ""  # "" when the file does not exist yet
    data: dict[str, Any] = field(default_factory=dict)
    raw: bytes | None = None  # None when the file does not exist
    tree: Node | None = None  # the position tree of ``text`` (None when it is empty)

    @property
    def exists(self) -> bool:
        return self.raw is not None


_last: list[ConfigDocument] = []  # the last parse, reused while the bytes are the same


def load(path: Path) -> ConfigDocument:
    raw = read_if_present(path)
    if raw is None:
        return ConfigDocument(path)
    if _last and _last[0].path == path and _last[0].raw == raw:
        return _last[0]
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text", hint=_HINT_INVALID) from None
    document = ConfigDocument(path, text, raw=raw)
    if text.strip():
        from genesis_cli.config import json5_doc  # start-up: compiles its scanner

        try:
            data, document.tree = json5_doc.parse(text)
        except json5_doc.JSON5Error as exc:
            raise ConfigError(f"{path}: {one_line(str(exc))}", hint=_HINT_INVALID) from None
        if not isinstance(data, dict):
            raise ConfigError(
                f"{path}: the top level must be an object {{ ... }}", hint=_HINT_INVALID
            )
        document.data = data
    _last[:] = [document]
    return document


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def check_writable(path: Path) -> None:
    """Exit 4 now if ``update`` would refuse to write ``path`` (its target's directory, the
    ``.bak`` and the lock file beside it)."""
    target = write_target(path)
    fsutil.check_writable(target.parent / ".probe", backup_path(target), lock_path(target))


def update(path: Path, change: Callable[[dict[str, Any]], T]) -> tuple[T, bool]:
    """Apply ``change`` (which mutates a copy of the config data) and write the result, under
    the config's lock, re-reading the file there. Writes nothing when the data did not change.
    Returns what ``change`` returned and whether the file was written."""
    from genesis_cli.config import json5_doc, json5_edit  # start-up: only an edit needs them

    with fsutil.reported_write_errors(path):
        target = write_target(path)
        fsutil.ensure_private_dir(target.parent)
        with locked(path):
            document = load(path)
            data = copy.deepcopy(document.data)
            with located(document):
                result = change(data)
            if json5_edit.same(document.data, data):
                return result, False
            text = json5_edit.apply(document.text, data, (document.data, document.tree))
            # A safety net, not a formality: never write a config that does not read back.
            try:
                reread, tree = json5_doc.parse(text)
            except json5_doc.JSON5Error:
                reread, tree = None, None
            if not json5_edit.same(reread, data):
                raise GenesisError(
                    f"internal error: the edited {path.name} would not read back; nothing written",
                    hint="rerun with GENESIS_DEBUG=1 and report it",
                )
            if document.raw is not None:
                # A regular file beside the target; a link planted there is refused.
                atomic_write(backup_path(target), document.raw)
            atomic_write(path, text, follow=True)
            # The next load of these bytes in this command need not parse them again.
            _last[:] = [ConfigDocument(path, text, reread, text.encode(), tree)]
            return result, True


# --- reading what genesis owns -----------------------------------------------------------


def get_path(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def primary_model(data: dict[str, Any]) -> str | None:
    value = get_path(data, "agents", "defaults", "model", "primary")
    return value if isinstance(value, str) and value else None


def aliases(data: dict[str, Any]) -> dict[str, str]:
    """Model ref -> alias, from ``agents.defaults.models``."""
    entries = get_path(data, "agents", "defaults", "models")
    return {
        ref: entry["alias"]
        for ref, entry in (entries.items() if isinstance(entries, dict) else ())
        if isinstance(entry, dict) and isinstance(entry.get("alias"), str) and entry["alias"]
    }


def auth_order(data: dict[str, Any], provider: str) -> list[str] | None:
    order = get_path(data, "auth", "order", provider)
    if isinstance(order, list) and all(isinstance(item, str) for item in order):
        return list(order)
    return None
