"""The auth store: ``<state>/auth-profiles.toml``, secrets on disk with mode 0600.

Read with the standard library's ``tomllib`` (fast); changed with ``tomlkit`` under a
cross-process lock, so comments and unknown fields survive, and written atomically.
A store that does not parse or has wrong types is reported (exit 4) and never overwritten.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from genesis_cli import fsutil, paths
from genesis_cli.coerce import structure_problem
from genesis_cli.errors import ConfigError
from genesis_cli.fsutil import (
    atomic_write,
    ensure_private_dir,
    locked,
    probe_write,
    read_if_present,
    reported_write_errors,
)
from genesis_cli.paths import lock_path
from genesis_cli.store.vault import SECRET_FIELDS, SecretRef
from genesis_cli.text import sendable
from genesis_cli.warning_log import warn

T = TypeVar("T")
STORE_VERSION = 1
_LATEST_EXPIRY = 253402300799  # 9999-12-31T23:59:59Z
_HINT_INVALID = "fix the file by hand or move it away (genesis never overwrites it)"

# A profile's TOML keys (its attributes too) and their types, in the order they are written.
_FIELDS: dict[str, type] = {
    "type": str,
    "provider": str,
    "key": str,
    "access": str,
    "refresh": str,
    "expires_at": int,
    "client_id": str,
    "client_secret": str,
    "scopes": list,
    "username": str,
}


@dataclass(frozen=True)
class Profile:
    id: str
    type: Literal["api_key", "oauth"]
    provider: str
    key: str | None = None
    access: str | None = None
    refresh: str | None = None
    expires_at: int | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scopes: tuple[str, ...] = ()
    username: str | None = None
    refs: tuple[tuple[str, SecretRef], ...] = ()  # (field, where it is kept instead)

    @property
    def secret(self) -> str | None:
        return self.key if self.type == "api_key" else self.access

    def with_changes(self, **changes: Any) -> Profile:
        return replace(self, **changes)

    def __repr__(self) -> str:  # secrets stay out of tracebacks and logs
        return f"Profile(id={self.id!r}, type={self.type!r}, username={self.username!r})"


@dataclass(frozen=True)
class OAuthApp:
    """The user's own "Sign in with Chutes" app, stored as ``[clients.<provider>]``."""

    provider: str
    client_id: str
    client_secret: str
    app_id: str | None = None
    redirect_uri: str | None = None
    name: str | None = None
    secret_ref: SecretRef | None = None  # when the secret is kept in the keyring

    def __repr__(self) -> str:
        return f"OAuthApp(client_id={self.client_id!r}, app_id={self.app_id!r})"


# An OAuthApp's TOML keys (its attributes too), in the order they are written.
_CLIENT_FIELDS = ("app_id", "client_id", "client_secret", "redirect_uri", "name")


@dataclass
class Store:
    path: Path
    profiles: dict[str, Profile] = field(default_factory=dict)
    exists: bool = False
    clients: dict[str, OAuthApp] = field(default_factory=dict)


def _invalid(path: Path, what: str) -> ConfigError:
    return ConfigError(f"{path}: {what}", hint=_HINT_INVALID)


def _profile_from(path: Path, profile_id: str, table: Any) -> Profile:
    if not isinstance(table, dict):
        raise _invalid(path, f"profile {profile_id!r} is not a table")
    values: dict[str, Any] = {}
    refs: list[tuple[str, SecretRef]] = []
    for key, expected in _FIELDS.items():
        if key not in table:
            continue
        value: Any = table[key]
        if key in SECRET_FIELDS and isinstance(value, dict):
            refs.append((key, SecretRef.parse(value)))
            continue
        if isinstance(value, bool) or not isinstance(value, expected):
            raise _invalid(path, f"profile {profile_id!r}: {key!r} has the wrong type")
        if isinstance(value, list):
            if not all(isinstance(s, str) for s in value):
                raise _invalid(path, f"profile {profile_id!r}: 'scopes' must be strings")
            value = tuple(value)
        values[key] = value
    expires_at = values.get("expires_at")
    if expires_at is not None and not 0 <= expires_at <= _LATEST_EXPIRY:
        raise _invalid(path, f"profile {profile_id!r}: 'expires_at' is not a time genesis wrote")
    kind = values.get("type")
    if kind not in ("api_key", "oauth"):
        raise _invalid(path, f'profile {profile_id!r}: \'type\' must be "api_key" or "oauth"')
    if not isinstance(values.get("provider"), str):
        raise _invalid(path, f"profile {profile_id!r}: 'provider' is missing")
    needed = "key" if kind == "api_key" else "access"
    if not values.get(needed) and needed not in dict(refs):
        raise _invalid(path, f"profile {profile_id!r}: {needed!r} is missing")
    for secret in SECRET_FIELDS:
        if secret in values and not sendable(values[secret]):
            raise _invalid(path, f"profile {profile_id!r}: {secret!r} is not a usable secret")
    return Profile(id=profile_id, refs=tuple(sorted(refs)), **values)


def _loose_mode_warning(path: Path) -> None:
    """Reading never changes a file's mode; the next write makes the store 0600 again."""
    try:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
    except OSError:
        return
    if mode & 0o077:
        warn(f"{path} is readable by others (mode {mode:o}): run `chmod 600 {path}`")


def load() -> Store:
    return _load(paths.auth_store_path())[0]


def _load(path: Path) -> tuple[Store, bytes | None]:
    """The store and its bytes, read once through the hardened reader (no links, no FIFO)."""
    raw = read_if_present(path, follow=False)
    if raw is None:
        return Store(path=path), None
    _loose_mode_warning(path)
    profiles, clients = _parse(path, raw)
    return Store(path=path, profiles=profiles, exists=True, clients=clients), raw


def _client_from(path: Path, provider: str, table: Any) -> OAuthApp:
    if not isinstance(table, dict):
        raise _invalid(path, f"[clients.{provider}] is not a table")
    values: dict[str, str] = {}
    secret_ref = None
    for key in _CLIENT_FIELDS:
        value = table.get(key)
        if value is None:
            continue
        if key == "client_secret" and isinstance(value, dict):
            secret_ref = SecretRef.parse(value)
            values[key] = ""
            continue
        if not isinstance(value, str):
            raise _invalid(path, f"[clients.{provider}]: {key!r} must be a string")
        values[key] = value
    for needed in ("client_id", "client_secret"):
        if not values.get(needed) and not (needed == "client_secret" and secret_ref):
            raise _invalid(path, f"[clients.{provider}]: {needed!r} is missing")
    return OAuthApp(provider=provider, secret_ref=secret_ref, **values)


def _parse(path: Path, raw: bytes) -> tuple[dict[str, Profile], dict[str, OAuthApp]]:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _invalid(path, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise _invalid(path, str(exc)) from None
    except (ValueError, RecursionError):  # an integer of thousands of digits, deep nesting
        raise _invalid(path, "holds a number or nesting no auth store has") from None
    problem = structure_problem(data)
    if problem is not None:
        raise _invalid(path, problem)
    version = data.get("version", STORE_VERSION)
    if version != STORE_VERSION:
        raise _invalid(path, f"store version {version!r} is not one this genesis understands")
    tables = data.get("profiles", {})
    if not isinstance(tables, dict):
        raise _invalid(path, "'profiles' must be a table")
    clients = data.get("clients", {})
    if not isinstance(clients, dict):
        raise _invalid(path, "'clients' must be a table")
    return (
        {pid: _profile_from(path, pid, table) for pid, table in tables.items()},
        {name: _client_from(path, name, table) for name, table in clients.items()},
    )


def _write_fields(table: Any, profile: Profile) -> None:
    refs = dict(profile.refs)
    for key in _FIELDS:
        value = getattr(profile, key)
        if key in refs:  # a reference, never the value it stands for
            table[key] = _inline(refs[key])
        elif value is None or (key == "scopes" and not value):
            table.pop(key, None)
        else:
            table[key] = list(value) if key == "scopes" else value


def update(change: Callable[[dict[str, Profile]], T]) -> T:
    """Let ``change`` mutate the profiles, under the store's lock; only the profiles it
    added, changed or removed are touched in the file."""

    def edit(store: Store, document: Any) -> tuple[T, bool]:
        before = store.profiles
        after = dict(before)
        result = change(after)
        if after == before:
            return result, False
        tables = _super_table(document, "profiles")
        for profile_id in before.keys() - after.keys():
            del tables[profile_id]
        for profile_id, profile in after.items():
            if before.get(profile_id) == profile:
                continue
            if profile_id not in tables:
                import tomlkit

                tables[profile_id] = tomlkit.table()
            _write_fields(tables[profile_id], profile)
        return result, True

    return _edit(edit)


def set_client(provider: str, app: OAuthApp | None) -> None:

    def edit(store: Store, document: Any) -> tuple[None, bool]:
        if store.clients.get(provider) == app:
            return None, False
        tables = _super_table(document, "clients")
        if app is None:
            del tables[provider]
            return None, True
        import tomlkit

        table = tomlkit.table()
        for key in _CLIENT_FIELDS:
            value = getattr(app, key)
            if key == "client_secret" and app.secret_ref:
                value = _inline(app.secret_ref)
            if value is not None:
                table[key] = value
        tables[provider] = table
        return None, True

    _edit(edit)


def check_paths() -> None:
    """Exit 4 now if writing the store would be refused (its directory, the file, its lock)."""
    path = paths.auth_store_path()
    fsutil.check_writable(path, lock_path(path), paths.refresh_lock_path())


def check_writable(room: int = 16384) -> None:
    """Exit 4 unless the store could be rewritten now, ``room`` bytes bigger than it is:
    asked before a refresh spends the refresh token, whose successor must then be saved."""
    path = paths.auth_store_path()
    with reported_write_errors(path):
        ensure_private_dir(path.parent)
        size = path.stat().st_size if path.exists() else 0
        probe_write(path, size + room)


def _inline(ref: SecretRef) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    table.update(ref.table())
    return table


def _super_table(document: Any, name: str) -> Any:
    import tomlkit

    tables = document.get(name)
    if tables is None:
        tables = tomlkit.table(is_super_table=True)
        document[name] = tables
    return tables


def _edit(edit: Callable[[Store, Any], tuple[T, bool]]) -> T:
    """``edit(store, tomlkit document)`` under the store's lock; the document is written
    atomically when ``edit`` says it changed it."""
    import tomlkit

    path = paths.auth_store_path()
    with reported_write_errors(path):
        ensure_private_dir(path.parent)
        with locked(path):
            store, raw = _load(path)
            document = tomlkit.parse(raw.decode()) if raw is not None else tomlkit.document()
            if "version" not in document:
                document["version"] = STORE_VERSION  # first, before any table
            result, changed = edit(store, document)
            if not changed:
                return result
            atomic_write(path, tomlkit.dumps(document))
            return result
