"""Every test runs with its own HOME and state dir and none of the caller's genesis/Chutes env."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import helpers
from tests.chutes_api import ChutesAPI
from tests.helpers import free_port
from tests.oauth_server import CLIENT_ID, CLIENT_SECRET, AuthServer
from tests.servers import ModelsServer

SAMPLE_PATH = Path(__file__).parent / "data" / "models_sample.json"

_ISOLATED_PREFIXES = ("CHUTES_", "GENESIS_")
_ISOLATED_NAMES = (
    "BROWSER",
    "NO_COLOR",
    "SSH_CLIENT",
    "SSH_TTY",
    "SSH_CONNECTION",
    "CODESPACES",
    "REMOTE_CONTAINERS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(_ISOLATED_PREFIXES) or name in _ISOLATED_NAMES:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    state = tmp_path / "state"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GENESIS_STATE_DIR", str(state))
    # Nothing in a test may reach the internet: a stray default URL fails fast instead.
    monkeypatch.setenv("CHUTES_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("CHUTES_OAUTH_BASE_URL", "http://127.0.0.1:9/idp")
    monkeypatch.setenv("CHUTES_API_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")
    return state


@pytest.fixture(autouse=True)
def secret_guard(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> Iterator[helpers.SecretGuard]:
    """Fails a test in which any secret it used shows up in stdout, stderr, an exception
    message of genesis, the config (or its backup) or the catalog cache."""
    from genesis_cli import errors

    guard = helpers.SecretGuard()
    guard.add(helpers.GOOD_KEY, CLIENT_SECRET)
    helpers.GUARD = guard
    original = errors.GenesisError.__init__

    def recording_init(
        self: errors.GenesisError,
        message: str,
        hint: str | None = None,
        *args: object,
        **kwargs: object,
    ) -> None:
        guard.record("a genesis exception", f"{message} {hint or ''}")
        original(self, message, hint, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(errors.GenesisError, "__init__", recording_init)
    yield guard
    helpers.close_terminals()
    helpers.GUARD = None
    captured = capfd.readouterr()
    extra = [("captured stdout", captured.out), ("captured stderr", captured.err)]
    for state in [isolated_env, *guard.state_dirs]:
        guard.add(*_stored_secrets(state / "auth-profiles.toml"))
        for path in [
            state / "genesis.json",
            state / "genesis.json.bak",
            state / "cache" / "chutes-models.json",
        ]:
            if path.is_file() and not path.is_symlink():
                extra.append((str(path), path.read_text(errors="replace")))
    leaks = guard.leaks(extra)
    # Give the captured output back to pytest's own report.
    sys.stdout.write(captured.out)
    sys.stderr.write(captured.err)
    if leaks:
        pytest.fail("secret leaked: " + "; ".join(sorted(set(leaks))))


def _stored_secrets(store: Path) -> list[str]:
    import tomllib

    if not store.is_file() or store.is_symlink():  # a FIFO would block the read
        return []
    try:
        data = tomllib.loads(store.read_text())
    except (OSError, ValueError, RecursionError):
        return []
    found = []
    tables = [data.get("profiles"), data.get("clients")]
    for table in tables:
        for entry in table.values() if isinstance(table, dict) else []:
            if isinstance(entry, dict):
                for key in ("key", "access", "refresh", "client_secret"):
                    if isinstance(entry.get(key), str):
                        found.append(entry[key])
    return found


@pytest.fixture
def state_dir(isolated_env: Path) -> Path:
    return isolated_env


@pytest.fixture
def sample_body() -> dict:
    return json.loads(SAMPLE_PATH.read_text())


@pytest.fixture
def models_server(sample_body: dict, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelsServer]:
    """A real HTTP server on 127.0.0.1 serving the Chutes-shaped sample at /v1/models."""
    server = ModelsServer(sample_body)
    with server.running():
        monkeypatch.setenv("CHUTES_BASE_URL", server.base_url)
        yield server


@pytest.fixture
def chutes_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChutesAPI]:
    """The Chutes management API on 127.0.0.1 (``CHUTES_API_BASE_URL``), knowing GOOD_KEY."""
    server = ChutesAPI({helpers.GOOD_KEY})
    with server.running():
        monkeypatch.setenv("CHUTES_API_BASE_URL", server.root)
        yield server


@pytest.fixture
def redirect_uri(monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"http://127.0.0.1:{free_port()}/oauth-callback"
    monkeypatch.setenv("CHUTES_OAUTH_REDIRECT_URI", uri)
    return uri


@pytest.fixture
def auth_server(redirect_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AuthServer]:
    """The test IdP on 127.0.0.1, with CHUTES_OAUTH_BASE_URL and the client env pointing at it."""
    server = AuthServer(redirect_uri)
    if helpers.GUARD is not None:
        server.on_issue = helpers.GUARD.add
    with server.running():
        monkeypatch.setenv("CHUTES_OAUTH_BASE_URL", server.base_url)
        monkeypatch.setenv("CHUTES_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("CHUTES_CLIENT_SECRET", CLIENT_SECRET)
        yield server
