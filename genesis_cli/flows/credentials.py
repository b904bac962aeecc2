"""Which credential is in force (docs/signin.md): ``pick``, the one precedence every command
uses. The store, the config and refresh are imported by the functions that read them: with
the credential in the environment (`auth token`/`env`/`exec` in CI) none of them loads."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from genesis_cli.errors import AuthError, UsageError
from genesis_cli.text import sendable

if TYPE_CHECKING:
    from genesis_cli.providers import Provider
    from genesis_cli.store.auth_store import Profile


class Credential(NamedTuple):  # not a dataclass: ~1.4 ms less for `auth token`, `env`, `exec`
    """A credential in force at run time. ``secret`` never leaves the process unmasked."""

    source: str  # "env:<NAME>" (say env:CHUTES_API_KEY) or "profile"
    type: Literal["api_key", "oauth", "token"]
    secret: str
    profile: str | None = None
    expires_at: int | None = None

    def __repr__(self) -> str:  # keep the secret out of tracebacks and logs
        return f"Credential(source={self.source!r}, type={self.type!r}, profile={self.profile!r})"


def is_oauth_token(provider: Provider, value: str) -> bool:
    prefix = provider.sign_in.access_token_prefix if provider.sign_in else ""
    return bool(prefix) and value.startswith(prefix)


def env_credential(provider: Provider) -> Credential | None:
    """``<PREFIX>_API_KEY`` (an OAuth access token there is a token), else
    ``<PREFIX>_OAUTH_TOKEN``."""
    for name in (provider.api_key_env, provider.oauth_token_env):
        value = os.environ.get(name, "").strip()
        if value and not sendable(value):
            raise UsageError(
                f"{name} holds whitespace, control characters or non-ASCII characters (a "
                "copied masked key such as cpk_…wxyz?)",
                hint=f"set {name} to the whole key or token, or unset it",
            )
        if value:
            key = name == provider.api_key_env and not is_oauth_token(provider, value)
            kind: Literal["api_key", "token"] = "api_key" if key else "token"
            return Credential(source=f"env:{name}", type=kind, secret=value)
    return None


def _maybe_exported(provider: Provider, found: Credential) -> bool:
    """A token in ``<PREFIX>_API_KEY``, which `genesis env` may have exported from a profile."""
    return found.type == "token" and found.source == f"env:{provider.api_key_env}"


def exported_profile(
    provider: Provider, profiles: dict[str, Profile], token: str
) -> Profile | None:
    """The stored OAuth profile whose access token ``token`` is (wherever it is kept)."""
    import hmac  # only when a token is compared

    from genesis_cli.store import vault  # start-up: see the note at the top

    for profile in profiles.values():
        if profile.provider != provider.id or profile.type != "oauth":
            continue
        access = profile.access
        ref = dict(profile.refs).get("access")
        if access is None and ref is not None:
            try:
                access = vault.resolve_ref(profile.id, "access", ref)
            except AuthError:
                continue
        if access is not None and hmac.compare_digest(access.encode(), token.encode()):
            return profile
    return None


def ranked_profiles(
    provider: Provider, profiles: dict[str, Profile], config: dict[str, Any] | None = None
) -> list[Profile]:
    """The provider's stored profiles in the order they are tried: ``auth.order.<id>``, then
    OAuth before API key, each in file order. Without ``config``, the config is read only
    when two or more are stored (start-up: the JSON5 reader is the costliest import of
    `auth token` with a stored key)."""
    mine = sorted(
        (p for p in profiles.values() if p.provider == provider.id), key=lambda p: p.type != "oauth"
    )
    if len(mine) < 2:
        return mine
    from genesis_cli import paths  # start-up: see the note at the top
    from genesis_cli.config import config_file

    data = config if config is not None else config_file.load(paths.config_path()).data
    order = dict.fromkeys(config_file.auth_order(data, provider.id) or [])
    listed = [profiles[pid] for pid in order if pid in profiles and profiles[pid] in mine]
    return listed + [p for p in mine if p not in listed]


def pick(
    provider: Provider,
    profiles: dict[str, Profile],
    config: dict[str, Any] | None,
    usable: Callable[[Profile], Credential | None],
) -> Credential | None:
    """The precedence itself: the env credential, else the first profile ``usable`` accepts.
    ``active`` passes a ``usable`` that refreshes and reads the keyring; ``auth status`` one
    that only looks, so that showing the status changes nothing."""
    from_env = env_credential(provider)
    if from_env is None:
        return next(filter(None, map(usable, ranked_profiles(provider, profiles, config))), None)
    if _maybe_exported(provider, from_env):
        exported = exported_profile(provider, profiles, from_env.secret)
        if exported is not None:
            return usable(exported) or from_env
    return from_env


def as_credential(profile: Profile) -> Credential:
    return Credential("profile", profile.type, profile.secret or "", profile.id, profile.expires_at)


def _usable(provider: Provider, profile: Profile) -> Credential | None:
    """A stored profile as the credential in force: refreshed when OAuth and due, its
    referenced secrets read; ``None`` when it has no secret."""
    from genesis_cli.store import vault  # start-up: see the note at the top

    if profile.type == "oauth":
        from genesis_cli.flows import refresh  # start-up: only a token expires (see the top)

        profile = refresh.ensure_fresh(provider, profile)
    profile = vault.resolve(profile)
    return as_credential(profile) if profile.secret else None


def active(provider: Provider) -> Credential | None:
    """The credential in force, by ``pick``; the store is read only when the environment
    does not decide."""
    from_env = env_credential(provider)
    if from_env is not None and not _maybe_exported(provider, from_env):
        return from_env
    from genesis_cli.store import auth_store  # start-up: see the note at the top

    return pick(provider, auth_store.load().profiles, None, lambda p: _usable(provider, p))


def required(provider: Provider, profile_id: str | None, purpose: str = "") -> Credential:
    """The stored ``profile_id`` when given (refreshed first when OAuth and due), else the
    active credential; exit 3 when there is none (``purpose``: "to test with", ...)."""
    if profile_id is not None:
        from genesis_cli.store import auth_store  # start-up: see the note at the top

        profile = auth_store.load().profiles.get(profile_id)
        found = None
        if profile is not None:
            check_provider(provider, profile)
            found = _usable(provider, profile)
        if found is None:
            raise AuthError(
                f"there is no usable profile {profile_id!r}", hint="see `genesis auth status`"
            )
        return found
    found = active(provider)
    if found is None:
        raise AuthError(
            f"no {provider.display_name} credential{' ' + purpose if purpose else ''}",
            hint=f"run `genesis onboard`, or set {provider.api_key_env}",
        )
    return found


def api_key(provider: Provider) -> str | None:
    """The API key at hand (the management API takes no OAuth token): ``<PREFIX>_API_KEY``
    when it holds one, else the first stored API-key profile in the same order."""
    from_env = env_credential(provider)
    if from_env is not None and from_env.type == "api_key":
        return from_env.secret
    from genesis_cli.store import auth_store, vault  # start-up: see the note at the top

    ranked = ranked_profiles(provider, auth_store.load().profiles)
    keys = [profile for profile in ranked if profile.type == "api_key"]
    return vault.resolve(keys[0]).key if keys else None


def check_provider(provider: Provider, profile: Profile) -> None:
    """A profile named with ``--profile`` must be of the provider acted on."""
    if profile.provider != provider.id:
        raise UsageError(
            f"profile {profile.id} belongs to {profile.provider!r}, not {provider.id!r}",
            hint=f"pass --provider {profile.provider} before the command",
        )


def named_profiles(
    provider: Provider, profiles: dict[str, Profile], profile_id: str | None
) -> list[Profile]:
    """The stored profile ``--profile`` names (exit 2 when there is none, or it is another
    provider's), else every profile of ``provider``."""
    if profile_id is None:
        return [p for p in profiles.values() if p.provider == provider.id]
    if profile_id not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise UsageError(f"there is no profile {profile_id!r} (stored: {known})")
    check_provider(provider, profiles[profile_id])
    return [profiles[profile_id]]
