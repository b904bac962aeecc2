"""The auth store, ``<state>/auth-profiles.toml`` (mode 0600): read through the hardened reader;
changed with tomlkit (comments and unknown fields survive) under a cross-process lock, written
atomically. A store that does not parse or has wrong types is exit 4, and never overwritten."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar

from genesis_cli import fsutil, paths
from genesis_cli.coerce import structure_problem
from genesis_cli.errors import ConfigError
from genesis_cli.fsutil import atomic_write
from genesis_cli.store.vault import SECRET_FIELDS, SecretRef
from genesis_cli.text import sendable
from genesis_cli.warning_log import warn

if TYPE_CHECKING:
    from pathlib import Path

T = TypeVar("T")
STORE_VERSION = 1
_LATEST_EXPIRY = 253402300799  # 9999-12-31T23:59:59Z


# NamedTuples, not dataclasses: ~2 ms less for `auth token`, which reads the store.
class Profile(NamedTuple):
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
        return self._replace(**changes)

    def __repr__(self) -> str:  # secrets stay out of tracebacks and logs
        return f"Profile(id={self.id!r}, type={self.type!r}, username={self.username!r})"


class OAuthApp(NamedTuple):
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


class Store(NamedTuple):
    profiles: dict[str, Profile]
    clients: dict[str, OAuthApp]
    exists: bool


# The TOML keys of a profile (between its id and refs) and of an app, in the order written.
_FIELDS = Profile._fields[1:-1]
_CLIENT_FIELDS = ("app_id", "client_id", "client_secret", "redirect_uri", "name")
_TYPES: dict[str, type] = {"expires_at": int, "scopes": tuple}  # any other: a string


def _invalid(path: Path | str, what: str) -> ConfigError:
    return ConfigError(
        f"{path}: {what}", hint="fix the file by hand or move it away (genesis never overwrites it)"
    )


# The layout genesis writes (tomlkit's): `[profiles."id"]` or `[clients.id]` headers and
# `key = "text"`, small integer or `["text", ...]` lines, with nothing to unescape. Such a store
# is read line by line, as tomllib reads it; any other line sends the whole file to tomllib.
_STRING = r'"[^"\\\x00-\x1f\x7f]*"'
_HEADER = re.compile(rf"\[(profiles|clients)\.(?:([A-Za-z0-9_-]+)|({_STRING}))\]")
_PAIR = re.compile(
    rf"([A-Za-z0-9_-]+) = (?:({_STRING})|(0|[1-9][0-9]{{0,17}})|\[({_STRING}(?:, {_STRING})*)?\])"
)


def _plain_toml(text: str) -> dict[str, Any] | None:
    """``text`` as tomllib would parse it, when it is in genesis's own layout; else ``None``."""
    data: dict[str, Any] = {}
    table = data
    for line in text.split("\n"):
        if header := _HEADER.fullmatch(line):
            tables = data.setdefault(header[1], {})
            name = header[2] or header[3][1:-1]
            if not isinstance(tables, dict) or name in tables:
                return None
            table = tables[name] = {}
        elif pair := _PAIR.fullmatch(line):
            key, string, number, array = pair.groups()
            if key in table:
                return None
            if string is not None:
                table[key] = string[1:-1]
            elif number is not None:
                table[key] = int(number)
            else:
                table[key] = re.findall(r'"([^"]*)"', array or "")
        elif line:
            return None
    return data


def _toml(path: Path | str, raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise _invalid(path, "not UTF-8 text") from None
    data = _plain_toml(text)
    if data is not None:
        return data
    import tomllib  # ~1.7 ms: only for a store in another layout than genesis writes

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _invalid(path, str(exc)) from None
    except (ValueError, RecursionError):  # an integer of thousands of digits, deep nesting
        raise _invalid(path, "holds a number or nesting no auth store has") from None


def _values(
    path: Path | str, where: str, table: Any, keys: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, SecretRef]]:
    """The typed values of ``keys`` in a profile's or app's table, and its secret references."""
    if not isinstance(table, dict):
        raise _invalid(path, f"{where} is not a table")
    values: dict[str, Any] = {}
    refs: dict[str, SecretRef] = {}
    for key in keys:
        value = table.get(key)
        if value is None:
            continue
        if key in SECRET_FIELDS and isinstance(value, dict):
            refs[key] = SecretRef.parse(value)
            continue
        if isinstance(value, list) and all(isinstance(s, str) for s in value):
            value = tuple(value)
        if isinstance(value, bool) or not isinstance(value, _TYPES.get(key, str)):
            raise _invalid(path, f"{where}: {key!r} has the wrong type")
        values[key] = value
    return values, refs


def _profile(path: Path | str, profile_id: str, table: Any) -> Profile:
    where = f"profile {profile_id!r}"
    values, refs = _values(path, where, table, _FIELDS)
    if not 0 <= values.get("expires_at", 0) <= _LATEST_EXPIRY:
        raise _invalid(path, f"{where}: 'expires_at' is not a time genesis wrote")
    kind = values.get("type")
    if kind not in ("api_key", "oauth"):
        raise _invalid(path, f'{where}: \'type\' must be "api_key" or "oauth"')
    if "provider" not in values:
        raise _invalid(path, f"{where}: 'provider' is missing")
    needed = "key" if kind == "api_key" else "access"
    if not values.get(needed) and needed not in refs:
        raise _invalid(path, f"{where}: {needed!r} is missing")
    for secret in SECRET_FIELDS:
        if secret in values and not sendable(values[secret]):
            raise _invalid(path, f"{where}: {secret!r} is not a usable secret")
    return Profile(id=profile_id, refs=tuple(sorted(refs.items())), **values)


def _client(path: Path | str, provider: str, table: Any) -> OAuthApp:
    where = f"[clients.{provider}]"
    values, refs = _values(path, where, table, _CLIENT_FIELDS)
    for needed in ("client_id", "client_secret"):
        if not values.get(needed) and needed not in refs:
            raise _invalid(path, f"{where}: {needed!r} is missing")
    values.setdefault("client_secret", "")  # kept in the keyring
    return OAuthApp(provider=provider, secret_ref=refs.get("client_secret"), **values)


def load() -> Store:
    return _load(paths.auth_store_file())[0]


def _load(path: Path | str) -> tuple[Store, bytes | None]:
    """The store and its bytes, read once through the hardened reader (no links, no FIFO)."""
    raw = fsutil.read_if_present(path, follow=False)
    if raw is None:
        return Store({}, {}, False), None
    with contextlib.suppress(OSError):  # reading never changes the mode; the next write does
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        if mode & 0o077:
            fix = f"chmod 600 {fsutil.shell_path(path)}"
            warn(f"{path} is readable by others (mode {mode:o}): run `{fix}`")
    data = _toml(path, raw)
    problem = structure_problem(data)
    if problem is not None:
        raise _invalid(path, problem)
    version = data.get("version", STORE_VERSION)
    if version != STORE_VERSION:
        raise _invalid(path, f"store version {version!r} is not one this genesis understands")
    profiles, clients = data.get("profiles", {}), data.get("clients", {})
    for name, tables in (("profiles", profiles), ("clients", clients)):
        if not isinstance(tables, dict):
            raise _invalid(path, f"{name!r} must be a table")
    return Store(
        {pid: _profile(path, pid, table) for pid, table in profiles.items()},
        {name: _client(path, name, table) for name, table in clients.items()},
        True,
    ), raw


@contextlib.contextmanager
def _editing() -> Iterator[tuple[Store, Any]]:
    """The store and its tomlkit document under the store's lock; written if the body changed it."""
    import tomlkit  # only commands that change the store

    path = paths.auth_store_path()
    with fsutil.reported_write_errors(path):
        fsutil.ensure_private_dir(path.parent)
        with fsutil.locked(path):
            store, raw = _load(path)
            document = tomlkit.parse(raw.decode()) if raw is not None else tomlkit.document()
            if "version" not in document:
                document["version"] = STORE_VERSION  # first, before any table
            before = document.as_string()
            yield store, document
            after = document.as_string()
            if after != before:
                atomic_write(path, after)


def _write(document: Any, kind: str, name: str, values: dict[str, Any], fresh: bool) -> None:
    """Set ``values`` in ``[kind.name]`` (a new table when ``fresh``) in order: ``None`` or
    ``()`` removes a key; a ``SecretRef`` is written, never the value it stands for."""
    import tomlkit  # only commands that change the store (as in _editing)

    if kind not in document:
        document[kind] = tomlkit.table(is_super_table=True)
    if fresh or name not in document[kind]:
        document[kind][name] = tomlkit.table()
    table = document[kind][name]
    for key, value in values.items():
        if isinstance(value, SecretRef):
            table[key] = tomlkit.inline_table()
            table[key].update(value.table())
        elif value is None or value == ():
            table.pop(key, None)
        else:
            table[key] = list(value) if isinstance(value, tuple) else value


def update(change: Callable[[dict[str, Profile]], T]) -> T:
    """Let ``change`` mutate the profiles under the lock; only those it changed are rewritten."""
    with _editing() as (store, document):
        profiles = dict(store.profiles)
        result = change(profiles)
        for profile_id in store.profiles.keys() - profiles.keys():
            del document["profiles"][profile_id]
        for profile_id, profile in profiles.items():
            if store.profiles.get(profile_id) != profile:
                refs = dict(profile.refs)
                values = {key: refs.get(key, getattr(profile, key)) for key in _FIELDS}
                _write(document, "profiles", profile_id, values, fresh=False)
    return result


def set_client(provider: str, app: OAuthApp | None) -> None:
    """Store ``app`` as the provider's ``[clients.<provider>]``, or remove it (``None``)."""
    with _editing() as (store, document):
        if store.clients.get(provider) == app:
            return
        if app is None:
            del document["clients"][provider]
            return
        values = {key: getattr(app, key) for key in _CLIENT_FIELDS}
        values["client_secret"] = app.secret_ref or app.client_secret
        _write(document, "clients", provider, values, fresh=True)


def check_paths() -> None:
    """Exit 4 now if writing the store would be refused (its directory, the file, its lock)."""
    path = paths.auth_store_path()
    fsutil.check_writable(path, paths.lock_path(path), paths.refresh_lock_path())


def check_writable(room: int = 16384) -> None:
    """Exit 4 unless the store could be rewritten now, ``room`` bytes bigger than it is:
    asked before a refresh spends the refresh token, whose successor must then be saved."""
    path = paths.auth_store_path()
    with fsutil.reported_write_errors(path):
        fsutil.ensure_private_dir(path.parent)
        fsutil.probe_write(path, (path.stat().st_size if path.exists() else 0) + room)
