"""Where a secret lives: in the auth store file, in the OS keyring, or in an environment variable.

The store keeps either the value or a reference
(``key = { keyring = "genesis/chutes:default/key" }`` or ``key = { env = "NAME" }``). The
``keyring`` package (an optional extra) is imported only
when a keyring reference is read or written, so commands that need no secret never pay for it.
Everything that can go wrong with a keyring (no backend, locked, headless) is said plainly.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from genesis_cli.errors import AuthError, GenesisError
from genesis_cli.text import sendable

if TYPE_CHECKING:
    from genesis_cli.store.auth_store import Profile

SERVICE = "genesis"
SECRET_FIELDS = ("key", "access", "refresh", "client_secret")
STORES = ("file", "keyring")
STORE_ENV = "GENESIS_SECRET_STORE"


class KeyringUnavailable(GenesisError):
    """The OS keyring cannot be used here; the message says why."""


def chosen_store(flag: str | None) -> str:
    """``--secret-store``, else ``GENESIS_SECRET_STORE``, else ``file``."""
    from genesis_cli.errors import UsageError

    value = (flag or os.environ.get(STORE_ENV, "") or "file").strip()
    if value not in STORES:
        raise UsageError(
            f"{STORE_ENV}={value!r} is not a secret store genesis knows",
            hint="use file or keyring",
        )
    return value


def entry_name(profile_id: str, field: str) -> str:
    """The keyring entry of one secret: service ``genesis``, user ``<profile>/<field>``."""
    return f"{profile_id}/{field}"


def keyring_ref(name: str) -> str:
    """How the store refers to keyring entry ``name``: ``keyring:genesis/<name>``."""
    return f"keyring:{SERVICE}/{name}"


def _keyring_entry(ref: str) -> str | None:
    """The entry name of one of genesis's keyring references; ``None`` for anything else."""
    kind, _, target = ref.partition(":")
    if kind == "keyring" and target.startswith(f"{SERVICE}/"):
        return target.removeprefix(f"{SERVICE}/")
    return None


def _backend() -> Any:
    try:
        import keyring
    except ImportError:
        raise KeyringUnavailable(
            "the keyring package is not installed",
            hint="pip install 'genesis-cli[keyring]', or use --secret-store file",
        ) from None
    backend = keyring.get_keyring()
    if float(getattr(backend, "priority", 0) or 0) <= 0 or "null" in type(backend).__module__:
        raise KeyringUnavailable(
            f"no usable OS keyring backend ({type(backend).__module__}); on a server or over SSH "
            "there is often none",
            hint="use --secret-store file (the default), or start a Secret Service "
            "(gnome-keyring) in this session",
        )
    return backend


def _keyring_error(exc: Exception, doing: str) -> KeyringUnavailable:
    kind = type(exc).__name__
    why = "the keyring is locked" if "Locked" in kind else f"{kind}: {str(exc)[:120]}"
    return KeyringUnavailable(
        f"the OS keyring failed while {doing} ({why})",
        hint="unlock the keyring (log in to the desktop), or use --secret-store file",
    )


def put(name: str, value: str) -> None:
    backend = _backend()
    try:
        backend.set_password(SERVICE, name, value)
    except Exception as exc:  # every backend raises its own kinds
        raise _keyring_error(exc, "storing a secret") from None


def _fast_get(name: str) -> str | None:
    """Read an entry straight from the Secret Service with SecretStorage, the library the
    keyring package's SecretService backend is built on, and with that backend's attributes
    (``service``, ``username``): ~40 ms instead of the ~220 ms that importing the keyring
    package and discovering its backends cost. Only where keyring would choose that backend
    anyway (Linux, no PYTHON_KEYRING_BACKEND, no keyringrc); ``LookupError`` means "ask the
    keyring package"."""
    if not sys.platform.startswith("linux") or os.environ.get("PYTHON_KEYRING_BACKEND"):
        raise LookupError
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    if os.path.exists(os.path.join(config, "python_keyring", "keyringrc.cfg")):
        raise LookupError
    try:
        import secretstorage

        connection = secretstorage.dbus_init()
    except Exception:
        raise LookupError from None
    try:
        collection = secretstorage.get_default_collection(connection)
        if collection.is_locked():
            raise LookupError  # the keyring package says "locked" in its own words
        for item in collection.search_items({"service": SERVICE, "username": name}):
            if item.is_locked():
                raise LookupError
            return str(item.get_secret().decode("utf-8"))
        return None
    except LookupError:
        raise
    except Exception:
        raise LookupError from None
    finally:
        connection.close()


def get(name: str) -> str | None:
    try:
        return _fast_get(name)
    except LookupError:
        pass
    backend = _backend()
    try:
        value = backend.get_password(SERVICE, name)
    except Exception as exc:
        raise _keyring_error(exc, "reading a secret") from None
    return value if isinstance(value, str) else None


def delete(name: str) -> bool:
    """Best effort: ``False`` when the entry was not there or could not be deleted."""
    try:
        backend = _backend()
        backend.delete_password(SERVICE, name)
    except Exception:
        return False
    return True


def probe() -> None:
    """Write, read back and delete a probe entry; raise ``KeyringUnavailable`` saying why."""
    import secrets

    name = f"probe-{secrets.token_hex(6)}"
    value = secrets.token_urlsafe(12)
    put(name, value)
    try:
        if get(name) != value:
            raise KeyringUnavailable("the OS keyring did not give back what was stored")
    finally:
        delete(name)


def resolve(profile: Profile) -> Profile:
    """``profile`` with every referenced secret read (env or keyring), references kept.

    A reference of unknown shape, a missing entry or an unset variable is exit 3 naming the
    profile and the fix.
    """
    values: dict[str, str] = {}
    for field, ref in profile.refs:
        if not getattr(profile, field, None):  # not read yet in this process
            values[field] = resolve_ref(profile.id, field, ref)
    return profile.with_changes(**values) if values else profile


def resolve_ref(profile_id: str, field: str, ref: str) -> str:
    """The secret ``ref`` stands for; ``profile_id`` (or ``[clients.chutes]``) names whose it
    is in the errors."""
    kind, _, target = ref.partition(":")
    entry = _keyring_entry(ref)
    fix = "sign in again: genesis onboard"
    if kind == "env":
        value = os.environ.get(target, "").strip()
        if not value:
            raise AuthError(
                f"profile {profile_id}: its {field} comes from ${target}, which is not set",
                hint=f"set {target}, or {fix}",
            )
    elif entry is not None:
        try:
            found = get(entry)
        except KeyringUnavailable as exc:
            raise AuthError(f"profile {profile_id}: {exc.message}", hint=exc.hint) from None
        if found is None:
            raise AuthError(
                f"profile {profile_id}: its {field} should be in the OS keyring ({target}), "
                "and is not",
                hint=fix,
            )
        value = found
    else:
        raise AuthError(
            f"profile {profile_id}: the {field} reference is of a shape genesis does not know",
            hint=f'use {{ keyring = "..." }} or {{ env = "NAME" }}, or {fix}',
        )
    if not sendable(value):
        raise AuthError(f"profile {profile_id}: the {field} it refers to is not a usable secret")
    return value


def where(profile: Profile) -> dict[str, str]:
    """Where each secret of ``profile`` lives: ``file``, ``keyring`` or ``env:NAME``."""
    refs = dict(profile.refs)
    found: dict[str, str] = {}
    for field in SECRET_FIELDS:
        ref = refs.get(field)
        if ref is not None:
            kind, _, target = ref.partition(":")
            found[field] = f"env:{target}" if kind == "env" else kind
        elif getattr(profile, field, None):
            found[field] = "file"
    return found


def stash(profile: Profile, *, all_fields: bool, warn: Any = None) -> Profile:
    """Move secrets of ``profile`` into the keyring, leaving references.

    With ``all_fields`` (onboarding with ``--secret-store keyring``) every secret goes; a
    failure raises, having deleted what this call stored. Otherwise (a refresh) only fields
    that already live in the keyring are written there, and a field that cannot be is kept in
    the file instead, with a warning: a new refresh token is never lost.
    """
    refs = dict(profile.refs)
    changes: dict[str, Any] = {}
    written: list[str] = []
    for field in SECRET_FIELDS:
        value = getattr(profile, field)
        current = refs.get(field, "")
        if not value or not (all_fields or current.startswith("keyring:")):
            continue
        name = entry_name(profile.id, field)
        try:
            put(name, value)
        except KeyringUnavailable as exc:
            if all_fields:
                for done in written:
                    delete(done)
                raise
            refs.pop(field, None)
            if warn:
                warn(f"{exc.message}; kept the new {field} of {profile.id} in the auth store file")
            continue
        written.append(name)
        refs[field] = keyring_ref(name)
        changes[field] = None
    return profile.with_changes(refs=tuple(sorted(refs.items())), **changes)


def forget_ref(ref: str) -> bool:
    """Delete the keyring entry ``ref`` names, if it names one; ``False`` when that failed."""
    entry = _keyring_entry(ref)
    return entry is None or delete(entry)


def forget(profile: Profile) -> list[str]:
    """Delete the keyring entries of ``profile``; the references that could not be deleted."""
    return [
        f"{field} ({ref.partition(':')[2]})" for field, ref in profile.refs if not forget_ref(ref)
    ]
