"""docs/reference.md is the `--help` of every command: it must match the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "gen_reference.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_command_reference_is_up_to_date() -> None:
    generator = _generator()
    stored = generator.REFERENCE.read_text() if generator.REFERENCE.exists() else ""
    assert stored == generator.render(), (
        "docs/reference.md is stale: run `make docs` (python scripts/gen_reference.py) "
        "and commit the result"
    )


def test_the_reference_covers_every_command() -> None:
    text = _generator().render()
    for command in ("genesis onboard", "genesis models list", "genesis auth app create"):
        assert f"## {command}\n" in text
    assert "Usage: genesis auth token" in text
