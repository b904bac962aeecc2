"""Small helpers shared by the CLI tests."""

from __future__ import annotations

import errno
import os
import socket
import stat
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from genesis_cli.cli import cli
from genesis_cli.providers.chutes import PROVIDER as CHUTES

# A key of the documented shape (cpk_<32 hex>.<32 hex>.<32 alnum>); not a real one.
GOOD_KEY = "cpk_" + "0123456789abcdef" * 2 + "." + "fedcba9876543210" * 2 + "." + "Zx9" * 10 + "Q8"


def invoke(
    *args: str,
    input: str | None = None,
    env: dict[str, Any] | None = None,
    prints_secret: bool = False,
) -> Result:
    """genesis in-process. ``prints_secret``: the command exists to print the credential
    (``auth token``, ``env``), so its stdout is not shown to the secret guard (stderr is)."""
    result = CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
    return _record_result(result, prints_secret)


def disk_full(*args: object, **kwargs: object) -> None:
    """A stand-in for a write (``os.fsync``, ``atomic_write``) on a full disk."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def doctor_checks(result: Any) -> dict[str, dict[str, Any]]:
    """The checks of a ``doctor --json`` run, by name."""
    import json

    return {c["name"]: c for c in json.loads(result.stdout)["checks"]}


def onboard(*extra: str, env: dict[str, str] | None = None) -> Result:
    """``genesis onboard --non-interactive`` with ``GOOD_KEY`` in ``CHUTES_API_KEY``."""
    args = ["onboard", "--auth-choice", "chutes-api-key", "--non-interactive", *extra]
    return invoke(*args, env={"CHUTES_API_KEY": GOOD_KEY, **(env or {})})


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def genesis_command(*args: str) -> list[str]:
    """The installed console script when there is one (as users run it), else -m."""
    script = Path(sys.executable).parent / "genesis"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "genesis_cli", *args]


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


class SecretGuard:
    """Collects every secret a test uses and everything genesis showed or wrote where secrets
    must never be; ``check`` fails the test on a leak. One per test (autouse fixture)."""

    MIN_LENGTH = 8  # shorter test values ("r", "cpk_x") are substrings of ordinary text

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.outputs: list[tuple[str, str]] = []
        self.state_dirs: list[Path] = []  # other state dirs a test used (end-to-end runs)

    def add(self, *secrets: str | None) -> None:
        self.secrets.update(s for s in secrets if s and len(s) >= self.MIN_LENGTH)

    def record(self, where: str, text: str | None) -> None:
        if text:
            self.outputs.append((where, text))

    def leaks(self, extra: list[tuple[str, str]] = ()) -> list[str]:  # type: ignore[assignment]
        found = []
        for where, text in [*self.outputs, *extra]:
            for secret in self.secrets:
                if secret in text:
                    found.append(f"{secret[:6]}… appears in {where}")
        return found


GUARD: SecretGuard | None = None


def record(where: str, text: str | None) -> None:
    """Hand output that did not go through ``invoke`` (a pexpect transcript) to the guard."""
    if GUARD is not None:
        GUARD.record(where, text)


def _record_result(result: Result, prints_secret: bool = False) -> Result:
    if GUARD is not None:
        if not prints_secret:
            GUARD.record("stdout", result.stdout)
        GUARD.record("stderr", result.stderr)
    return result


_SPAWNED: list[Any] = []


def spawn_genesis(
    *args: str,
    env: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
    timeout: float = 30,
    columns: int = 250,
) -> Any:
    """genesis in a real pseudo-terminal (pexpect) ``columns`` wide, ``TERM=dumb`` unless
    ``env`` says otherwise. Its transcript is kept in ``child.logfile_read`` and handed to the
    secret guard when the test ends (see ``close_terminals``)."""
    import io
    import os

    import pexpect

    full = {**os.environ, "TERM": "dumb", **(env or {})}
    for name in drop:
        full.pop(name, None)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "genesis_cli", *args],
        env=full,
        encoding="utf-8",
        timeout=timeout,
        dimensions=(50, columns),
    )
    child.logfile_read = io.StringIO()
    _SPAWNED.append(child)
    return child


def finish(child: Any, status: int = 0) -> str:
    """Wait for a spawned genesis to end and check its exit status; its transcript."""
    import pexpect

    child.expect(pexpect.EOF)
    child.close()
    transcript: str = child.logfile_read.getvalue()
    assert child.exitstatus == status, transcript
    return transcript


def close_terminals() -> None:
    while _SPAWNED:
        child = _SPAWNED.pop()
        child.close(force=True)
        record("terminal", child.logfile_read.getvalue())


def store_oauth_profile(idp: Any, expires_in: int = 3600, profile_id: str = "chutes:alice") -> Any:
    """Store an OAuth profile whose tokens the test IdP really issued."""
    import time

    from genesis_cli.store.auth_store import Profile
    from tests.oauth_server import CLIENT_ID, CLIENT_SECRET

    tokens = idp.issue("alice", "openid profile chutes:invoke")
    profile = Profile(
        id=profile_id,
        type="oauth",
        provider="chutes",
        access=tokens["access_token"],
        refresh=tokens["refresh_token"],
        expires_at=int(time.time()) + expires_in,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=("openid",),
        username="alice",
    )
    store_profiles(profile)
    return profile


def store_profiles(*profiles: Any) -> None:
    """Put ``profiles`` into the auth store, each replacing any of its id."""
    from genesis_cli.store import auth_store

    auth_store.update(lambda stored: stored.update({p.id: p for p in profiles}))


def bundled_count() -> int:
    """How many models the bundled catalog holds (it grows as the catalog is refreshed)."""
    import json

    return len(json.loads(Path(CHUTES.catalog_path).read_text())["models"])


def decline_suggestions(child: Any) -> None:
    """The test catalogs, like Chutes' since mid-2026, lack the product page's models: genesis
    asks once whether to use live suggestions instead. Answer with the default, no."""
    child.expect("Use the suggested models instead\\? \\[y/N\\]: ")
    child.sendline("")


def paste_sign_in(child: Any) -> str:
    """The SSH paste flow in a spawned genesis: follow the printed authorize URL as a browser
    would (no cookies needed at the test IdP), paste where it lands, and decline the live
    suggestions. Returns the authorize URL."""
    import requests

    child.expect(r"(http://127\.0\.0\.1:\d+/idp/authorize\?\S+)")
    url: str = child.match.group(1)
    child.expect("Paste the URL you were redirected to: ")
    child.sendline(requests.get(url, allow_redirects=False, timeout=10).headers["Location"])
    decline_suggestions(child)
    return url
