"""Small helpers shared by the CLI tests."""

from __future__ import annotations

import socket
import stat
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from genesis_cli.cli import cli

# A key of the documented shape (cpk_<32 hex>.<32 hex>.<32 alnum>); not a real one.
GOOD_KEY = "cpk_" + "0123456789abcdef" * 2 + "." + "fedcba9876543210" * 2 + "." + "Zx9" * 10 + "Q8"


def invoke(*args: str, input: str | None = None, env: dict[str, Any] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes (for "nothing changed" checks)."""
    if not directory.exists():
        return {}
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
