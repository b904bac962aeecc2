"""Where a secret lives: in the auth store file, or referred to from it (``key = { keyring =
"genesis/chutes:default/key" }``, ``key = { env = "NAME" }``). ``keyring`` is imported only
when a keyring entry is read or written."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NamedTuple

from genesis_cli.errors import AuthError, GenesisError, UsageError
from genesis_cli.text import sendable
from genesis_cli.warning_log import warn

if TYPE_CHECKING:
    from genesis_cli.store.auth_store import Profile

SERVICE = "genesis"
SECRET_FIELDS = ("key", "access", "refresh", "client_secret")
STORE_ENV = "GENESIS_SECRET_STORE"


class SecretRef(NamedTuple):  # not a dataclass: ~0.5 ms less for `auth token`
    """A secret kept outside the store: ``keyring`` (target ``genesis/<entry>``) or ``env``
    (a variable name); any other shape read is ``invalid``, refused (exit 3) when used."""

    kind: str
    target: str = ""

    @classmethod
    def parse(cls, table: Any) -> SecretRef:
        if isinstance(table, dict) and len(table) == 1:
            ((kind, target),) = table.items()
            usable = isinstance(target, str) and 0 < len(target) <= 256 and target.isprintable()
            if kind in ("keyring", "env") and usable:
                return cls(kind, target)
        return cls("invalid")

    def table(self) -> dict[str, str]:
        return {self.kind: self.target}

    @classmethod
    def keyring(cls, entry: str) -> SecretRef:
        return cls("keyring", f"{SERVICE}/{entry}")

    @property
    def entry(self) -> str | None:
        """The name of one of genesis's keyring entries; ``None`` for anything else."""
        if self.kind == "keyring" and self.target.startswith(f"{SERVICE}/"):
            return self.target.removeprefix(f"{SERVICE}/")
        return None


class KeyringUnavailable(GenesisError):
    """The OS keyring cannot be used here; the message says why."""


def chosen_store(flag: str | None) -> str:
    value = (flag or os.environ.get(STORE_ENV, "") or "file").strip()
    if value not in ("file", "keyring"):
        raise UsageError(
            f"{STORE_ENV}={value!r} is not a secret store genesis knows",
            hint="use file or keyring",
        )
    return value


def entry_name(profile_id: str, field: str) -> str:
    return f"{profile_id}/{field}"


def _keyring(method: str, doing: str, *args: str) -> Any:
    """Call ``method`` of the OS keyring's backend on genesis's service (``doing``: what for)."""
    try:
        import keyring  # lazy: ~200 ms of backend discovery, only for keyring users
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
    try:
        return getattr(backend, method)(SERVICE, *args)
    except Exception as exc:  # every backend raises its own kinds
        kind = type(exc).__name__
        why = "the keyring is locked" if "Locked" in kind else f"{kind}: {str(exc)[:120]}"
        raise KeyringUnavailable(
            f"the OS keyring failed while {doing} ({why})",
            hint="unlock the keyring (log in to the desktop), or use --secret-store file",
        ) from None


def put(name: str, value: str) -> None:
    _keyring("set_password", "storing a secret", name, value)


def get(name: str) -> str | None:
    value = _keyring("get_password", "reading a secret", name)
    return value if isinstance(value, str) else None


def delete(name: str) -> bool:
    """Best effort: ``False`` when the entry was not there or could not be deleted."""
    try:
        _keyring("delete_password", "deleting a secret", name)
    except Exception:
        return False
    return True


def probe() -> None:
    """Write, read back and delete a probe entry; raise ``KeyringUnavailable`` saying why."""
    import secrets  # ~3.5 ms (random, hashlib): only before the keyring stores a secret

    name, value = f"probe-{secrets.token_hex(6)}", secrets.token_urlsafe(12)
    put(name, value)
    try:
        if get(name) != value:
            raise KeyringUnavailable("the OS keyring did not give back what was stored")
    finally:
        delete(name)


def resolve(profile: Profile) -> Profile:
    """``profile`` with every referenced secret read (env or keyring), references kept."""
    values = {
        field: resolve_ref(profile.id, field, ref)
        for field, ref in profile.refs
        if not getattr(profile, field, None)  # not read yet in this process
    }
    return profile.with_changes(**values) if values else profile


def resolve_ref(profile_id: str, field: str, ref: SecretRef) -> str:
    """The secret ``ref`` stands for; a missing one is exit 3 naming ``profile_id``."""
    fix = "sign in again: genesis onboard"
    if ref.kind == "env":
        value = os.environ.get(ref.target, "").strip()
        if not value:
            raise AuthError(
                f"profile {profile_id}: its {field} comes from ${ref.target}, which is not set",
                hint=f"set {ref.target}, or {fix}",
            )
    elif ref.entry is not None:
        try:
            found = get(ref.entry)
        except KeyringUnavailable as exc:
            raise AuthError(f"profile {profile_id}: {exc.message}", hint=exc.hint) from None
        if found is None:
            raise AuthError(
                f"profile {profile_id}: its {field} should be in the OS keyring ({ref.target}), "
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
    return {
        field: "file" if ref is None else f"env:{ref.target}" if ref.kind == "env" else ref.kind
        for field in SECRET_FIELDS
        if (ref := refs.get(field)) is not None or getattr(profile, field, None)
    }


def stash(profile: Profile, *, all_fields: bool) -> Profile:
    """Move secrets of ``profile`` into the keyring, leaving references. With ``all_fields``
    (onboarding to the keyring) every secret goes, and a failure raises, having deleted what
    this call stored. Otherwise (a refresh) only those already in the keyring go there, and
    one that cannot is kept in the file, with a warning: a new refresh token is never lost."""
    refs = dict(profile.refs)
    changes: dict[str, Any] = {}
    for field in SECRET_FIELDS:
        value, current = getattr(profile, field), refs.get(field)
        if not value or not (all_fields or (current and current.kind == "keyring")):
            continue
        name = entry_name(profile.id, field)
        try:
            put(name, value)
        except KeyringUnavailable as exc:
            if all_fields:
                for done in changes:
                    delete(entry_name(profile.id, done))
                raise
            refs.pop(field, None)
            warn(f"{exc.message}; kept the new {field} of {profile.id} in the auth store file")
            continue
        refs[field] = SecretRef.keyring(name)
        changes[field] = None
    return profile.with_changes(refs=tuple(sorted(refs.items())), **changes)


def forget_ref(ref: SecretRef) -> bool:
    """Delete the keyring entry ``ref`` names, if it names one; ``False`` when that failed."""
    return ref.entry is None or delete(ref.entry)


def forget(profile: Profile) -> list[str]:
    """Delete the keyring entries of ``profile``; the references that could not be deleted."""
    return [f"{field} ({ref.target})" for field, ref in profile.refs if not forget_ref(ref)]
