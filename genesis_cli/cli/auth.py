"""``genesis auth ...``"""

from __future__ import annotations

import click

from genesis_cli.errors import GenesisError


@click.group()
def auth() -> None:
    """Inspect, refresh and remove stored credentials."""


def _not_yet(name: str) -> GenesisError:
    return GenesisError(f"`genesis auth {name}` is not yet available in this version")


@auth.command("status")
def status_command() -> None:
    """Show which credential is active and every stored profile."""
    raise _not_yet("status")


@auth.command("refresh")
def refresh_command() -> None:
    """Refresh OAuth tokens now."""
    raise _not_yet("refresh")


@auth.command("logout")
def logout_command() -> None:
    """Revoke and delete stored credentials."""
    raise _not_yet("logout")
