"""How OpenClaw asks genesis for the credential (docs/openclaw.md): the exec secret provider
that runs this genesis, and what doctor checks on OpenClaw's side."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

from genesis_cli import __version__, fsutil, http, paths
from genesis_cli.config.config_file import get_path
from genesis_cli.config.schema import GENESIS_TIMEOUTS_MS
from genesis_cli.errors import GenesisError
from genesis_cli.providers import DEFAULT_ID, Provider
from genesis_cli.store.auth_store import Profile
from genesis_cli.warning_log import warn

# Copied into ``env`` when set here: settings and paths, never secrets.
_FIXED = ("GENESIS_HTTP_TIMEOUT", "PYTHON_KEYRING_BACKEND")
_FIXED_PATHS = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
                "XDG_CONFIG_HOME", "XDG_DATA_HOME")  # fmt: skip
_PASSABLE = re.compile(r"[A-Z][A-Z0-9_]{0,127}\Z")  # the names OpenClaw's passEnv accepts
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")
# passEnv: what belongs to the session or may hold a secret (a proxy URL can carry a password).
_SESSION = ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", *PROXY_VARIABLES)
# The most OpenClaw lets `auth token` run (its default of 5 s is shorter than one request).
# The request timeout handed to genesis is capped so that the lock wait, one request and a
# margin fit: a refresh is never killed between spending the token and saving its successor.
TIMEOUT_MS = 120000
_MARGIN_SECONDS = 10
_MAX_HTTP_SECONDS = TIMEOUT_MS // 1000 - fsutil.LOCK_TIMEOUT_SECONDS - _MARGIN_SECONDS


def secret_provider_name(provider: Provider) -> str:
    """The key under ``secrets.providers``: ``genesis`` for the default provider."""
    return "genesis" if provider.id == DEFAULT_ID else f"genesis-{provider.id}"


def _fit_for_openclaw(path: Path) -> str | None:
    """Why OpenClaw would refuse to run ``path``, or ``None``."""
    if "\0" in str(path):  # no file can have that name (os calls raise ValueError)
        return f"{str(path)!r} holds a NUL character"
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"{path}: {exc.strerror or type(exc).__name__}"
    if stat.S_ISLNK(info.st_mode):
        return f"{path} is a symlink"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file"
    if info.st_uid != os.getuid():
        return f"{path} belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o022:
        return f"{path} is writable by group or others"
    if not os.access(path, os.X_OK):
        return f"{path} is not executable"
    return _unsafe_folder(path)


def _unsafe_folder(path: Path) -> str | None:
    """Why a folder above ``path`` (as written, resolved, and above each symlink met on the
    way) or any folder a name is looked up in while resolving it (``..`` in a link target
    passes through folders above neither) would let someone else swap the program, or
    ``None``. A sticky folder others can write (``/tmp``) passes only above another folder:
    there, others cannot rename or remove what is not theirs."""
    links, looked_in = _on_the_way(path)
    hops = [path, *links, Path(os.path.realpath(path))]
    holders = {hop.parent for hop in hops}
    for folder in dict.fromkeys([*(f for hop in hops for f in hop.parents), *looked_in]):
        try:
            info = os.stat(folder)
        except OSError as exc:
            return f"{folder}: {exc.strerror or type(exc).__name__}"
        if info.st_uid not in (0, os.getuid()):
            return f"{folder} belongs to another user (uid {info.st_uid})"
        sticky_above = info.st_mode & stat.S_ISVTX and folder not in holders
        if info.st_mode & 0o022 and not sticky_above:
            return f"{folder} is writable by group or others"
    return None


def _on_the_way(path: Path) -> tuple[list[Path], list[Path]]:
    """The symlinks met while resolving the absolute ``path``, at most 40 (as Linux), and
    the folders each name on the way is looked up in."""
    links: list[Path] = []
    looked_in: list[Path] = []
    done, todo = Path(path.anchor), list(path.parts[1:])
    while todo and len(links) < 40:
        looked_in.append(done)
        step = Path(os.path.normpath(done / todo.pop(0)))  # ``done`` holds no link: '..' is plain
        try:
            target = Path(os.readlink(step))
        except OSError:  # not a link (or gone: the checks above say so)
            done = step
            continue
        links.append(step)
        todo[:0] = target.parts[1:] if target.is_absolute() else target.parts
        done = Path(target.anchor) if target.is_absolute() else done
    return links, looked_in


def genesis_command() -> tuple[str, list[str]]:
    """An absolute, non-symlink program that runs this genesis, and the arguments before
    genesis's own: the console script, else the real interpreter with ``-m genesis_cli``
    when it finds genesis by itself (a venv's is a link whose target sees no venv)."""
    argv0 = sys.argv[0] if sys.argv else ""
    scripts = [argv0] if os.path.basename(argv0) == "genesis" else []  # the program running
    scripts.append(os.path.join(os.path.dirname(sys.executable), "genesis"))  # a venv's bin
    problems = []
    for script in dict.fromkeys(Path(os.path.realpath(p)) for p in scripts if os.path.isfile(p)):
        why = _fit_for_openclaw(script)
        if why is None:
            return str(script), []
        problems.append(why)
    if sys.prefix == sys.base_prefix and sys.executable:
        interpreter = Path(os.path.realpath(sys.executable))
        why = _fit_for_openclaw(interpreter)
        if why is None and _runs_genesis(str(interpreter)):
            return str(interpreter), ["-m", "genesis_cli"]
        problems.append(why or f"{interpreter} -m genesis_cli does not run this genesis")
    elif not problems:
        problems.append(f"no `genesis` script beside {sys.executable} (a venv's python is a link)")
    raise GenesisError(
        f"OpenClaw could not run genesis to get the credential: {'; '.join(problems)}",
        hint="install genesis with pip or pipx so that its `genesis` script is a file of yours "
        "(e.g. pipx install genesis-cli), and run onboard from it",
    )


@functools.cache  # asked by the preflight and again when writing
def _runs_genesis(interpreter: str) -> bool:
    """Does ``interpreter -m genesis_cli`` run this genesis with only HOME set, as OpenClaw
    would run it?"""
    import subprocess  # only when no console script will do

    try:
        done = subprocess.run(
            [interpreter, "-m", "genesis_cli", "--version"],
            env={"HOME": str(paths.home())},
            cwd="/",
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and __version__ in done.stdout


def exec_provider(
    provider: Provider, profiles: dict[str, Profile], config: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The ``secrets.providers`` entry (name, value) that runs ``genesis auth token`` for
    ``provider``; a shorter ``timeoutMs`` the user set in ``config`` (kept) is warned about."""
    command, args = genesis_command()
    if provider.id != DEFAULT_ID:
        args += ["--provider", provider.id]
    args += ["auth", "token"]
    found: dict[str, str | Path] = {
        "HOME": paths.home(),
        "GENESIS_STATE_DIR": paths.state_dir(),
        "GENESIS_CONFIG_PATH": paths.config_path(),
    }
    urls = [("BASE_URL", provider.base_url)]  # only those set: the defaults are the child's too
    if provider.api_base_url_default is not None:
        urls.append(("API_BASE_URL", provider.api_base_url))
    if provider.sign_in is not None:
        urls.append(("OAUTH_BASE_URL", provider.oauth_base_url))
    for suffix, in_effect in urls:
        if os.environ.get(provider.env(suffix), "").strip():
            found[provider.env(suffix)] = in_effect()
    for variable in (*_FIXED, *_FIXED_PATHS):
        value = os.environ.get(variable, "").strip()
        if value:
            found[variable] = value
    seconds = http.http_timeout()
    if seconds > _MAX_HTTP_SECONDS:
        seconds = _MAX_HTTP_SECONDS
        found["GENESIS_HTTP_TIMEOUT"] = f"{seconds:g}"
        warn(
            f"GENESIS_HTTP_TIMEOUT is longer than OpenClaw lets genesis run (120 s, with "
            f"the wait for the refresh lock): genesis run by OpenClaw uses {seconds:g} s"
        )
    env = {  # paths made absolute; each value checked, for it goes into the config
        name: paths.absolute(name, Path(value))
        if isinstance(value, Path) or name in _FIXED_PATHS
        else paths.checked(name, value)
        for name, value in found.items()
    }
    pass_env = list(_SESSION)
    for name in _SESSION:
        if os.environ.get(name.lower()) and not os.environ.get(name):
            warn(
                f"{name.lower()} is set but {name} is not; OpenClaw passes upper-case names "
                f"only, so export {name} too for OpenClaw to reach genesis's endpoints"
            )
    for profile in profiles.values():
        if profile.provider != provider.id:
            continue
        for _, ref in profile.refs:
            name = ref.target
            if ref.kind != "env" or name in pass_env:
                continue
            if _PASSABLE.match(name):
                pass_env.append(name)
            else:
                warn(
                    f"profile {profile.id} reads its secret from ${name}, which OpenClaw "
                    "cannot pass on (it passes upper-case names only): rename the variable"
                )
    name = secret_provider_name(provider)
    entry = get_path(config, "secrets", "providers", name)
    timeout: Any = entry.get("timeoutMs") if isinstance(entry, dict) else None
    needed = int((fsutil.LOCK_TIMEOUT_SECONDS + seconds + _MARGIN_SECONDS) * 1000)
    # a timeout that is no whole positive number is replaced (and said) by link_credential
    if type(timeout) is int and 0 < timeout < needed and timeout not in GENESIS_TIMEOUTS_MS:
        warn(
            f"secrets.providers.{name}.timeoutMs is {timeout}, shorter than the {needed} ms "
            "genesis may take to refresh the token: OpenClaw could stop it halfway (raise it, "
            "or remove it to get genesis's)"
        )
    return name, {
        "source": "exec",
        "command": command,
        "args": args,
        "passEnv": pass_env,
        "env": env,
        "jsonOnly": False,
        "timeoutMs": TIMEOUT_MS,
    }


# --- what doctor looks at ----------------------------------------------------------------------


def shadowing_key(provider: Provider) -> tuple[str, str] | None:
    """When OpenClaw keeps its own key of ``provider`` (each agent's ``openclaw-agent.sqlite``
    or a legacy ``auth-profiles.json``; OpenClaw 2026.6.8 uses it before the config's
    ``apiKey``): what to say and the fix. Ids only, never the secrets."""
    configured = os.environ.get("OPENCLAW_STATE_DIR", "").strip()
    agents = (
        Path(configured).expanduser() if configured else paths.home() / ".openclaw"
    ) / "agents"
    try:
        folders = sorted(p / "agent" for p in agents.iterdir() if (p / "agent").is_dir())
    except OSError:
        return None
    found = []
    for folder in folders[:64]:  # every loop bounded
        for path in (folder / "openclaw-agent.sqlite", folder / "auth-profiles.json"):
            document = _read_store(path) if path.is_file() else None
            profiles = document.get("profiles") if isinstance(document, dict) else None
            ids = [
                key
                for key, entry in (profiles.items() if isinstance(profiles, dict) else [])
                if isinstance(entry, dict) and entry.get("provider") == provider.id
            ]
            if ids:
                found.append(f"{', '.join(ids)} in {path}")
    if not found:
        return None
    return (
        f"OpenClaw keeps its own {provider.display_name} key ({'; '.join(found)}); OpenClaw "
        "2026.6.8 uses it instead of genesis's credential",
        f"openclaw infer model auth logout --provider {provider.id} (removes OpenClaw's "
        "saved profiles of that provider; genesis keeps yours)",
    )


def _read_store(path: Path) -> Any:
    """OpenClaw's auth profile store at ``path`` (its sqlite database, or a legacy JSON file);
    ``None`` when it cannot be read."""
    import sqlite3  # only when OpenClaw has a store to look at

    text: str | bytes | None
    try:
        if path.suffix == ".json":
            text = fsutil.read_if_present(path)
        else:
            uri = f"{path.absolute().as_uri()}?mode=ro"
            with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=1)) as db:
                query = "SELECT store_json FROM auth_profile_store WHERE store_key = 'primary'"
                row = db.execute(query).fetchone()
            text = row[0] if row and isinstance(row[0], str) else None
        return json.loads(text) if text else None
    except (GenesisError, sqlite3.Error, ValueError, RecursionError):
        return None


def loosening_keys(data: dict[str, Any], provider: Provider) -> list[str]:
    """The keys of genesis's exec reference that make OpenClaw run a command it would refuse
    (genesis never writes them; onboarding again removes them)."""
    entry = get_path(data, "secrets", "providers", secret_provider_name(provider))
    keys = ("allowSymlinkCommand", "allowInsecurePath", "trustedDirs")
    return [k for k in keys if isinstance(entry, dict) and k in entry]


def reference_problem(data: dict[str, Any], provider: Provider) -> tuple[str, str] | None:
    """``None`` when the config has no exec reference of genesis's for ``provider``; else
    ("ok", what it runs) or ("fail", why OpenClaw could not run it)."""
    entry = get_path(data, "secrets", "providers", secret_provider_name(provider))
    if not isinstance(entry, dict) or entry.get("source") != "exec":
        return None
    command, args = entry.get("command"), entry.get("args")
    if not isinstance(command, str) or not os.path.isabs(command):
        return "fail", f"its command {command!r} is not an absolute path"
    why = _fit_for_openclaw(Path(command))
    if why is not None:
        return "fail", why
    return "ok", " ".join([command, *map(str, args if isinstance(args, list) else [])])
