"""Which provider a command acts on: ``genesis --provider ID``, ``$GENESIS_PROVIDER``, else
Chutes. ``onboard --auth-choice <id>[-api-key]`` names it too."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from genesis_cli.providers import Provider


def chosen_id(ctx: click.Context | None = None) -> str:
    from genesis_cli.providers import DEFAULT_ID

    ctx = ctx or click.get_current_context(silent=True)
    value = ctx.find_root().params.get("provider") if ctx is not None else None
    return str(value or os.environ.get("GENESIS_PROVIDER", "").strip() or DEFAULT_ID)


def current(ctx: click.Context | None = None) -> Provider:
    from genesis_cli.providers import lookup

    return lookup.get(chosen_id(ctx))
