"""Which credential is in force at run time (SPEC 4)."""

from __future__ import annotations

import os
from collections.abc import Callable

from genesis_cli.providers import chutes
from genesis_cli.records import Credential


def active(ui_warn: Callable[[str], None] | None = None) -> Credential | None:
    """``CHUTES_API_KEY``, then ``CHUTES_OAUTH_TOKEN``; stored profiles come with onboarding."""
    key = os.environ.get(chutes.API_KEY_ENV, "").strip()
    if key:
        return Credential(source="env:CHUTES_API_KEY", type="api_key", secret=key)
    token = os.environ.get(chutes.OAUTH_TOKEN_ENV, "").strip()
    if token:
        return Credential(source="env:CHUTES_OAUTH_TOKEN", type="token", secret=token)
    return None
