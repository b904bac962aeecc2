"""``genesis auth app create|show|delete``"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from genesis_cli.cli.ui import UI
from genesis_cli.errors import AuthError, ExitCode
from genesis_cli.providers import chutes

if TYPE_CHECKING:
    from genesis_cli.auth_store import OAuthApp


@click.group("app")
def app() -> None:
    """Your own "Sign in with Chutes" app: create, show or delete it.

    Chutes has no shared OAuth client for command-line tools and no page to create an app;
    genesis registers one for you with your API key and stores its client id and secret.
    """


def require_api_key(ui: UI) -> str:
    """``CHUTES_API_KEY``, the stored API-key profile, else a hidden prompt on a terminal."""
    from genesis_cli.flows.apps import api_key_at_hand

    key = api_key_at_hand(ui.warn)
    if key:
        return key
    if not sys.stdin.isatty():
        raise AuthError(
            "managing Sign in with Chutes apps needs a Chutes API key, and none is at hand",
            hint=f"set {chutes.API_KEY_ENV}, or run `genesis onboard --auth-choice "
            "chutes-api-key` first",
        )
    ui.info(f"Managing apps needs an API key (create one at {chutes.API_KEYS_URL}).")
    entered: str = click.prompt("Chutes API key (input hidden)", hide_input=True, err=True)
    from genesis_cli.flows.onboard import normalize_api_key

    return normalize_api_key(entered)


def create_app(
    ui: UI,
    name: str | None,
    redirect_uri: str | None,
    api_key: str,
    secret_store: str | None = None,
) -> OAuthApp:
    """Create and store the app, saying what happened on stderr."""
    from genesis_cli.flows import apps
    from genesis_cli.vault import chosen_store

    uri = apps.redirect_uri(redirect_uri)
    with ui.spinner("Registering your app with Chutes…"):
        created = apps.create(
            api_key, name=name, uri=uri, warn=ui.warn, secret_store=chosen_store(secret_store)
        )
    ui.info(
        f"Created the Chutes app {created.name} ({created.client_id}) with the redirect URI "
        f"{uri}; its client id and secret are in the auth store."
    )
    return created


@app.command("create")
@click.option("--name", metavar="NAME", help="The app's name (default: genesis-<random>).")
@click.option(
    "--redirect-uri",
    metavar="URI",
    help=f"Loopback redirect URI (default: $CHUTES_OAUTH_REDIRECT_URI, "
    f"else {chutes.DEFAULT_REDIRECT_URI}).",
)
@click.option(
    "--secret-store",
    type=click.Choice(["file", "keyring"]),
    default=None,
    help="Where the client secret goes (default: $GENESIS_SECRET_STORE, else file).",
)
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def create_command(
    name: str | None, redirect_uri: str | None, secret_store: str | None, json_mode: bool
) -> None:
    """Register your own Sign in with Chutes app and store its client id and secret.

    Uses your API key (CHUTES_API_KEY, the stored API-key profile, or a hidden prompt).
    Chutes shows the client secret only once, so genesis stores it at once (mode 0600).

    \b
    Examples:
      genesis auth app create
      genesis auth app create --name my-laptop --json
      genesis onboard --auth-choice chutes     # then sign in with it
    """
    from genesis_cli.flows import apps

    ui = UI(json_mode)
    created = create_app(ui, name, redirect_uri, require_api_key(ui), secret_store)
    report = apps.AppReport(created, "present")
    if json_mode:
        ui.emit_json(report.to_json())
    else:
        _render(ui, report.to_json())


@app.command("show")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def show_command(json_mode: bool) -> None:
    """Show the stored app (secret masked) and whether Chutes still has it.

    Exits 3 when no app is stored.

    \b
    Examples:
      genesis auth app show
      genesis auth app show --json | jq -r .clientId
    """
    from genesis_cli.flows import apps

    ui = UI(json_mode)
    with ui.spinner("Asking Chutes about your app…"):
        report = apps.show(ui.warn)
    if report is None:
        raise AuthError(
            "no Sign in with Chutes app is stored", hint="create one: genesis auth app create"
        )
    if json_mode:
        ui.emit_json(report.to_json())
    else:
        _render(ui, report.to_json())


def _render(ui: UI, app_json: dict[str, str | None]) -> None:
    remote = {
        "present": "registered at Chutes",
        "gone": "no longer at Chutes: create a new one",
        "unknown": "could not check with Chutes",
    }[str(app_json["remote"])]
    ui.summary(
        f"Sign in with Chutes app {app_json['name'] or ''}".strip(),
        [
            ("client", str(app_json["clientId"])),
            ("secret", str(app_json["masked"])),
            ("redirect", str(app_json["redirectUri"] or chutes.DEFAULT_REDIRECT_URI)),
            ("app id", str(app_json["appId"] or "-")),
            ("status", remote),
        ],
    )


@app.command("delete")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def delete_command(yes: bool, json_mode: bool) -> None:
    """Delete the stored app at Chutes, then forget it here.

    OAuth profiles signed in with this app can no longer refresh their tokens afterwards.
    Asks first on a terminal; asks nothing when there is none.

    \b
    Examples:
      genesis auth app delete
      genesis auth app delete --yes --json
    """
    from genesis_cli.flows import apps

    ui = UI(json_mode)
    stored = apps.stored_app(ui.warn)
    if stored is None:
        raise AuthError("no Sign in with Chutes app is stored", hint="nothing to delete")
    consequence = "OAuth profiles signed in with it can no longer refresh their tokens"
    if (
        not yes
        and sys.stdin.isatty()
        and not click.confirm(
            f"Delete the Chutes app {stored.name or stored.client_id}? {consequence}.",
            default=False,
            err=True,
        )
    ):
        raise click.exceptions.Exit(int(ExitCode.ERROR))
    key = require_api_key(ui)
    with ui.spinner("Deleting your app at Chutes…"):
        existed = apps.delete(key, stored, ui.warn)
    where = "deleted at Chutes" if existed else "Chutes no longer had it"
    message = f"Deleted the app {stored.name or stored.client_id} ({where}); {consequence}."
    if json_mode:
        ui.emit_json({"deleted": True, "appId": stored.app_id, "remote": existed})
        ui.info(message)
    else:
        ui.line(message)
