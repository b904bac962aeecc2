"""The JSON5 config: load with ``json5``, change it by editing the text (see ``json5_edit``).

Loading never changes the file. A file that does not parse is reported with its path, line
and column (exit 4) and is never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genesis_cli.errors import ConfigError

_POSITION = re.compile(r":(\d+)\s+(.*?)\s+at column (\d+)\s*$", re.DOTALL)
_HINT_INVALID = "fix the file by hand (genesis never overwrites an invalid config)"


@dataclass
class ConfigDocument:
    path: Path
    text: str  # "" when the file does not exist yet
    data: dict[str, Any] = field(default_factory=dict)
    exists: bool = False


def parse(text: str, path: Path) -> dict[str, Any]:
    """Parse JSON5 ``text``; raise ``ConfigError`` naming ``path``, line and column."""
    if not text.strip():
        return {}
    import json5

    try:
        data = json5.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path}: {_describe(str(exc))}", hint=_HINT_INVALID) from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read", hint=_HINT_INVALID) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be an object {{ ... }}", hint=_HINT_INVALID)
    return data


def _describe(message: str) -> str:
    """json5 says '<string>:3 Unexpected "c" at column 3'; make it 'line 3, column 3: ...'."""
    match = _POSITION.search(message)
    if match:
        line, what, column = match.groups()
        return f"line {line}, column {column}: {_one_line(what)}"
    return _one_line(message.replace("<string>", "").lstrip(": ")) or "not valid JSON5"


def _one_line(text: str) -> str:
    """Escape control characters so an error stays on one line ('\\n' rather than a break)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def load(path: Path) -> ConfigDocument:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ConfigDocument(path=path, text="", data={}, exists=False)
    except IsADirectoryError:
        raise ConfigError(
            f"{path} is a directory, not a config file",
            hint="move it away or set GENESIS_CONFIG_PATH to a file",
        ) from None
    except PermissionError:
        raise ConfigError(
            f"cannot read {path}: permission denied",
            hint="fix its permissions (chmod 600) or its owner",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text", hint=_HINT_INVALID) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return ConfigDocument(path=path, text=text, data=parse(text, path), exists=True)


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
    if not isinstance(entries, dict):
        return {}
    result: dict[str, str] = {}
    for model_ref, entry in entries.items():
        alias = entry.get("alias") if isinstance(entry, dict) else None
        if isinstance(alias, str) and alias:
            result[model_ref] = alias
    return result


def auth_order(data: dict[str, Any], provider: str) -> list[str] | None:
    order = get_path(data, "auth", "order", provider)
    if isinstance(order, list) and all(isinstance(item, str) for item in order):
        return list(order)
    return None
