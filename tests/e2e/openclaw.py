"""The real OpenClaw, the one program besides genesis that reads this config format.

`.ci/run` installs it (`.ci/install-openclaw`) and sets ``GENESIS_OPENCLAW`` to its launcher.
Each call runs with its own HOME, state dir and TMPDIR, so nothing lands in the real home.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers import record

_CACHE_LAUNCHER = Path("/var/cache/genesis-ci/bin/openclaw")


def find() -> str | None:
    """The OpenClaw launcher: ``GENESIS_OPENCLAW``, the CI cache, or ``openclaw`` on PATH."""
    configured = os.environ.get("GENESIS_OPENCLAW")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    if os.access(_CACHE_LAUNCHER, os.X_OK):
        return str(_CACHE_LAUNCHER)
    return shutil.which("openclaw")


@dataclass
class OpenClaw:
    launcher: str
    root: Path  # its HOME, state dir and TMPDIR live under here

    def env(self, config: Path) -> dict[str, str]:
        home = self.root / "home"
        tmp = self.root / "tmp"
        for directory in (home, tmp):
            directory.mkdir(parents=True, exist_ok=True)
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "TMPDIR": str(tmp),
            "OPENCLAW_STATE_DIR": str(self.root / "state"),
            "OPENCLAW_CONFIG_PATH": str(config),
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
        return result

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
