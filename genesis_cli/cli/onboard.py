"""``genesis onboard``"""

from __future__ import annotations

import click

from genesis_cli.errors import GenesisError


@click.command()
def onboard() -> None:
    """Sign in to Chutes, discover the catalog, and write the config."""
    raise GenesisError("`genesis onboard` is not yet available in this version")
