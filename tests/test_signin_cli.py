"""`genesis onboard --auth-choice chutes` in a real terminal (pexpect), desktop and SSH."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from genesis_cli.store import auth_store
from tests.helpers import decline_suggestions, finish, paste_sign_in, spawn_genesis
from tests.oauth_server import CLIENT_SECRET

pytestmark = pytest.mark.slow  # left out of `make test-fast`

FAKE_BROWSER = Path(__file__).parent / "fake_browser.py"


@pytest.fixture
def terminal(auth_server, models_server, state_dir):
    models_server.valid_tokens = None
    return spawn_genesis


def test_desktop_sign_in_through_the_browser(terminal, tmp_path, state_dir) -> None:
    page = tmp_path / "page.html"
    child = terminal(
        "onboard",
        "--auth-choice",
        "chutes",
        env={"BROWSER": f"{sys.executable} {FAKE_BROWSER} %s", "FAKE_BROWSER_OUT": str(page)},
    )
    child.expect("Opened your browser")
    decline_suggestions(child)
    child.expect("Connected to Chutes as alice")
    finish(child)
    assert "Signed in to Chutes" in page.read_text()
    profile = auth_store.load().profiles["chutes:alice"]
    transcript = child.logfile_read.getvalue()
    assert profile.access not in transcript and (profile.refresh or "") not in transcript
    assert "chutes:alice (cak_…" in transcript


def test_ssh_sign_in_by_pasting_one_url(terminal, state_dir) -> None:
    child = terminal(
        "onboard",
        "--auth-choice",
        "chutes",
        env={"SSH_CONNECTION": "192.0.2.1 50000 192.0.2.2 22"},
        drop=("CHUTES_CLIENT_ID", "CHUTES_CLIENT_SECRET"),
    )
    child.expect("Client ID \\(cid_...\\): ")
    child.sendline("cid_test_client")
    child.expect("input hidden\\): ")
    child.sendline(CLIENT_SECRET)
    child.expect("Using the paste flow because this is an SSH session \\(SSH_CONNECTION is set\\)")
    paste_sign_in(child)
    child.expect("Connected to Chutes as alice")
    transcript = finish(child)
    assert CLIENT_SECRET not in transcript
    assert re.search(r"--browser", transcript)
    assert auth_store.load().profiles["chutes:alice"].client_secret == CLIENT_SECRET


def test_ssh_paste_of_a_denial_exits_3(terminal, auth_server, state_dir) -> None:
    auth_server.mode = "deny"
    child = terminal("onboard", "--auth-choice", "chutes", "--no-browser")
    child.expect(r"(http://127\.0\.0\.1:\d+/idp/authorize\?\S+)")
    url = child.match.group(1)
    child.expect("Paste the URL")
    child.sendline(requests.get(url, allow_redirects=False, timeout=10).headers["Location"])
    child.expect("sign-in was denied \\(access_denied\\): The user said no")
    finish(child, 3)
    assert not state_dir.exists()


def test_a_client_id_without_its_secret_asks_for_the_secret_before_anything_opens(
    terminal, state_dir
) -> None:
    child = terminal(
        "onboard", "--auth-choice", "chutes", "--no-browser", drop=("CHUTES_CLIENT_SECRET",)
    )
    child.expect("Client secret \\(csc_..., input hidden\\): ")
    assert "authorize?" not in child.logfile_read.getvalue()
    child.sendline(CLIENT_SECRET)
    child.expect(r"(http://127\.0\.0\.1:\d+/idp/authorize\?\S+)")
    child.close(force=True)


def test_a_client_id_without_its_secret_exits_2_when_nothing_can_ask(
    auth_server, monkeypatch, state_dir
) -> None:
    from tests.helpers import invoke

    monkeypatch.delenv("CHUTES_CLIENT_SECRET")
    result = invoke("onboard", "--auth-choice", "chutes", "--non-interactive")
    assert result.exit_code == 2
    assert "CHUTES_CLIENT_SECRET" in result.stderr
    assert not state_dir.exists()


def test_the_stored_app_is_used_with_its_redirect_uri(
    terminal, chutes_api, auth_server, redirect_uri, monkeypatch, state_dir
) -> None:
    from genesis_cli.store.auth_store import OAuthApp, set_client
    from tests.oauth_server import CLIENT_ID

    set_client(
        "chutes",
        OAuthApp("chutes", CLIENT_ID, CLIENT_SECRET, app_id="a-1", redirect_uri=redirect_uri),
    )
    child = terminal(
        "onboard", "--auth-choice", "chutes", "--no-browser",
        drop=("CHUTES_CLIENT_ID", "CHUTES_CLIENT_SECRET", "CHUTES_OAUTH_REDIRECT_URI"),
    )  # fmt: skip
    url = paste_sign_in(child)
    assert "Client ID" not in child.logfile_read.getvalue()
    assert f"client_id={CLIENT_ID}" in url
    child.expect("Connected to Chutes as alice")
    finish(child)


def accept_app_creation(terminal: Any) -> Any:
    """Onboarding with an API key at hand and no app: answer the offer to create one (Enter,
    yes). Returns the terminal."""
    from tests.helpers import GOOD_KEY

    child = terminal(
        "onboard", "--auth-choice", "chutes", "--no-browser",
        env={"CHUTES_API_KEY": GOOD_KEY},
        drop=("CHUTES_CLIENT_ID", "CHUTES_CLIENT_SECRET"),
    )  # fmt: skip
    child.expect("Create one now with your API key\\? \\[Y/n\\]: ")
    child.sendline("")
    return child


def test_interactive_onboarding_offers_to_create_an_app_with_the_key_at_hand(
    terminal, chutes_api, auth_server, redirect_uri, state_dir
) -> None:
    from tests.oauth_server import CLIENT_ID

    chutes_api.next_client = (CLIENT_ID, CLIENT_SECRET)
    child = accept_app_creation(terminal)
    child.expect("Created the Chutes app genesis-")
    paste_sign_in(child)
    child.expect("Connected to Chutes as alice")
    finish(child)
    store = auth_store.load()
    assert store.clients["chutes"].client_id == CLIENT_ID
    assert store.profiles["chutes:alice"].client_secret == CLIENT_SECRET
    (call,) = [c for c in chutes_api.calls if c["method"] == "POST"]
    assert call["body"]["redirect_uris"] == [redirect_uri]


def test_app_creation_that_fails_inside_onboarding_says_so_and_what_next(
    terminal, chutes_api, auth_server, redirect_uri, state_dir
) -> None:
    chutes_api.create_mode = "500"
    child = accept_app_creation(terminal)
    said = " ".join(finish(child, 1).split())
    assert "could not create a Sign in with Chutes app" in said
    assert "genesis auth app create" in said and "CHUTES_CLIENT_ID" in said
    assert not (state_dir / "auth-profiles.toml").exists()
