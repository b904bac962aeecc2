"""``genesis config path``"""

from __future__ import annotations

import click

from genesis_cli.cli.ui import UI


@click.group("config")
def config() -> None:
    """Where genesis keeps its files."""


@config.command("path")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def path_command(json_mode: bool) -> None:
    """Print where the config, the auth store and the catalog cache live.

    \b
    Examples:
      genesis config path
      $EDITOR "$(genesis config path --json | jq -r .config)"
    """
    from genesis_cli import paths
    from genesis_cli.cli.provider import current

    provider = current()
    where = {
        "stateDir": paths.state_dir(),
        "config": paths.config_path(),
        "store": paths.auth_store_path(),
        "cache": paths.catalog_cache_path(provider.id),
    }
    from genesis_cli.store import auth_store, vault

    absolute = {name: str(path.expanduser().absolute()) for name, path in where.items()}
    ui = UI(json_mode)
    # Where each stored secret lives: the store file, the OS keyring or an env variable.
    secrets = {p.id: vault.where(p) for p in auth_store.load().profiles.values()}
    if json_mode:
        ui.emit_json({**absolute, "secrets": secrets})
        return
    labels = {"stateDir": "state dir", "config": "config", "store": "auth store", "cache": "cache"}
    for name, value in absolute.items():
        ui.line(f"{labels[name]:<11}{value}")
    for profile_id, fields in secrets.items():
        places = ", ".join(f"{field} in {place}" for field, place in fields.items())
        ui.line(f"{'secrets':<11}{profile_id}: {places}")
