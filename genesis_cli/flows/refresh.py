"""Keeping OAuth tokens fresh across processes, for every command that uses one.

Under one lock: re-read the store, adopt a token another process refreshed meanwhile, else
spend the refresh token once and save the rotated pair before anyone uses the new access
token. A refresh that timed out is never resent: the server may have spent the token.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from genesis_cli import paths
from genesis_cli.errors import AuthError, ConfigError, GenesisError, NetworkError
from genesis_cli.fsutil import lock_file
from genesis_cli.providers import Provider
from genesis_cli.store import auth_store, vault
from genesis_cli.store.auth_store import Profile
from genesis_cli.warning_log import warn

if TYPE_CHECKING:
    from genesis_cli.oauth import protocol


def sign_in_again(provider: Provider) -> str:
    return f"sign in again: genesis onboard --auth-choice {provider.id}"


class RefreshUnavailable(NetworkError):
    """The token endpoint could not be reached or failed; the stored tokens are unchanged."""

    def __init__(self, reason: str, profile_id: str, expired: bool = False) -> None:
        what = "the expired sign-in of " if expired else ""
        super().__init__(
            f"could not refresh {what}{profile_id} ({reason})",
            hint="the stored tokens are unchanged; try again: genesis auth refresh",
        )
        self.reason = reason


class StoreUnwritable(ConfigError):
    """The store cannot be rewritten now, so the refresh token was not spent (exit 4)."""


def can_refresh(profile: Profile) -> bool:
    """An OAuth profile with a refresh token (here or referenced) and its client id."""
    has_refresh = bool(profile.refresh) or "refresh" in dict(profile.refs)
    return profile.type == "oauth" and has_refresh and bool(profile.client_id)


def expiring(profile: Profile, margin: int = 300) -> bool:
    """Expired, or expiring within ``margin`` seconds (five minutes: refresh ahead of time)."""
    return profile.expires_at is not None and profile.expires_at - time.time() <= margin


def client_for(provider: Provider, profile: Profile) -> protocol.Client:
    from genesis_cli.oauth import protocol  # start-up: only when a token is spent or revoked

    return protocol.Client(
        client_id=profile.client_id or "",
        client_secret=profile.client_secret,
        redirect_uri="",
        scopes=profile.scopes or provider.require_sign_in().scopes,
        base_url=provider.oauth_base_url(),
        provider=provider,
    )


def profile_lock() -> contextlib.AbstractContextManager[None]:
    """The one lock every change of a stored profile takes: refresh, logout, sign-in. A
    refresh in flight and a logout (or a new sign-in) of the same profile never interleave."""
    return lock_file(paths.refresh_lock_path())


def refresh_profile(
    provider: Provider, profile_id: str, *, force: bool, seen_access: str | None
) -> Profile:
    """``profile_id`` refreshed (when ``force`` or expiring), or as another process stored it
    since the caller saw ``seen_access``."""
    with profile_lock():
        current = auth_store.load().profiles.get(profile_id)
        if current is None or current.type != "oauth":
            raise AuthError(
                f"there is no OAuth profile {profile_id!r} any more",
                hint="see `genesis auth status`",
            )
        adopted = seen_access is not None and current.access != seen_access
        if adopted or not (force or expiring(current)):
            return current
        if not can_refresh(current):
            raise AuthError(
                f"profile {profile_id} has no refresh token or client id",
                hint=sign_in_again(provider),
            )
        from genesis_cli.oauth import protocol  # start-up: as in client_for

        live = vault.resolve(current)  # the refresh token and client secret, wherever kept
        assert live.refresh is not None
        # Spending the refresh token is irrevocable: first make sure its successor can be saved.
        try:
            auth_store.check_writable()
        except ConfigError as exc:
            raise StoreUnwritable(exc.message, exc.hint) from None
        try:
            tokens = protocol.refresh(client_for(provider, live), live.refresh)
        except NetworkError as exc:
            # Not resent: the server may have spent the token. The next attempt re-reads.
            raise RefreshUnavailable(exc.message, profile_id) from None
        except protocol.OAuthError as exc:
            if exc.error == "invalid_grant":
                raise AuthError(
                    f"the refresh token of {profile_id} was refused "
                    "(expired, revoked or already used)",
                    hint=sign_in_again(provider),
                ) from None
            raise AuthError(
                exc.message,
                hint=f"check {provider.client_id_env} / "
                f"{provider.client_secret_env} of the app, or {sign_in_again(provider)}",
            ) from None
        fresh = current.with_changes(
            access=tokens.access,
            refresh=tokens.refresh,
            expires_at=tokens.expires_at,
            scopes=tokens.scopes,
        )
        # Secrets kept in the keyring go back there; one the keyring refuses now stays in
        # the file (with a warning) rather than be lost.
        updated = vault.stash(fresh, all_fields=False)

        # Saved before the new access token is handed to anyone: the old refresh token is
        # spent now, and losing the new one would mean signing in again. Only onto the very
        # profile that was refreshed: a logout or a new sign-in is never undone.
        def save(profiles: dict[str, Profile]) -> bool:
            if profiles.get(profile_id) != current:
                return False
            profiles[profile_id] = updated
            return True

        try:
            saved = auth_store.update(save)
        except (GenesisError, ValueError) as exc:  # a full disk, a failing file system
            why = exc.message if isinstance(exc, GenesisError) else type(exc).__name__
            raise AuthError(
                f"{provider.display_name} issued new tokens for {profile_id}, but they could not "
                f"be saved ({why}); the old refresh token is spent",
                hint=f"fix that, then {sign_in_again(provider)}",
            ) from None
        if not saved:
            raise AuthError(
                f"{profile_id} was signed out or replaced while it was being refreshed",
                hint="see `genesis auth status`",
            )
        return updated.with_changes(access=tokens.access, refresh=tokens.refresh)  # in memory


def ensure_fresh(provider: Provider, profile: Profile) -> Profile:
    """The profile with an access token good for at least the margin, refreshing if needed;
    a transient failure or a store that cannot be written now keeps a still-valid token."""
    if profile.type != "oauth" or not expiring(profile):
        return profile
    try:
        return refresh_profile(provider, profile.id, force=False, seen_access=profile.access)
    except (RefreshUnavailable, StoreUnwritable) as exc:
        reason = exc.reason if isinstance(exc, RefreshUnavailable) else exc.message
        if not expiring(profile, 0):
            warn(
                f"could not refresh {profile.id} ({reason}); using the current "
                "access token while it lasts"
            )
            return profile
        if isinstance(exc, StoreUnwritable):
            raise
        raise RefreshUnavailable(reason, profile.id, expired=True) from None
