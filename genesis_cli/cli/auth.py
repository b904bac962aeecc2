"""``genesis auth ...``"""

from __future__ import annotations

import os
import time

import click

from genesis_cli.errors import AuthError, GenesisError, UsageError
from genesis_cli.providers import chutes
from genesis_cli.ui import UI


@click.group()
def auth() -> None:
    """Inspect, refresh and remove stored credentials."""


def _not_yet(name: str) -> GenesisError:
    return GenesisError(f"`genesis auth {name}` is not yet available in this version")


@auth.command("status")
def status_command() -> None:
    """Show which credential is active and every stored profile."""
    raise _not_yet("status")


def _when(expires_at: int) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires_at))
    minutes = round((expires_at - time.time()) / 60)
    return f"{stamp} (in {minutes} min)" if minutes >= 0 else f"{stamp} (expired)"


@auth.command("refresh")
@click.option("--profile", "profile_id", metavar="ID", help="Only this profile.")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def refresh_command(profile_id: str | None, json_mode: bool) -> None:
    """Refresh OAuth tokens now, whatever their expiry.

    \b
    Examples:
      genesis auth refresh
      genesis auth refresh --profile chutes:alice --json
    """
    from genesis_cli import auth_store
    from genesis_cli.flows.refresh import refresh_profile

    ui = UI(json_mode)
    profiles = auth_store.load(ui.warn).profiles
    if profile_id is not None and profile_id not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise UsageError(f"there is no profile {profile_id!r} (stored: {known})")
    chosen = (
        [profiles[profile_id]]
        if profile_id
        else [p for p in profiles.values() if p.provider == chutes.ID]
    )
    refreshed: list[dict[str, str | int | None]] = []
    skipped: list[dict[str, str]] = []
    if os.environ.get(chutes.OAUTH_TOKEN_ENV, "").strip():
        skipped.append(
            {
                "profile": f"env:{chutes.OAUTH_TOKEN_ENV}",
                "reason": "a token from the environment cannot be refreshed by genesis",
            }
        )
    for profile in chosen:
        if profile.type != "oauth":
            skipped.append({"profile": profile.id, "reason": "api keys do not expire"})
            continue
        with ui.spinner(f"Refreshing {profile.id}…"):
            result = refresh_profile(
                profile.id, force=True, seen_access=profile.access, warn=ui.warn
            )
        refreshed.append({"profile": profile.id, "expiresAt": result.profile.expires_at})
    if not refreshed and not skipped:
        raise AuthError(
            "there is nothing to refresh: no stored Chutes profile",
            hint="sign in: genesis onboard --auth-choice chutes",
        )
    if json_mode:
        ui.emit_json({"refreshed": refreshed, "skipped": skipped})
        return
    for item in refreshed:
        expires = item["expiresAt"]
        until = _when(expires) if isinstance(expires, int) else "an unknown time"
        ui.line(f"Refreshed {item['profile']}: access token valid until {until}")
    for skip in skipped:
        ui.line(f"Skipped {skip['profile']}: {skip['reason']}")


@auth.command("logout")
def logout_command() -> None:
    """Revoke and delete stored credentials."""
    raise _not_yet("logout")
