"""Sign in with Chutes, in-process, against the test IdP; a thread plays the browser."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from genesis_cli.config.json5_doc import loads
from genesis_cli.errors import AuthError, UsageError
from genesis_cli.flows.onboard import Choices
from genesis_cli.flows.signin import sign_in
from genesis_cli.oauth import protocol, redirect
from genesis_cli.store import auth_store
from tests.helpers import CHUTES, free_port, store_profiles
from tests.oauth_server import CLIENT_ID, CLIENT_SECRET


class FakeTerminal:
    """Plays the user: a browser that follows the authorize URL, and a keyboard."""

    def __init__(
        self,
        browse: bool = True,
        pastes: list[str] | None = None,
        before: list[str] | None = None,
        opened: bool = True,
    ) -> None:
        self.browse = browse
        self.opened = opened
        self.pastes = list(pastes or [])
        self.before = list(before or [])  # paths the "browser" asks for first
        self.messages: list[str] = []
        self.pages: list[tuple[int, str]] = []
        self.extra: list[tuple[str, int]] = []
        self.no_more_input = threading.Event()
        self.thread: threading.Thread | None = None

    def notify(self, text: str) -> None:
        self.messages.append(text)

    def open_browser(self, url: str) -> bool:
        if self.browse:
            self.thread = threading.Thread(target=self._browse, args=(url,), daemon=True)
            self.thread.start()
        return self.opened

    def _browse(self, url: str) -> None:
        first = requests.get(url, allow_redirects=False, timeout=10)
        callback = first.headers["Location"]
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(callback))
        for path in self.before:
            response = requests.get(origin + path.format(callback=callback), timeout=10)
            self.extra.append((path, response.status_code))
        final = requests.get(callback, timeout=10)
        self.pages.append((final.status_code, final.text))

    def read_line(self, prompt: str, stop=None) -> str:
        if self.pastes:
            return self.pastes.pop(0)
        self.no_more_input.wait(30)  # like a user who never types; bounded
        raise EOFError


def client() -> protocol.Client:
    return protocol.client_from_env(CHUTES, CLIENT_ID, CLIENT_SECRET)


def redirect_for(url: str) -> str:
    """What a browser would land on: the authorize answer's Location, not followed."""
    return requests.get(url, allow_redirects=False, timeout=10).headers["Location"]


def remote_terminal(pastes_for_url) -> FakeTerminal:
    class Remote(FakeTerminal):
        def notify(self, text: str) -> None:
            super().notify(text)
            if "/idp/authorize?" in text:
                url = next(w for w in text.split() if "/idp/authorize?" in w)
                self.pastes.extend(pastes_for_url(url))

    return Remote(browse=False)


@pytest.fixture
def idp(auth_server, models_server):
    models_server.valid_tokens = None  # any bearer is fine for the models list here
    return auth_server


def test_local_sign_in_completes_through_the_browser(idp, models_server, state_dir) -> None:
    terminal = FakeTerminal()
    result = sign_in(client(), remote=False, io=terminal)
    assert result.profile == "chutes:alice" and result.username == "alice"
    assert result.found.source == "live"
    assert terminal.pages == [(200, terminal.pages[0][1])]
    assert "Signed in to Chutes" in terminal.pages[0][1]
    form = idp.token_forms[0]
    assert form["client_secret"] == CLIENT_SECRET and form["code_verifier"]
    profile = auth_store.load().profiles["chutes:alice"]
    assert profile.type == "oauth" and profile.client_id == CLIENT_ID
    assert profile.client_secret == CLIENT_SECRET
    assert profile.refresh and profile.access and profile.access.startswith("cak_")
    assert abs(profile.expires_at - (time.time() + 3600)) < 60
    config = loads((state_dir / "genesis.json").read_text())
    assert config["auth"]["profiles"]["chutes:alice"] == {"provider": "chutes", "mode": "oauth"}
    assert models_server.requests[0]["authorization"] == f"Bearer {profile.access}"


def test_a_default_of_a_bad_form_is_refused_before_the_browser_opens(idp, state_dir) -> None:
    terminal = FakeTerminal()
    with pytest.raises(UsageError, match="is not a valid Chutes model ref"):
        sign_in(client(), remote=False, io=terminal, choices=Choices(default="chutes/a;b"))
    assert terminal.thread is None and terminal.messages == []  # no sign-in was started
    assert idp.token_forms == []


def test_other_paths_get_404_and_a_wrong_state_gets_400_while_it_keeps_waiting(idp) -> None:
    terminal = FakeTerminal(before=["/favicon.ico", "/", "/oauth-callback?code=x&state=forged"])
    result = sign_in(client(), remote=False, io=terminal)
    assert result.profile == "chutes:alice"
    assert terminal.extra == [
        ("/favicon.ico", 404),
        ("/", 404),
        ("/oauth-callback?code=x&state=forged", 400),
    ]


def test_denial_in_the_browser_ends_the_sign_in(idp, state_dir) -> None:
    idp.mode = "deny"
    terminal = FakeTerminal()
    with pytest.raises(protocol.SignInDenied, match="denied \\(access_denied\\): The user said no"):
        sign_in(client(), remote=False, io=terminal)
    assert terminal.thread is not None
    terminal.thread.join(10)  # the page may still be on its way to the "browser"
    assert terminal.pages and "not completed" in terminal.pages[0][1]
    assert not state_dir.exists()


def test_pasted_url_wins_when_the_callback_never_comes(idp, state_dir) -> None:
    class Paster(FakeTerminal):
        def open_browser(self, url: str) -> bool:
            self.pastes.append(redirect_for(url))  # user copies the address bar instead
            return True

    terminal = Paster(browse=False)
    result = sign_in(client(), remote=False, io=terminal)
    assert result.profile == "chutes:alice"


def test_a_port_held_by_another_program_stops_the_sign_in(idp, redirect_uri, state_dir) -> None:
    from genesis_cli.errors import ExitCode, GenesisError

    port = urlsplit(redirect_uri).port
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", port))
    blocker.listen()
    try:
        terminal = remote_terminal(lambda url: [redirect_for(url)])
        with pytest.raises(GenesisError) as info:
            sign_in(client(), remote=False, io=terminal)
    finally:
        blocker.close()
    assert info.value.exit_code == ExitCode.ERROR
    assert f"port {port}" in info.value.message
    assert "CHUTES_OAUTH_REDIRECT_URI" in (info.value.hint or "")
    assert not any("/idp/authorize?" in m for m in terminal.messages)  # no URL was offered
    assert idp.codes == {} and not state_dir.exists()


def test_an_invalid_scope_callback_gets_an_answer_page(idp) -> None:
    from genesis_cli.flows.signin import obtain_code

    request = protocol.start(client())
    outcome: list[object] = []

    class Waiting(FakeTerminal):
        def read_line(self, prompt: str, stop=None) -> str:
            assert stop is not None
            stop.wait(20)
            raise EOFError

    def run() -> None:
        try:
            outcome.append(obtain_code(client(), request, remote=False, io=Waiting(browse=False)))
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    callback = client().redirect_uri
    for _ in range(200):  # up to 20 s for the worker's server to listen on a loaded machine
        try:
            page = requests.get(
                f"{callback}?error=invalid_scope&error_description=nope&state={request.state}",
                timeout=5,
            )
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    worker.join(10)
    assert page.status_code == 200 and "not completed" in page.text
    assert isinstance(outcome[0], protocol.OAuthError)
    assert "invalid_scope" in str(outcome[0])


def test_no_callback_gives_up_after_the_timeout(idp, state_dir) -> None:
    terminal = FakeTerminal(browse=False)
    started = time.monotonic()
    with pytest.raises(AuthError, match="no sign-in arrived"):
        sign_in(client(), remote=False, io=terminal, timeout=0.6)
    terminal.no_more_input.set()
    assert time.monotonic() - started < 5
    assert not state_dir.exists()


def test_remote_mode_retries_after_a_bare_code_and_a_wrong_state(idp) -> None:
    def pastes(url: str) -> list[str]:
        good = redirect_for(url)
        code = good.split("code=")[1].split("&")[0]
        return [code, good.replace("state=", "state=x"), good]

    terminal = remote_terminal(pastes)
    result = sign_in(client(), remote=True, io=terminal)
    assert result.profile == "chutes:alice"
    text = "\n".join(terminal.messages)
    assert "bare code" in text and "CSRF" in text and "does not match" in text
    retries = [m for m in terminal.messages if m.endswith("Try again.")]
    assert len(retries) == 2  # each says what was wrong and what to do, in one sentence
    assert all(m.startswith("Not accepted: ") and m.count(". ") == 1 for m in retries), retries


def test_remote_mode_gives_up_after_three_bad_pastes(idp, state_dir) -> None:
    terminal = remote_terminal(lambda url: ["nope", "still nope", "no"])
    with pytest.raises(redirect.BadRedirect):
        sign_in(client(), remote=True, io=terminal)
    assert not state_dir.exists()


def test_remote_mode_reports_a_pasted_denial(idp) -> None:
    idp.mode = "deny"
    terminal = remote_terminal(lambda url: [redirect_for(url)])
    with pytest.raises(protocol.SignInDenied):
        sign_in(client(), remote=True, io=terminal)


def test_unknown_username_gives_the_fallback_profile(idp) -> None:
    idp.username = "not a valid name!"
    result = sign_in(client(), remote=False, io=FakeTerminal())
    assert result.profile == "chutes:oauth" and result.username is None


def test_wrong_client_secret_is_an_auth_error(idp, state_dir) -> None:
    bad = protocol.client_from_env(CHUTES, CLIENT_ID, "csc_wrong")
    with pytest.raises(protocol.OAuthError, match="invalid_client"):
        sign_in(bad, remote=False, io=FakeTerminal())
    assert not (state_dir / "auth-profiles.toml").exists()


@contextlib.contextmanager
def callback_server() -> Iterator[tuple[int, queue.Queue[Any]]]:
    """A started loopback callback server (state ``s``) on a free port: its port and the
    queue its results go to."""
    from genesis_cli.oauth.loopback import CallbackServer

    port = free_port()
    results: queue.Queue[Any] = queue.Queue()
    server = CallbackServer(CHUTES, f"http://127.0.0.1:{port}/oauth-callback", "s", results)
    server.start()
    try:
        yield port, results
    finally:
        server.close()


def test_a_connection_reset_mid_request_prints_nothing(capfd) -> None:
    """A browser that drops a connection must not put a server traceback on the terminal."""
    import struct

    with callback_server() as (port, results):
        for _ in range(3):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.sendall(b"GET /oauth-callback?code=")  # no end of line: the server reads on
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()  # RST
        time.sleep(0.3)
    assert capfd.readouterr().err == ""
    assert results.empty()


def test_a_head_request_even_with_the_code_gets_404_and_no_result() -> None:
    with callback_server() as (port, results):
        url = f"http://127.0.0.1:{port}/oauth-callback?code=c&state=s"
        assert requests.head(url, timeout=10).status_code == 404
    assert results.empty()


def test_a_username_default_never_replaces_the_api_key_profile(idp, state_dir) -> None:
    from genesis_cli.store.auth_store import Profile

    key = Profile(id="chutes:default", type="api_key", provider="chutes", key="cpk_stored_key")
    store_profiles(key)
    idp.username = "default"
    result = sign_in(client(), remote=False, io=FakeTerminal())
    assert result.profile == "chutes:oauth" and result.username == "default"
    profiles = auth_store.load().profiles
    assert profiles["chutes:default"] == key
    assert profiles["chutes:oauth"].type == "oauth"
