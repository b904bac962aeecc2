"""The real programs that read what genesis sets up: OpenClaw (two versions) and opencode.

`.ci/run` installs them (`.ci/install-peers`) and exports their launchers:
``GENESIS_OPENCLAW_6`` (OpenClaw 2026.6.8, also ``GENESIS_OPENCLAW``), ``GENESIS_OPENCLAW_9``
(OpenClaw 2026.9.6) and ``GENESIS_OPENCODE`` (opencode 1.18.33). Without them the launchers in
the CI cache are used. Each OpenClaw call runs with its own HOME, state dir and TMPDIR, so
nothing lands in the real home, and offline: no self-update, no plugin install.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers import record

OLD, NEW = "2026.6.8", "2026.9.6"  # the last with the Chutes plugin bundled; npm's latest
VERSIONS = {OLD: "GENESIS_OPENCLAW_6", NEW: "GENESIS_OPENCLAW_9"}
OPENCODE = "1.18.33"
_CACHE_BIN = Path(os.environ.get("GENESIS_CI_CACHE", "/var/cache/genesis-ci")) / "bin"
# The tests' own fixtures clear every GENESIS_* variable: read the launchers once, at import.
_LAUNCHERS = {
    name: os.environ.get(name)
    for name in ("GENESIS_OPENCLAW", "GENESIS_OPENCODE", *VERSIONS.values())
}
# Where OpenClaw 2026.9.x looks for plugins when the config names a provider it lacks: a port
# nothing listens on, so the attempt fails at once and never leaves the machine.
CLOSED_URL = "http://127.0.0.1:9"


def _launcher(variable: str, cached: str, alias: str | None = None) -> str | None:
    configured = _LAUNCHERS[variable] or (_LAUNCHERS[alias] if alias else None)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    path = _CACHE_BIN / cached
    return str(path) if os.access(path, os.X_OK) else None


def find(version: str = OLD) -> str | None:
    """The launcher of OpenClaw ``version``: its variable, else the CI cache's."""
    alias = "GENESIS_OPENCLAW" if version == OLD else None
    return _launcher(VERSIONS[version], f"openclaw-{version}", alias)


def find_opencode() -> str | None:
    """The opencode launcher: ``GENESIS_OPENCODE``, else the CI cache's."""
    return _launcher("GENESIS_OPENCODE", "opencode")


@dataclass
class OpenClaw:
    launcher: str
    root: Path  # its state dir and TMPDIR (and HOME, unless ``user_env`` has one) live here
    user_env: dict[str, str] = field(default_factory=dict)  # the user's own variables
    stderrs: list[str] = field(default_factory=list)  # of every run, in order

    @property
    def state(self) -> Path:
        return self.root / "state"

    def env(self, config: Path) -> dict[str, str]:
        home = self.root / "home"
        tmp = self.root / "tmp"
        for directory in (home, tmp):
            directory.mkdir(parents=True, exist_ok=True)
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            **self.user_env,
            "TMPDIR": str(tmp),
            "OPENCLAW_STATE_DIR": str(self.state),
            "OPENCLAW_CONFIG_PATH": str(config),
            "OPENCLAW_NO_AUTO_UPDATE": "1",
            "OPENCLAW_CLAWHUB_URL": CLOSED_URL,
            "npm_config_offline": "true",
            "NODE_COMPILE_CACHE": str(tmp / "node-compile-cache"),
            "NO_COLOR": "1",
            "TERM": "dumb",
        }

    def run(
        self, config: Path, *args: str, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.launcher, *args],
            env=self.env(config),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        record("openclaw stdout", result.stdout)
        record("openclaw stderr", result.stderr)
        self.stderrs.append(result.stderr)
        return result

    def json(self, config: Path, *args: str, timeout: float = 180) -> dict[str, Any]:
        """``openclaw ARGS`` (which include ``--json``); asserts exit 0, returns the document."""
        result = self.run(config, *args, timeout=timeout)
        assert result.returncode == 0, (
            f"openclaw {' '.join(args)} exited {result.returncode}: "
            f"{result.stdout[-2000:]} {result.stderr[-2000:]}"
        )
        return _json(result)

    def validate(self, config: Path) -> dict[str, Any]:
        """``openclaw config validate --json``; asserts exit 0 and returns the document."""
        result = self.run(config, "config", "validate", "--json")
        document = _json(result)
        assert result.returncode == 0 and document.get("valid") is True, (
            f"OpenClaw rejects {config}: {result.stdout[:2000]} {result.stderr[:2000]}"
        )
        return document

    def models(self, config: Path) -> dict[str, list[str]]:
        """``openclaw models list --json`` as model key -> tags; asserts exit 0."""
        result = self.run(config, "models", "list", "--json")
        assert result.returncode == 0, result.stderr[:2000]
        document = _json(result)
        return {m["key"]: list(m.get("tags", [])) for m in document["models"]}

    def onboard_api_key(self, config: Path, key: str) -> None:
        """What an OpenClaw user's config looks like: OpenClaw's own non-interactive onboarding."""
        result = self.run(
            config,
            "onboard",
            "--non-interactive",
            "--accept-risk",
            "--auth-choice",
            "chutes-api-key",
            "--chutes-api-key",
            key,
            "--skip-health",
        )
        assert result.returncode == 0, result.stderr[:2000]


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    start = result.stdout.find("{")
    assert start >= 0, f"no JSON from OpenClaw: {result.stdout[:500]} {result.stderr[:500]}"
    document: dict[str, Any] = json.loads(result.stdout[start:])
    return document
