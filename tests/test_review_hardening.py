"""Hardening found by an adversarial review: debug tracebacks, undecodable environment
values, OpenClaw's exec reference, the refresh write probe, verify's server text, TEE checks."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import GOOD_KEY
from tests.helpers import invoke as run

_HOSTILE_STATUS = b"HTTP/1.1 502 \x1b]52;c;SGFja2Vk\x07\x1b[2JEVIL cpk_abcdef0123456789\r\n"


@pytest.fixture
def hostile_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """An HTTP proxy on 127.0.0.1 that answers every CONNECT with a status line carrying
    terminal escapes (OSC 52 clipboard write, CSI clear screen) and a key-shaped word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(10)
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        for _ in range(20):  # bounded: a test makes a few connections at most
            if stop.is_set():
                return
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    conn.sendall(_HOSTILE_STATUS + b"Content-Length: 0\r\n\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    # Not loopback hosts: loopback never goes through a proxy.
    monkeypatch.setenv("CHUTES_BASE_URL", "https://llm.test.invalid/v1")
    monkeypatch.setenv("CHUTES_API_BASE_URL", "https://api.test.invalid")
    yield port
    stop.set()
    with contextlib.suppress(OSError):
        server.shutdown(
            socket.SHUT_RDWR
        )  # wakes the accept() waiting in serve (close alone does not)
    server.close()
    thread.join(5)
    assert not thread.is_alive()


def _clean(text: str) -> bool:
    return "\x1b" not in text and "\x07" not in text and "cpk_abcdef0123456789" not in text


@pytest.mark.parametrize("debug", ["", "1"])
def test_a_proxy_status_line_with_escapes_reaches_stderr_clean(
    hostile_proxy: int, monkeypatch: pytest.MonkeyPatch, debug: str
) -> None:
    monkeypatch.setenv("GENESIS_DEBUG", debug)
    monkeypatch.setenv("CHUTES_API_KEY", GOOD_KEY)
    result = run("account")
    assert result.exit_code != 0
    assert _clean(result.stderr), repr(result.stderr)
    assert "proxy" in result.stderr
    if debug:
        assert "Traceback" in result.stderr
        assert "\n" in result.stderr.strip()  # still a traceback: lines kept


_HOSTILE_MESSAGE = (
    "Tunnel connection failed: 502 \x1b]52;c;SGFja2Vk\x07\x1b[2JEVIL cpk_abcdef0123456789"
)


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_debug_traceback_is_sanitised_and_redacted(
    monkeypatch: pytest.MonkeyPatch, wrapped: bool
) -> None:
    """GENESIS_DEBUG=1 shows the traceback, but an exception message quoting a server (a
    proxy's status line) or a key passes the terminal filter and the redaction first."""
    from genesis_cli.errors import GenesisError
    from genesis_cli.flows import credentials

    def fails(*args: object, **kwargs: object) -> None:
        if not wrapped:
            raise OSError(_HOSTILE_MESSAGE)
        try:
            raise OSError(_HOSTILE_MESSAGE)
        except OSError as exc:
            raise GenesisError("could not connect") from exc

    monkeypatch.setattr(credentials, "required", fails)
    monkeypatch.setenv("GENESIS_DEBUG", "1")
    result = run("account")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "Tunnel connection failed: 502" in result.stderr
    assert result.stderr.count("\n") > 3  # the traceback keeps its lines
    assert _clean(result.stderr), repr(result.stderr)
    assert "cpk_[redacted]" in result.stderr


# --- environment values that are no path: undecodable bytes, control characters ----------

_ONBOARD = (
    "onboard",
    "--auth-choice",
    "chutes-api-key",
    "--api-key-stdin",
    "--non-interactive",
)


def assert_onboarding_refused_before_writing(tmp_path: Path, name: str) -> None:
    """Onboarding exits 2 naming ``$name``, cleanly, and nothing under ``tmp_path`` changed."""
    from tests.helpers import snapshot

    before = snapshot(tmp_path)
    result = run(*_ONBOARD, input=GOOD_KEY + "\n")
    assert result.exit_code == 2, result.stderr
    assert name in result.stderr
    assert "\x1b" not in result.stderr and "bug in genesis" not in result.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GENESIS_STATE_DIR", "/st\udcffx"),  # the byte 0xff, as Python reads it
        ("GENESIS_STATE_DIR", "/st\x1b[2Jx"),
        ("GENESIS_CONFIG_PATH", "/cfg\udcff.json"),
        ("GENESIS_CONFIG_PATH", "/cfg\n.json"),
        ("HOME", "/home\udcffx"),
    ],
)
def test_a_path_variable_that_is_no_text_is_refused_before_anything_is_written(
    tmp_path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    if name == "HOME":
        monkeypatch.delenv("GENESIS_STATE_DIR")
    monkeypatch.setenv(name, str(tmp_path) + value)
    assert_onboarding_refused_before_writing(tmp_path, name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_a_unicode_error_while_writing_is_a_write_error(tmp_path) -> None:
    from genesis_cli.errors import ConfigError, ExitCode
    from genesis_cli.fsutil import reported_write_errors

    with pytest.raises(ConfigError) as caught, reported_write_errors(tmp_path / "f"):
        "\udcff".encode()
    assert caught.value.exit_code == ExitCode.CONFIG
    assert str(tmp_path / "f") in caught.value.message


@pytest.mark.parametrize("scopes", ["openid \udcff", "openid \x1b[2J", 'openid "x"'])
def test_scopes_from_the_environment_are_checked(
    monkeypatch: pytest.MonkeyPatch, scopes: str
) -> None:
    from genesis_cli.errors import UsageError
    from genesis_cli.oauth import protocol
    from genesis_cli.providers.chutes import PROVIDER as CHUTES

    monkeypatch.setenv("CHUTES_OAUTH_SCOPES", scopes)
    with pytest.raises(UsageError) as caught:
        protocol.client_from_env(CHUTES, "cid_x", None)
    assert "CHUTES_OAUTH_SCOPES" in caught.value.message
    assert "\x1b" not in caught.value.message and "\udcff" not in caught.value.message


# --- the program OpenClaw runs: its folders too -----------------------------------------------


def _script(folder) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "genesis"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    return str(script)


def _reference(command: str) -> tuple[str, str] | None:
    from genesis_cli.flows import openclaw
    from genesis_cli.providers.chutes import PROVIDER as CHUTES

    entry = {"source": "exec", "command": command, "args": ["auth", "token"]}
    return openclaw.reference_problem({"secrets": {"providers": {"genesis": entry}}}, CHUTES)


def test_a_program_in_a_safe_folder_chain_is_fit(tmp_path) -> None:
    command = _script(tmp_path / "venv" / "bin")
    assert _reference(command) == ("ok", f"{command} auth token")


@pytest.mark.parametrize("level", ["bin", "venv"])
def test_a_program_below_a_group_or_world_writable_folder_is_refused(tmp_path, level) -> None:
    command = _script(tmp_path / "venv" / "bin")
    loose = tmp_path / "venv" / "bin" if level == "bin" else tmp_path / "venv"
    loose.chmod(0o777)
    found = _reference(command)
    assert found is not None and found[0] == "fail"
    assert str(loose) in found[1] and "writable" in found[1]


def test_a_program_below_a_folder_of_another_user_is_refused(tmp_path) -> None:
    command = _script(tmp_path / "venv" / "bin")
    os.chown(tmp_path / "venv", 65534, 65534)
    found = _reference(command)
    assert found is not None and found[0] == "fail"
    assert str(tmp_path / "venv") in found[1] and "another user" in found[1]


def test_a_sticky_shared_folder_is_fit_only_above_a_private_one(tmp_path) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp
    found = _reference(_script(shared))
    assert found is not None and found[0] == "fail" and str(shared) in found[1]
    private = shared / "me"
    private.mkdir(mode=0o700)
    assert _reference(_script(private / "bin"))[0] == "ok"  # type: ignore[index]


@pytest.mark.parametrize("relative", [False, True])
def test_the_folder_of_an_intermediate_symlink_hop_is_checked(tmp_path, relative) -> None:
    """safe/link -> loose/hop -> real: whoever can write loose/ can repoint hop at a genesis
    of their own, though neither the path as written nor the resolved one passes there."""
    _script(tmp_path / "real" / "bin")
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose").chmod(0o777)
    (tmp_path / "loose" / "hop").symlink_to("../real" if relative else tmp_path / "real")
    (tmp_path / "safe").mkdir()
    (tmp_path / "safe" / "link").symlink_to("../loose/hop" if relative else tmp_path / "loose/hop")
    found = _reference(str(tmp_path / "safe" / "link" / "bin" / "genesis"))
    assert found == ("fail", f"{tmp_path / 'loose'} is writable by group or others")
    (tmp_path / "loose").chmod(0o700)
    assert _reference(str(tmp_path / "safe" / "link" / "bin" / "genesis"))[0] == "ok"  # type: ignore[index]


@pytest.mark.parametrize("relative", [False, True])
def test_a_folder_a_link_target_passes_through_with_dotdot_is_checked(tmp_path, relative) -> None:
    """safe/link -> loose/sub/../../real: the name ``sub`` is looked up in loose/, so whoever
    can write loose/ can swap sub for a link and run a genesis of their own."""
    _script(tmp_path / "real" / "bin")
    (tmp_path / "loose" / "sub").mkdir(parents=True)
    (tmp_path / "loose").chmod(0o777)
    (tmp_path / "safe").mkdir()
    base = Path("..") if relative else tmp_path
    (tmp_path / "safe" / "link").symlink_to(base / "loose" / "sub" / ".." / ".." / "real")
    command = str(tmp_path / "safe" / "link" / "bin" / "genesis")
    assert _reference(command) == ("fail", f"{tmp_path / 'loose'} is writable by group or others")
    (tmp_path / "loose").chmod(0o700)
    assert _reference(command)[0] == "ok"  # type: ignore[index]


# --- a store that cannot be replaced (immutable, append-only) -----------------------------------


@pytest.fixture
def chattr() -> Iterator[list]:
    """``chattr`` set on files; the flag is taken off again so pytest can clean up."""
    import shutil
    import subprocess

    if shutil.which("chattr") is None and not os.environ.get("CI"):
        pytest.skip("chattr (e2fsprogs) is not installed")
    flagged: list = []

    def set_flag(flag: str, path) -> None:
        done = subprocess.run(["chattr", f"+{flag}", str(path)], capture_output=True, timeout=10)
        if done.returncode != 0 and not os.environ.get("CI"):
            pytest.skip(f"chattr +{flag} is not supported here")
        assert done.returncode == 0, done.stderr
        flagged.append((flag, path))

    yield set_flag  # type: ignore[misc]
    for flag, path in flagged:
        subprocess.run(["chattr", f"-{flag}", str(path)], capture_output=True, timeout=10)


@pytest.mark.parametrize("flag", ["i", "a"])
def test_a_store_that_cannot_be_replaced_is_found_before_the_refresh_token_is_spent(
    auth_server, models_server, chattr, flag: str
) -> None:
    from genesis_cli.paths import auth_store_path
    from tests.helpers import store_oauth_profile

    store_oauth_profile(auth_server, expires_in=3000)
    store = auth_store_path()
    before = store.read_bytes()
    chattr(flag, store)
    result = run("auth", "refresh")
    assert result.exit_code == 4, result.stderr
    assert auth_server.refresh_requests == 0
    assert str(store) in result.stderr and ".tmp" not in result.stderr
    assert store.read_bytes() == before


def test_a_failed_replace_names_the_store_not_its_temporary_file(tmp_path, chattr) -> None:
    from genesis_cli.errors import ConfigError
    from genesis_cli.fsutil import atomic_write, reported_write_errors

    (tmp_path / "state").mkdir()
    store = tmp_path / "state" / "auth-profiles.toml"
    store.write_text("old\n")
    chattr("i", store)
    with pytest.raises(ConfigError) as caught, reported_write_errors(store):
        atomic_write(store, "new\n")
    assert str(store) in caught.value.message and ".tmp" not in caught.value.message
    assert store.read_text() == "old\n"
    assert [p.name for p in store.parent.iterdir()] == ["auth-profiles.toml"]


def test_the_write_probe_refuses_an_append_only_directory(tmp_path, chattr) -> None:
    """In an append-only folder the probe's temporary file can be made but no rename can
    replace the store: the probe must say so before a refresh token is spent."""
    from genesis_cli import fsutil

    folder = tmp_path / "state"
    folder.mkdir(mode=0o700)
    store = folder / "auth.toml"
    store.write_bytes(b'[profiles.a]\ntype = "oauth"\n')
    chattr("a", folder)
    with pytest.raises(OSError):
        fsutil.probe_write(store, 1024)
    assert sorted(p.name for p in folder.iterdir()) == ["auth.toml"]


def _as_another_user(call) -> str:
    """What ``call`` raises (message | hint) in a forked child running as uid 65534."""
    from genesis_cli.errors import GenesisError

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's result goes through the pipe)
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                call()
                said = "no error"
            except GenesisError as exc:
                said = f"{exc.message} | {exc.hint}"
            os.write(write, said.encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read, "rb") as pipe:
        return pipe.read().decode()


@pytest.mark.skipif(os.geteuid() != 0, reason="making a file of another user needs root")
def test_a_store_of_another_user_is_named_with_its_owner_and_the_fix(monkeypatch) -> None:
    """After `sudo genesis ...` the store can belong to root. The user's refresh is refused
    before the refresh token is spent (the write probe), and a store it cannot read is
    refused, each naming the owner and the fix, not an immutable flag or chmod."""
    import shutil
    import tempfile

    from genesis_cli.store import auth_store

    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # no 0700 folder of root's above it
    try:
        monkeypatch.setenv("GENESIS_STATE_DIR", str(folder))
        store = folder / "auth-profiles.toml"
        store.write_bytes(b'[profiles."chutes:a"]\ntype = "oauth"\n')
        os.chown(folder, 65534, 65534)  # the user's folder; the store stays root's
        for mode, call in ((0o644, auth_store.check_writable), (0o600, auth_store.load)):
            store.chmod(mode)
            said = _as_another_user(call)
            assert said.startswith(f"{store} belongs to another user (uid 0)"), said
            assert f"sudo chown $(id -un) {store}" in said
    finally:
        shutil.rmtree(folder)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a file of another user needs root")
def test_a_command_to_paste_quotes_the_path_and_names_a_links_target() -> None:
    """A space or ';' in the path must neither break nor extend the command to paste, and
    ``chown -R`` on a link would change only the link: the hint names the resolved file."""
    import shlex
    import shutil
    import tempfile

    from genesis_cli import fsutil
    from genesis_cli.errors import GenesisError

    top = Path(tempfile.mkdtemp(dir="/tmp"))  # no 0700 folder of root's above it
    try:
        folder = top / "my state;touch x"
        folder.mkdir()
        (top / "state").symlink_to(folder)
        (folder / "config;x.json").write_text("{}")
        (folder / "config;x.json").chmod(0o600)
        (folder / "config.json").symlink_to(folder / "config;x.json")
        os.chown(top, 65534, 65534)
        said = _as_another_user(lambda: fsutil.read_if_present(top / "state" / "config.json"))
        assert said.endswith(f"sudo chown $(id -un) {shlex.quote(str(folder / 'config;x.json'))}")
        os.chown(folder, 65534, 65534)
        with pytest.raises(GenesisError) as caught:
            fsutil.check_private_dir(top / "state")
        assert f"sudo chown -R $(id -un) {shlex.quote(str(folder))})" in caught.value.hint
        os.chown(folder, 0, 0)
        folder.chmod(0o777)
        with pytest.raises(GenesisError) as caught:
            fsutil.check_private_dir(top / "state")
        assert caught.value.hint == f"chmod 700 {shlex.quote(str(folder))}"
    finally:
        shutil.rmtree(top)


@pytest.mark.parametrize(
    ("name", "env"),
    [
        ("HOME", {"HOME": "/h\udcffx"}),  # with GENESIS_STATE_DIR set: HOME still goes in
        ("HOME", {"HOME": "/h\x1b]0;x\x07", "GENESIS_STATE_DIR": "~/st"}),
        ("HOME", {"HOME": "/h\x1b]0;x\x07", "GENESIS_CONFIG_PATH": "~/c.json"}),
        ("XDG_CONFIG_HOME", {"XDG_CONFIG_HOME": "/x\udcffy"}),
        ("XDG_DATA_HOME", {"XDG_DATA_HOME": "/x\x1b[2Jy"}),
        ("PYTHON_KEYRING_BACKEND", {"PYTHON_KEYRING_BACKEND": "k\x1bx"}),
    ],
)
def test_a_value_for_openclaws_exec_reference_that_is_no_text_is_refused_before_any_write(
    tmp_path, monkeypatch: pytest.MonkeyPatch, name: str, env: dict[str, str]
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, (str(tmp_path) + value) if value.startswith("/") else value)
    assert_onboarding_refused_before_writing(tmp_path, name)


def test_a_relative_state_dir_in_a_directory_whose_name_is_no_text_is_refused(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import snapshot

    odd = os.path.join(os.fsencode(tmp_path), b"d\xff")
    os.mkdir(odd)
    monkeypatch.chdir(odd)
    monkeypatch.setenv("GENESIS_STATE_DIR", "st")
    before = snapshot(tmp_path)
    result = run(*_ONBOARD, input=GOOD_KEY + "\n")
    assert result.exit_code == 2, result.stderr
    assert "GENESIS_STATE_DIR" in result.stderr and "bug in genesis" not in result.stderr
    assert snapshot(tmp_path) == before


def test_a_config_that_cannot_be_encoded_fails_before_the_store_is_written(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genesis_cli.flows import openclaw
    from tests.helpers import snapshot

    monkeypatch.setattr(openclaw, "genesis_command", lambda: ("/bin/g\udcffx", []))
    before = snapshot(tmp_path)
    result = run(*_ONBOARD, input=GOOD_KEY + "\n")
    assert result.exit_code == 4, result.stderr
    assert "bug in genesis" not in result.stderr
    assert snapshot(tmp_path) == before


def test_a_write_error_says_which_file_is_unchanged_not_that_nothing_was(tmp_path) -> None:
    from genesis_cli.errors import ConfigError
    from genesis_cli.fsutil import reported_write_errors

    for fail in (lambda: "\udcff".encode(), lambda: os.open(tmp_path / "no" / "f", os.O_RDONLY)):
        with pytest.raises(ConfigError) as caught, reported_write_errors(tmp_path / "f"):
            fail()
        assert "nothing was changed" not in caught.value.hint
        assert "f is unchanged" in caught.value.hint


@pytest.mark.parametrize(
    ("variable", "args"),
    [
        ("CHUTES_BASE_URL", ("models", "list", "--refresh")),
        ("CHUTES_BASE_URL", ("env",)),
        ("CHUTES_API_BASE_URL", ("account",)),
        ("CHUTES_OAUTH_BASE_URL", ("doctor",)),
        ("CHUTES_BASE_URL", ("doctor",)),
    ],
)
def test_a_url_urlsplit_cannot_read_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, args: tuple[str, ...]
) -> None:
    monkeypatch.setenv("CHUTES_API_KEY", GOOD_KEY)
    monkeypatch.setenv(variable, "http://[::1")
    result = run(*args, prints_secret=True)
    assert "bug in genesis" not in result.stderr
    assert variable in result.stderr + result.stdout
    assert result.exit_code == 2 or (args == ("doctor",) and result.exit_code != 0)


def test_a_redirect_uri_urlsplit_cannot_read_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from genesis_cli.errors import UsageError
    from genesis_cli.oauth.protocol import check_redirect_uri
    from tests.helpers import CHUTES

    with pytest.raises(UsageError) as caught:
        check_redirect_uri(CHUTES, "http://[::1/cb")
    assert "CHUTES_OAUTH_REDIRECT_URI" in caught.value.message


def test_a_pasted_url_urlsplit_cannot_read_is_a_bad_paste() -> None:
    from genesis_cli.oauth.redirect import BadRedirect, parse_pasted
    from tests.helpers import CHUTES

    with pytest.raises(BadRedirect):
        parse_pasted(CHUTES, "http://[::1/cb?code=a&state=b", "b")


def test_a_command_with_a_nul_is_a_failed_check_not_a_crash() -> None:
    from genesis_cli.flows import openclaw
    from tests.helpers import CHUTES

    data = {"secrets": {"providers": {"genesis": {"source": "exec", "command": "/\x00x"}}}}
    verdict = openclaw.reference_problem(data, CHUTES)
    assert verdict is not None and verdict[0] == "fail"


@pytest.mark.parametrize(
    "args", [("models", "list", "--offline"), ("models", "list", "--offline", "--json")]
)
def test_output_to_a_stdout_that_is_not_utf8_replaces_what_it_cannot_hold(args) -> None:
    import subprocess

    from tests.helpers import genesis_command

    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(genesis_command(*args), env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"bug in genesis" not in done.stderr
    assert done.stdout.isascii() and b"chutes/" in done.stdout


def test_an_empty_home_is_not_taken_for_the_root_folder(monkeypatch) -> None:
    """Python expands ``~`` with an empty ``$HOME`` to ``/``: the state dir would be
    ``/.genesis``. The user's home comes from the password database instead."""
    import pwd

    from genesis_cli import paths

    monkeypatch.delenv("GENESIS_STATE_DIR", raising=False)
    monkeypatch.setenv("HOME", "")
    expected = os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".genesis")
    assert str(paths.state_dir()) == expected


def test_a_tilde_state_dir_expands_from_the_home_folder(monkeypatch, tmp_path) -> None:
    from genesis_cli import paths

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GENESIS_STATE_DIR", "~/st")
    assert paths.state_dir() == tmp_path / "st"
    monkeypatch.setenv("HOME", "~/loop")  # no expansion of $HOME by itself, no recursion
    assert paths.state_dir() == Path("~/loop/st")
