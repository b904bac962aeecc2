"""``genesis auth app create|show|delete``"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from genesis_cli.cli.params import current, secret_store_option, ui_option
from genesis_cli.cli.ui import UI
from genesis_cli.errors import AuthError, ExitCode

if TYPE_CHECKING:
    from genesis_cli.flows.apps import AppReport
    from genesis_cli.providers import Provider
    from genesis_cli.store.auth_store import OAuthApp


@click.group("app")
def app() -> None:
    """Your own "Sign in with Chutes" app: create, show or delete it.

    Chutes has no shared OAuth client for command-line tools and no page to create an app;
    genesis registers one for you with your API key and stores its client id and secret.
    """


def _app_provider() -> Provider:  # the chosen provider, when it has Sign in apps to manage
    provider = current()
    provider.require_sign_in()
    provider.apps()
    return provider


def require_api_key(provider: Provider, ui: UI) -> str:
    """``CHUTES_API_KEY``, the stored API-key profile, else a hidden prompt on a terminal."""
    from genesis_cli.flows.credentials import api_key

    key = api_key(provider)
    if key:
        return key
    name = provider.display_name
    if not sys.stdin.isatty():
        raise AuthError(
            f"managing Sign in with {name} apps needs a {name} API key, and none is at hand",
            hint=f"set {provider.api_key_env}, or run `genesis onboard --auth-choice "
            f"{provider.api_key_choice}` first",
        )
    ui.info(f"Managing apps needs an API key (create one at {provider.api_keys_url}).")
    entered: str = click.prompt(f"{name} API key (input hidden)", hide_input=True, err=True)
    from genesis_cli.flows.onboard import normalize_api_key  # only after a prompt

    return normalize_api_key(provider, entered)


def create_app(
    provider: Provider,
    ui: UI,
    name: str | None,
    redirect_uri: str | None,
    api_key: str,
    secret_store: str | None = None,
) -> OAuthApp:
    """Create and store the app, saying what happened on stderr."""
    from genesis_cli.flows import apps
    from genesis_cli.store.vault import chosen_store  # the keyring: only when creating

    uri = apps.redirect_uri(provider, redirect_uri)
    with ui.spinner(f"Registering your app with {provider.display_name}…"):
        created = apps.create(
            provider, api_key, name=name, uri=uri, secret_store=chosen_store(secret_store)
        )
    ui.info(
        f"Created the {provider.display_name} app {created.name} ({created.client_id}) with "
        f"the redirect URI {uri}; its client id and secret are in the auth store."
    )
    return created


@app.command("create")
@click.option("--name", metavar="NAME", help="The app's name (default: genesis-<random>).")
@click.option(
    "--redirect-uri",
    metavar="URI",
    help="Loopback redirect URI (default: $CHUTES_OAUTH_REDIRECT_URI, else "
    "http://127.0.0.1:1456/oauth-callback).",
)
@secret_store_option("Where the client secret goes (default: $GENESIS_SECRET_STORE, else file).")
@ui_option
def create_command(
    name: str | None, redirect_uri: str | None, secret_store: str | None, ui: UI
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

    provider = _app_provider()
    created = create_app(
        provider, ui, name, redirect_uri, require_api_key(provider, ui), secret_store
    )
    _show(provider, ui, apps.AppReport.of(created, "present"))


@app.command("show")
@ui_option
def show_command(ui: UI) -> None:
    """Show the stored app (secret masked) and whether Chutes still has it.

    Exits 3 when no app is stored.

    \b
    Examples:
      genesis auth app show
      genesis auth app show --json | jq -r .clientId
    """
    from genesis_cli.flows import apps

    provider = _app_provider()
    with ui.spinner(f"Asking {provider.display_name} about your app…"):
        report = apps.show(provider)
    if report is None:
        raise AuthError(
            f"no Sign in with {provider.display_name} app is stored",
            hint="create one: genesis auth app create",
        )
    _show(provider, ui, report)


def _show(provider: Provider, ui: UI, report: AppReport) -> None:
    if ui.json_mode:
        ui.emit_json(report)
        return
    name = provider.display_name
    remote = {
        "present": f"registered at {name}",
        "gone": f"no longer at {name}: create a new one",
        "unknown": f"could not check with {name}",
    }[report.remote]
    redirect = report.redirect_uri or provider.require_sign_in().default_redirect_uri
    ui.summary(
        f"Sign in with {name} app {report.name or ''}".strip(),
        [
            ("client", report.client_id),
            ("secret", str(report.masked)),
            ("redirect", redirect),
            ("app id", report.app_id or "-"),
            ("status", remote),
        ],
    )


@app.command("delete")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@ui_option
def delete_command(yes: bool, ui: UI) -> None:
    """Delete the stored app at Chutes, then forget it here.

    OAuth profiles signed in with this app can no longer refresh their tokens afterwards.
    Asks first on a terminal; asks nothing when there is none.

    \b
    Examples:
      genesis auth app delete
      genesis auth app delete --yes --json
    """
    from genesis_cli.flows import apps

    provider = _app_provider()
    name = provider.display_name
    stored = apps.stored_app(provider)
    if stored is None:
        raise AuthError(f"no Sign in with {name} app is stored", hint="nothing to delete")
    consequence = "OAuth profiles signed in with it can no longer refresh their tokens"
    if (
        not yes
        and sys.stdin.isatty()
        and not ui.confirm(
            f"Delete the {name} app {stored.name or stored.client_id}? {consequence}.",
            default=False,
        )
    ):
        raise click.exceptions.Exit(int(ExitCode.ERROR))
    key = require_api_key(provider, ui)
    with ui.spinner(f"Deleting your app at {name}…"):
        existed = apps.delete(provider, key, stored)
    where = f"deleted at {name}" if existed else f"{name} no longer had it"
    message = f"Deleted the app {stored.name or stored.client_id} ({where}); {consequence}."
    if ui.json_mode:
        ui.emit_json({"deleted": True, "appId": stored.app_id, "remote": existed})
        ui.info(message)
    else:
        ui.line(message)
