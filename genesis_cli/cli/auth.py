"""``genesis auth status|refresh|logout`` and ``auth app create|show|delete`` (``auth login``
is onboarding, ``auth token`` is in ``handoff``)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click

from genesis_cli.cli import LazyGroup
from genesis_cli.cli.params import current, profile_option, secret_store_option, ui_option
from genesis_cli.cli.ui import UI
from genesis_cli.errors import AuthError, ExitCode, UsageError

if TYPE_CHECKING:
    from genesis_cli.flows.apps import AppReport
    from genesis_cli.flows.status import Status
    from genesis_cli.providers import Provider
    from genesis_cli.store.auth_store import OAuthApp


@click.group(
    cls=LazyGroup,
    lazy={
        "login": (  # `gh auth login` habits
            "onboard:onboard",
            "Sign in to Chutes, discover the model catalog, and write the config.",
        ),
        "token": (
            "handoff:token_command",
            "Print the active credential alone on stdout (an OAuth token is refreshed first "
            "when due).",
        ),
    },
)
def auth() -> None:
    """Inspect, refresh and remove stored credentials."""


@auth.command("status")
@ui_option
def status_command(ui: UI) -> None:
    """Show which credential is active, every stored profile, and problems found.

    Exits 0 when a usable credential exists, 3 when there is none.

    \b
    Examples:
      genesis auth status
      genesis auth status --json | jq .active
    """
    from genesis_cli.flows.status import status  # start-up: `auth token` loads this module too

    provider = current()
    found = status(provider)
    if ui.json_mode:
        ui.emit_json(found)
    else:
        _render_status(ui, provider.display_name, found)
    if found.active is None:
        raise click.exceptions.Exit(int(ExitCode.AUTH))


def _render_status(ui: UI, name: str, found: Status) -> None:
    active = found.active
    if active is None:
        ui.line(f"Not signed in to {name}: run `genesis onboard`.")
    elif active.source == "profile":
        expiry = f", {_left(active.expires_at)}" if active.expires_at else ""
        ui.line(
            f"Active: profile {active.profile} ({active.type}, "
            f"{active.masked or 'kept outside the file'}{expiry})"
        )
    else:
        ui.line(
            f"Active: {active.source.removeprefix('env:')} from the environment "
            f"({active.type}, {active.masked})"
        )
    if found.profiles:
        ui.line("Profiles:")
        width = max(len(p.id) for p in found.profiles)
        for p in found.profiles:
            expiry = _left(p.expires_at) if p.expires_at else "does not expire"
            refresh = ", refreshes itself" if p.can_refresh else ""
            user = f" as {p.username}" if p.username else ""
            places = sorted(set(p.secrets.values()) - {"file"})  # the secret is not in the file
            secret = p.masked or ("secrets in " + ", ".join(places) if places else "no secret")
            ui.line(f"  {p.id:<{width}}  {p.type:<7}  {secret}{user}, {expiry}{refresh}")
    for problem in found.problems:
        ui.warn(problem)


def _left(expires_at: int, refreshed: bool = False) -> str:
    """``expires <UTC time> (in N min)`` or ``expired <time>``; for a token just refreshed,
    ``<time> (in N min)`` or ``<time> (expired)``."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires_at))
    seconds = expires_at - time.time()
    minutes = round(seconds / 60)
    if refreshed:
        return f"{stamp} (in {minutes} min)" if minutes >= 0 else f"{stamp} (expired)"
    return f"expired {stamp}" if seconds < 0 else f"expires {stamp} (in {minutes} min)"


@auth.command("refresh")
@profile_option("Only this profile.")
@ui_option
def refresh_command(profile_id: str | None, ui: UI) -> None:
    """Refresh OAuth tokens now, whatever their expiry.

    \b
    Examples:
      genesis auth refresh
      genesis auth refresh --profile chutes:alice --json
    """
    # start-up: `auth token` loads this module too, and must not pay for this flow
    from genesis_cli.flows.auth_refresh import refresh_now

    report = refresh_now(current(), profile_id, ui.spinner)
    if ui.json_mode:
        ui.emit_json(report)
        return
    for item in report.refreshed:
        until = _left(item.expires_at, True) if item.expires_at is not None else "an unknown time"
        ui.line(f"Refreshed {item.profile}: access token valid until {until}")
    for skip in report.skipped:
        ui.line(f"Skipped {skip.profile}: {skip.reason}")


@auth.command("logout")
@profile_option("Only this profile.")
@click.option("--all", "everything", is_flag=True, help="Every stored profile of the provider.")
@ui_option
def logout_command(profile_id: str | None, everything: bool, ui: UI) -> None:
    """Revoke OAuth tokens at Chutes (best effort), then delete the profile here.

    The profile leaves the auth store and the config's auth.profiles (comments kept).

    \b
    Examples:
      genesis auth logout                       # the only profile
      genesis auth logout --profile chutes:alice
      genesis auth logout --all --json
    """
    from genesis_cli.flows.logout import logout  # start-up: `auth token` loads this module too

    if profile_id and everything:
        raise UsageError("--profile and --all contradict each other", hint="pass one of them")
    provider = current()
    with ui.spinner("Signing out…"):
        result = logout(provider, profile_id, everything)
    if ui.json_mode:
        ui.emit_json(result)
        return
    if not result.logged_out:
        ui.line(f"No stored {provider.display_name} profile: nothing to log out.")
    for item in result.logged_out:
        revoked = {
            True: f"tokens revoked at {provider.display_name}",
            False: "revocation failed",
            None: "nothing to revoke",
        }[item.revoked]
        ui.line(f"Logged out of {item.profile} ({revoked}; deleted locally)")


@auth.group("app")
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
    from genesis_cli.flows.credentials import api_key  # start-up: not for `auth --help`

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
    # start-up: the app flow, for `auth app create` and onboarding only (not `auth token`)
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
    from genesis_cli.flows import apps  # start-up: `auth token` loads this module too

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
    from genesis_cli.flows import apps  # start-up: `auth token` loads this module too

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
    from genesis_cli.flows import apps  # start-up: `auth token` loads this module too

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
