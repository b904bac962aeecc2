"""``genesis auth ...``"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from genesis_cli.cli.completion import profile_option
from genesis_cli.cli.lazy import LazyGroup
from genesis_cli.cli.provider import current
from genesis_cli.cli.ui import UI
from genesis_cli.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from genesis_cli.flows.status import Status


@click.group(
    cls=LazyGroup,
    lazy={
        "login": (  # `gh auth login` habits
            "genesis_cli.cli.onboard:onboard",
            "Sign in to Chutes, discover the model catalog, and write the config.",
        ),
        "token": (
            "genesis_cli.cli.handoff:token_command",
            "Print the active credential alone on stdout (an OAuth token is refreshed first "
            "when due).",
        ),
        "app": (
            "genesis_cli.cli.apps:app",
            'Your own "Sign in with Chutes" app: create, show or delete it.',
        ),
    },
)
def auth() -> None:
    """Inspect, refresh and remove stored credentials."""


@auth.command("status")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def status_command(json_mode: bool) -> None:
    """Show which credential is active, every stored profile, and problems found.

    Exits 0 when a usable credential exists, 3 when there is none.

    \b
    Examples:
      genesis auth status
      genesis auth status --json | jq .active
    """
    from genesis_cli.flows.status import status

    ui = UI(json_mode)
    provider = current()
    found = status(provider)
    if json_mode:
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
            secret = p.masked or _where(p.secrets)
            ui.line(f"  {p.id:<{width}}  {p.type:<7}  {secret}{user}, {expiry}{refresh}")
    for problem in found.problems:
        ui.warn(problem)


def _where(secrets: dict[str, str]) -> str:
    """Where a profile's secrets live, for a profile whose secret is not in the file."""
    places = sorted(set(secrets.values()) - {"file"})
    return "secrets in " + ", ".join(places) if places else "no secret"


def _stamp(expires_at: int) -> tuple[str, float]:
    """The expiry as a UTC timestamp, and the seconds left until then."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires_at)), expires_at - time.time()


def _left(expires_at: int) -> str:
    stamp, seconds = _stamp(expires_at)
    if seconds < 0:
        return f"expired {stamp}"
    return f"expires {stamp} (in {round(seconds / 60)} min)"


def _when(expires_at: int) -> str:
    stamp, seconds = _stamp(expires_at)
    minutes = round(seconds / 60)
    return f"{stamp} (in {minutes} min)" if minutes >= 0 else f"{stamp} (expired)"


@auth.command("refresh")
@profile_option("Only this profile.")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def refresh_command(profile_id: str | None, json_mode: bool) -> None:
    """Refresh OAuth tokens now, whatever their expiry.

    \b
    Examples:
      genesis auth refresh
      genesis auth refresh --profile chutes:alice --json
    """
    from genesis_cli.flows.refresh import refresh_now

    ui = UI(json_mode)
    report = refresh_now(current(), profile_id, ui.spinner)
    if json_mode:
        ui.emit_json(report)
        return
    for item in report.refreshed:
        until = _when(item.expires_at) if item.expires_at is not None else "an unknown time"
        ui.line(f"Refreshed {item.profile}: access token valid until {until}")
    for skip in report.skipped:
        ui.line(f"Skipped {skip.profile}: {skip.reason}")


@auth.command("logout")
@profile_option("Only this profile.")
@click.option("--all", "everything", is_flag=True, help="Every stored profile of the provider.")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def logout_command(profile_id: str | None, everything: bool, json_mode: bool) -> None:
    """Revoke OAuth tokens at Chutes (best effort), then delete the profile here.

    The profile leaves the auth store and the config's auth.profiles (comments kept).

    \b
    Examples:
      genesis auth logout                       # the only profile
      genesis auth logout --profile chutes:alice
      genesis auth logout --all --json
    """
    from genesis_cli.flows.logout import logout

    if profile_id and everything:
        raise UsageError("--profile and --all contradict each other", hint="pass one of them")
    ui = UI(json_mode)
    provider = current()
    with ui.spinner("Signing out…"):
        result = logout(provider, profile_id, everything)
    if json_mode:
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
