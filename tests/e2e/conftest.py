"""Fixtures for the end-to-end tests: a real OAuth server (Authlib) with the models API beside
it, run as a subprocess on 127.0.0.1, and the installed `genesis` run as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests import helpers
from tests.helpers import free_port

HERE = Path(__file__).resolve().parent
CLIENT_ID = "cid_e2e_genesis"
CLIENT_SECRET = "csc_e2e_" + "s3cr3t" * 5
API_KEY = "cpk_" + "1234abcd" * 4 + "." + "dcba4321" * 4 + "." + "Ab3" * 10 + "Zz"


def missing(what: str) -> None:
    """A missing peer fails the run in CI (never a silent skip) and skips elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required for the end-to-end tests in CI (.ci/run installs it)")
    pytest.skip(f"{what} is not installed here")


@dataclass
class IdP:
    port: int
    redirect_uri: str
    process: subprocess.Popen[bytes]

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.root}/_stats", timeout=10).json())

    def control(self, **values: Any) -> None:
        requests.post(f"{self.root}/_control", json=values, timeout=10).raise_for_status()


@pytest.fixture
def genesis_bin() -> Path:
    path = Path(sys.executable).parent / "genesis"
    if not path.exists():
        pytest.fail(f"the genesis console script is not installed next to {sys.executable}")
    return path


@pytest.fixture
def start_idp(tmp_path: Path) -> Iterator[Any]:
    try:
        import authlib  # noqa: F401
        import flask  # noqa: F401
    except ImportError:
        missing("Authlib with Flask")
    started: list[IdP] = []

    def start(access_ttl: int = 3600, refreshed_ttl: int = 0) -> IdP:
        redirect_uri = f"http://127.0.0.1:{free_port()}/oauth-callback"
        log = (tmp_path / "idp.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "idp_app.py"),
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                CLIENT_SECRET,
                "--redirect-uri",
                redirect_uri,
                "--access-ttl",
                str(access_ttl),
                "--refreshed-ttl",
                str(refreshed_ttl),
                "--api-key",
                API_KEY,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
        )
        assert process.stdout is not None
        line = process.stdout.readline().decode()  # bounded: the server prints it or exits
        if not line.startswith("READY "):
            process.kill()
            pytest.fail(f"the OAuth server did not start: {(tmp_path / 'idp.log').read_text()}")
        idp = IdP(int(line.split()[1]), redirect_uri, process)
        started.append(idp)
        return idp

    yield start
    for idp in started:
        idp.process.terminate()
        try:
            idp.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            idp.process.kill()


@pytest.fixture
def idp(start_idp: Any) -> IdP:
    return start_idp()


@pytest.fixture
def e2e_env(idp: IdP, tmp_path: Path) -> dict[str, str]:
    """The environment a user would have, pointed at the local servers."""
    home = tmp_path / "e2e-home"
    home.mkdir()
    if helpers.GUARD is not None:
        helpers.GUARD.add(CLIENT_SECRET, API_KEY)
        helpers.GUARD.state_dirs.append(home / ".genesis")
    keep = {
        k: v
        for k, v in os.environ.items()
        if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "VIRTUAL_ENV")
    }
    return {
        **keep,
        "HOME": str(home),
        "TERM": "dumb",
        "GENESIS_STATE_DIR": str(home / ".genesis"),
        "CHUTES_BASE_URL": f"{idp.root}/v1",
        "CHUTES_OAUTH_BASE_URL": f"{idp.root}/idp",
        "CHUTES_API_BASE_URL": idp.root,  # /idp/authorizations lives beside /idp/token
        "CHUTES_OAUTH_REDIRECT_URI": idp.redirect_uri,
        "CHUTES_CLIENT_ID": CLIENT_ID,
        "CHUTES_CLIENT_SECRET": CLIENT_SECRET,
        "NO_PROXY": "127.0.0.1,localhost",
    }


@pytest.fixture
def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    missing("Chromium")
    raise AssertionError("unreachable")


def wait_for(predicate: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return bool(predicate())
