"""Hostile environments (CONTRIBUTING.md): links and foreign directories, terminal text from the
network, URL parsing, the loopback's wrong-state callbacks, refresh racing logout, and the
inputs that used to end in "this is a bug". Each test was written to fail first."""

from __future__ import annotations

import json
import os
import queue
import socket
import stat
import threading
import time
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from genesis_cli.store import auth_store
from tests.helpers import (
    CHUTES,
    doctor_checks,
    invoke,
    mode,
    onboard,
    snapshot,
    store_oauth_profile,
)

# --- links and foreign directories --------------------------------------------------------


def test_a_symlink_at_the_backup_is_refused_and_its_target_untouched(
    models_server, state_dir, tmp_path
) -> None:
    assert onboard().exit_code == 0
    victim = tmp_path / "bashrc"
    victim.write_text("export PATH=/usr/bin\n")
    backup = state_dir / "genesis.json.bak"
    backup.unlink(missing_ok=True)
    backup.symlink_to(victim)
    config_before = (state_dir / "genesis.json").read_bytes()
    result = invoke("models", "default", "chutes-pro")
    assert result.exit_code == 4
    assert "symlink" in result.stderr
    assert victim.read_text() == "export PATH=/usr/bin\n"
    assert (state_dir / "genesis.json").read_bytes() == config_before


@pytest.mark.parametrize("name", ["auth-profiles.toml", "cache/chutes-models.json"])
def test_a_symlink_in_place_of_the_store_or_cache_is_never_written_through(
    models_server, state_dir, tmp_path, name
) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "cache").mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("mine\n")
    (state_dir / name).symlink_to(victim)
    result = onboard()
    assert victim.read_text() == "mine\n"
    if name == "auth-profiles.toml":
        assert result.exit_code == 4 and "symlink" in result.stderr
    else:  # a bad cache is skipped with a warning
        assert result.exit_code == 0
        assert "symlink" in result.stderr


def test_a_fifo_in_place_of_the_store_is_refused_without_hanging(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    os.mkfifo(state_dir / "auth-profiles.toml")
    started = time.monotonic()
    result = invoke("auth", "status")
    assert time.monotonic() - started < 5
    assert result.exit_code == 4
    assert "not a regular file" in result.stderr


def test_a_dotfile_symlinked_config_is_edited_in_place_with_its_backup_beside_it(
    models_server, state_dir, tmp_path
) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir(mode=0o700)
    target = dotfiles / "genesis.json"
    target.write_text("{ mine: 1 }\n")
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").symlink_to(target)
    assert onboard().exit_code == 0
    assert (state_dir / "genesis.json").is_symlink()
    assert "mine: 1" in target.read_text() and "chutes" in target.read_text()
    backup = dotfiles / "genesis.json.bak"
    assert backup.is_file() and not backup.is_symlink()
    assert backup.read_text() == "{ mine: 1 }\n"


def test_a_config_symlink_into_a_directory_others_can_write_is_refused(
    models_server, state_dir, tmp_path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    target = shared / "genesis.json"
    target.write_text("{}\n")
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").symlink_to(target)
    result = onboard()
    assert result.exit_code == 4
    assert "writable by" in result.stderr
    assert target.read_text() == "{}\n"
    assert not (shared / "genesis.json.bak").exists()


def test_a_state_dir_others_can_write_is_refused_with_the_fix(models_server, state_dir) -> None:
    state_dir.mkdir()
    state_dir.chmod(0o777)
    result = onboard()
    assert result.exit_code == 4
    assert f"chmod 700 {state_dir}" in result.stderr
    assert list(state_dir.iterdir()) == []


def test_a_state_dir_of_another_user_is_refused(models_server, state_dir, monkeypatch) -> None:
    state_dir.mkdir(mode=0o700)
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 4242)
    result = onboard()
    assert result.exit_code == 4
    assert "belongs to another user" in result.stderr
    # made by `sudo genesis ...`, or someone else's: the fix for each
    assert f"sudo chown -R $(id -un) {state_dir}" in result.stderr
    assert "or point GENESIS_STATE_DIR" in result.stderr


def test_every_directory_genesis_creates_is_0700_parents_included(
    models_server, tmp_path, monkeypatch
) -> None:
    state = tmp_path / "deep" / "er" / "state"
    monkeypatch.setenv("GENESIS_STATE_DIR", str(state))
    result = invoke("models", "list", "--refresh")
    assert result.exit_code == 0
    for directory in (tmp_path / "deep", tmp_path / "deep" / "er", state, state / "cache"):
        assert mode(directory) == 0o700, directory


def test_read_only_commands_never_change_a_files_mode(models_server, state_dir) -> None:
    assert onboard().exit_code == 0
    store = state_dir / "auth-profiles.toml"
    store.chmod(0o644)
    invoke("auth", "status")
    assert mode(store) == 0o644


# --- text from the network is data ---------------------------------------------------------


HOSTILE_ROWS = {
    "object": "list",
    "data": [
        {"id": "m/[link=https://evil.example/]click[/link]", "input_modalities": ["text"]},
        {"id": "m/x", "input_modalities": ["text\x1b[2J", "[/x]"]},
        {"id": "m/ok", "input_modalities": ["\x1b]8;;https://evil.example\x07text", "audio"]},
    ],
}


def test_markup_and_escapes_in_rows_are_printed_literally_and_never_crash(
    models_server, state_dir
) -> None:
    models_server.body = HOSTILE_ROWS
    for args in (("--refresh",), ("--offline",), ("--refresh", "--json")):
        result = invoke("models", "list", *args)
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout + result.stderr
    listing = invoke("models", "list", "--offline", "--wide")
    assert "[/x]" not in listing.stdout  # a modality other than a plain word is dropped
    assert "evil.example" not in listing.stdout  # an id that holds markup is dropped
    assert "skipped 1 model " in invoke("models", "list", "--refresh").stderr
    cache = (state_dir / "cache" / "chutes-models.json").read_text()
    assert "\\u001b" not in cache and "\x1b" not in cache


def test_a_lone_surrogate_in_a_row_never_half_finishes_onboarding(models_server, state_dir) -> None:
    models_server.raw_body = (
        b'{"data": [{"id": "m/a", "input_modalities": ["text", "\\ud800"]}, {"id": "m/\\udc00b"}]}'
    )
    result = onboard()
    assert result.exit_code == 0, result.stderr
    assert (state_dir / "genesis.json").exists()
    assert "\\ud800" not in (state_dir / "genesis.json").read_text()


# --- URLs are parsed the way the HTTP library connects ---------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://evil:80\\@127.0.0.1/v1",
        "http://user:pw@127.0.0.1:9/v1",
        "https://evil.example@llm.chutes.ai/v1",
        "http://127.0.0.1:9/v1\nHost: evil",
    ],
)
@pytest.mark.parametrize("variable", ["CHUTES_BASE_URL", "CHUTES_OAUTH_BASE_URL"])
def test_a_base_url_with_userinfo_or_a_backslash_is_refused(
    state_dir, monkeypatch, url, variable
) -> None:
    monkeypatch.setenv(variable, url)
    result = invoke("doctor", "--json") if variable != "CHUTES_BASE_URL" else onboard()
    if variable == "CHUTES_BASE_URL":
        assert result.exit_code == 2
    else:
        assert doctor_checks(result)["endpoints"]["status"] == "fail"
    assert variable in result.stdout + result.stderr


# --- the loopback callback -----------------------------------------------------------------


def test_wrong_state_callbacks_of_every_kind_are_ignored_and_reported(
    auth_server, models_server, state_dir
) -> None:
    from genesis_cli.flows.signin import obtain_code
    from genesis_cli.oauth import protocol

    client = protocol.client_from_env(CHUTES, "cid", "csc")
    request = protocol.start(client)
    notes: list[str] = []
    outcome: queue.Queue[object] = queue.Queue()

    class Quiet:
        def notify(self, text: str) -> None:
            notes.append(text)

        def open_browser(self, url: str) -> bool:
            return True

        def read_line(self, prompt: str, stop=None) -> str:
            assert stop is not None
            stop.wait(20)
            raise EOFError

    def run() -> None:
        try:
            outcome.put(obtain_code(client, request, remote=False, io=Quiet(), timeout=20))
        except Exception as exc:
            outcome.put(exc)

    threading.Thread(target=run, daemon=True).start()
    base = client.redirect_uri
    for _ in range(50):
        try:
            requests.get(base, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    evil = {"error": "access_denied", "error_description": "\x1b[31mgotcha", "state": "forged"}
    page = requests.get(f"{base}?{urlencode(evil)}", timeout=5)
    assert page.status_code == 400
    requests.get(f"{base}?{urlencode({'code': 'c', 'state': 'forged'})}", timeout=5)
    good = requests.get(f"{base}?{urlencode({'code': 'real', 'state': request.state})}", timeout=5)
    assert good.status_code == 200
    assert outcome.get(timeout=10) == "real"
    # The bare GET that waited for the port, the forged error and the forged code.
    assert sum("ignored a callback with the wrong state" in n for n in notes) == 3
    assert not any("\x1b" in n for n in notes)


def test_the_loopback_port_can_be_taken_again_at_once(auth_server, redirect_uri) -> None:
    from genesis_cli.oauth.loopback import CallbackServer

    port = urlsplit(redirect_uri).port
    held = []
    for _ in range(3):
        server = CallbackServer(CHUTES, redirect_uri, "s", queue.Queue())
        server.start()
        # A browser's speculative connection that is still open when the sign-in ends.
        held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        requests.get(f"{redirect_uri}?code=c&state=s", timeout=5)
        server.close()
    for connection in held:
        connection.close()


# --- refresh racing logout -----------------------------------------------------------------


def test_a_logout_during_a_refresh_is_never_undone(auth_server, state_dir) -> None:
    from genesis_cli.flows.logout import logout
    from genesis_cli.flows.refresh import refresh_profile

    store_oauth_profile(auth_server, expires_in=30)
    auth_server.refresh_answer_delay = 1.0  # granted at once, answered late
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            refresh_profile(CHUTES, "chutes:alice", force=True, seen_access=None)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=refresh)
    worker.start()
    time.sleep(0.3)  # the refresh request is in flight
    logout(CHUTES, "chutes:alice", False)
    worker.join(10)
    assert auth_server.refresh_requests == 1
    assert "chutes:alice" not in auth_store.load().profiles


# --- what used to end in "this is a bug" ---------------------------------------------------


def test_a_deeply_nested_json_config_is_exit_4(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text('{"a": ' + "[" * 450 + "]" * 450 + "}")
    result = invoke("models", "default", "chutes-pro")
    assert result.exit_code == 4
    assert "nested too deeply" in result.stderr


def test_a_huge_integer_in_the_config_is_exit_4(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text("{ n: " + "9" * 4500 + " }")
    result = invoke("models", "default", "chutes-pro")
    assert result.exit_code == 4
    assert "digits" in result.stderr


def test_a_lone_surrogate_in_the_config_is_exit_4(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text('{ "name": "\\ud800" }')
    result = invoke("models", "default", "chutes-pro")
    assert result.exit_code == 4


@pytest.mark.parametrize(
    "content",
    [
        'version = 1\n[profiles."chutes:a"]\ntype = "oauth"\nprovider = "chutes"\n'
        'access = "cak_x"\nexpires_at = 99999999999999999\n',
        "version = " + "9" * 5000 + "\n",
        "x = " + "[" * 2000 + "]" * 2000 + "\n",
    ],
)
def test_absurd_numbers_and_nesting_in_the_store_are_exit_4(state_dir, content) -> None:
    state_dir.mkdir(mode=0o700)
    store = state_dir / "auth-profiles.toml"
    store.write_text(content)
    store.chmod(0o600)
    result = invoke("auth", "status")
    assert result.exit_code == 4, result.stderr
    assert "Traceback" not in result.stderr


def test_a_copied_masked_key_in_the_env_is_a_clear_error(models_server, state_dir) -> None:
    result = onboard(env={"CHUTES_API_KEY": "cpk_…wxyz"})
    assert result.exit_code == 2
    assert "ASCII" in result.stderr
    listing = invoke("models", "list", "--refresh", env={"CHUTES_API_KEY": "cpk_…wxyz"})
    assert listing.exit_code == 2
    assert not (state_dir / "auth-profiles.toml").exists()


def test_an_access_token_genesis_cannot_send_is_refused_at_the_exchange(
    auth_server, state_dir
) -> None:
    from genesis_cli.errors import AuthError
    from genesis_cli.oauth import protocol
    from tests.stub_http import Stub

    stub = Stub()
    client = protocol.Client(
        CHUTES, "cid", "csc", "http://127.0.0.1:1/cb", ("openid",), stub.url("/idp")
    )
    with stub.routes() as rsps:
        rsps.post(
            stub.url("/idp/token"),
            json={"access_token": "cak_\u00e9t\u00e9", "token_type": "Bearer"},
        )
        with pytest.raises(AuthError, match="cannot send"):
            protocol.exchange_code(client, "code", "verifier")
    stub.stop()


def test_a_nan_fetched_at_in_the_cache_is_ignored(models_server, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    cache = state_dir / "cache"
    cache.mkdir(mode=0o700)
    (cache / "chutes-models.json").write_text(
        json.dumps({"version": 1, "provider": "chutes", "baseUrl": models_server.base_url,
                    "fetchedAt": float("nan"), "models": [{"id": "m/x", "contextWindow": 5}]})
    )  # fmt: skip
    result = invoke("models", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["source"] != "cache"
    assert snapshot(state_dir)  # nothing crashed on the way
    assert stat.S_ISREG((cache / "chutes-models.json").lstat().st_mode)


def test_a_control_character_in_a_credential_is_refused(models_server, state_dir) -> None:
    result = invoke("models", "list", "--refresh", env={"CHUTES_API_KEY": "cpk_a\nb"})
    assert result.exit_code == 2
    assert models_server.requests == []


def test_a_store_nested_deeper_than_200_levels_is_exit_4_naming_it(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    store = state_dir / "auth-profiles.toml"
    store.write_text("x = " + "[" * 201 + "]" * 201 + "\n")
    store.chmod(0o600)
    result = invoke("auth", "status")
    assert result.exit_code == 4, result.stderr
    assert str(store) in result.stderr and "200" in result.stderr


@pytest.mark.parametrize(
    "models",
    [
        '[{"id": "m/x", "contextWindow": 5, "input": ' + "[" * 201 + "]" * 201 + "}]",
        '[{"id": "m/\\ud800", "contextWindow": 5}, {"id": "m/y", "contextWindow": 5}]',
    ],
)
def test_a_cache_too_deep_or_with_lone_surrogates_is_ignored_with_a_warning(
    models_server, state_dir, models
) -> None:
    state_dir.mkdir(mode=0o700)
    cache = state_dir / "cache"
    cache.mkdir(mode=0o700)
    head = {"version": 1, "provider": "chutes", "baseUrl": models_server.base_url,
            "fetchedAt": int(time.time())}  # fmt: skip
    (cache / "chutes-models.json").write_text(json.dumps(head)[:-1] + f', "models": {models}}}')
    result = invoke("models", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["source"] != "cache"
    assert "ignored the catalog cache" in result.stderr


def test_a_refused_backup_link_is_found_before_the_store_is_written(
    models_server, state_dir, tmp_path
) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text("{}\n")
    (state_dir / "genesis.json").chmod(0o600)
    victim = tmp_path / "victim"
    victim.write_text("mine\n")
    (state_dir / "genesis.json.bak").symlink_to(victim)
    result = onboard()
    assert result.exit_code == 4 and "symlink" in result.stderr
    assert not (state_dir / "auth-profiles.toml").exists()
    assert victim.read_text() == "mine\n"


def test_a_config_in_a_foreign_directory_is_found_before_the_store_is_written(
    models_server, state_dir, tmp_path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    (shared / "genesis.json").write_text("{}\n")
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").symlink_to(shared / "genesis.json")
    result = onboard()
    assert result.exit_code == 4 and "writable by" in result.stderr
    assert not (state_dir / "auth-profiles.toml").exists()
