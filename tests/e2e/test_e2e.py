"""End to end: the installed genesis against a real OAuth server library (Authlib), a real
browser (headless Chromium) and a real terminal (pexpect). Nothing here is mocked."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pexpect
import pytest
import requests

from tests.e2e.conftest import API_KEY, CLIENT_SECRET, HERE
from tests.helpers import bundled_count, decline_suggestions, record

pytestmark = pytest.mark.e2e
COMMENTED = (HERE.parent / "golden" / "commented.json5").read_text()
AUTHORIZE_URL = re.compile(r"(http://127\.0\.0\.1:\d+/idp/authorize\?\S+)")


def run(
    genesis_bin: Path, env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(genesis_bin), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    record("stdout", result.stdout)
    record("stderr", result.stderr)
    return result


def spawn(genesis_bin: Path, env: dict[str, str], *args: str) -> pexpect.spawn:
    child = pexpect.spawn(
        str(genesis_bin), list(args), env=env, encoding="utf-8", timeout=60, dimensions=(50, 300)
    )
    child.logfile_read = io.StringIO()
    return child


def with_chromium(env: dict[str, str], chromium: str, page: Path) -> dict[str, str]:
    """``env`` with headless Chromium as the browser; the page it ends on goes to ``page``."""
    return {
        **env,
        "BROWSER": f"{sys.executable} {HERE / 'chromium_browser.py'} %s",
        "GENESIS_E2E_PAGE": str(page),
        "GENESIS_E2E_CHROMIUM": chromium,
    }


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    record("terminal", child.logfile_read.getvalue())
    return int(child.exitstatus if child.exitstatus is not None else -1)


def follow_to_redirect(url: str) -> str:
    """What a person does in a browser elsewhere: sign in (a cookie-jar client), and copy the
    address the IdP sends them to, without following that last redirect."""
    with requests.Session() as browser:
        response = browser.get(url, allow_redirects=False, timeout=20)
    assert response.status_code in (302, 303), response.text
    return response.headers["Location"]


def store(env: dict[str, str]) -> str:
    return (Path(env["GENESIS_STATE_DIR"]) / "auth-profiles.toml").read_text()


def sign_in_over_ssh(genesis_bin: Path, env: dict[str, str]) -> str:
    child = spawn(
        genesis_bin,
        {**env, "SSH_CONNECTION": "192.0.2.1 5 192.0.2.2 22"},
        "onboard",
        "--auth-choice",
        "chutes",
    )
    child.expect("this is an SSH session")
    child.expect(AUTHORIZE_URL)
    url = child.match.group(1)
    child.expect("Paste the URL you were redirected to: ")
    child.sendline(follow_to_redirect(url))
    decline_suggestions(child)
    assert finish(child) == 0, child.logfile_read.getvalue()
    return str(child.logfile_read.getvalue())


def test_desktop_sign_in_with_headless_chromium(
    genesis_bin, e2e_env, idp, chromium, tmp_path
) -> None:
    page = tmp_path / "page.html"
    env = with_chromium(e2e_env, chromium, page)
    child = spawn(genesis_bin, env, "onboard", "--auth-choice", "chutes", "--browser")
    child.expect("Opened your browser")
    decline_suggestions(child)
    child.expect("Connected to Chutes as alice")
    assert finish(child) == 0, child.logfile_read.getvalue()
    for _ in range(100):  # Chromium writes the DOM when it exits: bounded wait
        if page.exists() and page.stat().st_size:
            break
        time.sleep(0.1)
    assert "Signed in to Chutes" in page.read_text()
    assert "return to the terminal" in page.read_text()
    text = store(e2e_env)
    assert '[profiles."chutes:alice"]' in text and 'type = "oauth"' in text
    assert CLIENT_SECRET not in child.logfile_read.getvalue()
    assert idp.stats()["token_requests"] == 1


def test_ssh_sign_in_by_pasting_one_url(genesis_bin, e2e_env, idp) -> None:
    transcript = sign_in_over_ssh(genesis_bin, e2e_env)
    assert "Pass --browser to open a browser here instead" in transcript
    status = json.loads(run(genesis_bin, e2e_env, "auth", "status", "--json").stdout)
    assert status["active"]["profile"] == "chutes:alice"
    assert status["profiles"][0]["canRefresh"] is True


def test_paste_flow_refuses_a_wrong_state_and_a_bare_code(genesis_bin, e2e_env, idp) -> None:
    child = spawn(genesis_bin, e2e_env, "onboard", "--auth-choice", "chutes", "--no-browser")
    child.expect(AUTHORIZE_URL)
    good = follow_to_redirect(child.match.group(1))
    code = parse_qs(urlsplit(good).query)["code"][0]
    child.expect("Paste the URL")
    child.sendline(re.sub(r"state=[^&]+", "state=forged", good))
    child.expect("does not match this sign-in")
    child.expect("Paste the URL")
    child.sendline(code)
    child.expect("bare code")
    child.expect("CSRF")
    child.expect("Paste the URL")
    child.sendline(good)
    decline_suggestions(child)
    child.expect("Connected to Chutes as alice")
    assert finish(child) == 0


def test_a_denied_sign_in_is_reported_and_exits_3(genesis_bin, e2e_env, idp) -> None:
    idp.control(mode="deny")
    child = spawn(genesis_bin, e2e_env, "onboard", "--auth-choice", "chutes", "--no-browser")
    child.expect(AUTHORIZE_URL)
    denied = follow_to_redirect(child.match.group(1))
    assert "error=access_denied" in denied
    child.expect("Paste the URL")
    child.sendline(denied)
    child.expect("sign-in was denied \\(access_denied\\)")
    assert finish(child) == 3
    assert not Path(e2e_env["GENESIS_STATE_DIR"]).exists()


def test_menu_and_hidden_api_key_prompt(genesis_bin, e2e_env, idp) -> None:
    child = spawn(genesis_bin, e2e_env, "onboard")
    child.expect("Choice \\[1\\]: ")
    child.sendline("2")
    child.expect("Chutes API key \\(input hidden\\): ")
    child.sendline(API_KEY)
    decline_suggestions(child)
    child.expect("Connected to Chutes \\(API key\\)")
    assert finish(child) == 0
    assert API_KEY not in child.logfile_read.getvalue()
    assert f'key = "{API_KEY}"' in store(e2e_env)


def test_an_expiring_token_is_refreshed_once_by_the_next_command(
    genesis_bin, e2e_env, start_idp
) -> None:
    idp = start_idp(access_ttl=60)  # within the 5-minute margin: the next use refreshes
    env = {
        **e2e_env,
        "CHUTES_BASE_URL": f"{idp.root}/v1",
        "CHUTES_OAUTH_BASE_URL": f"{idp.root}/idp",
        "CHUTES_OAUTH_REDIRECT_URI": idp.redirect_uri,
    }
    sign_in_over_ssh(genesis_bin, env)
    before = store(env)
    assert idp.stats()["refresh_requests"] == 0
    result = run(genesis_bin, env, "models", "list", "--refresh", "--json")
    assert result.returncode == 0, result.stderr
    assert idp.stats()["refresh_requests"] == 1
    assert json.loads(result.stdout)["source"] == "live"
    assert "rejected" not in result.stderr  # the new access token was the one used
    assert store(env) != before


def test_auth_refresh_rotates_and_the_old_refresh_token_is_refused(
    genesis_bin, e2e_env, idp
) -> None:
    sign_in_over_ssh(genesis_bin, e2e_env)
    old = re.search(r'^refresh = "([^"]+)"', store(e2e_env), re.M).group(1)
    result = run(genesis_bin, e2e_env, "auth", "refresh", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["refreshed"][0]["profile"] == "chutes:alice"
    new = re.search(r'^refresh = "([^"]+)"', store(e2e_env), re.M).group(1)
    assert new != old
    reused = requests.post(
        f"{idp.root}/idp/token",
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "refresh_token": old,
            "client_id": e2e_env["CHUTES_CLIENT_ID"],
            "client_secret": CLIENT_SECRET,
        },
    )
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_logout_revokes_and_a_later_refresh_exits_3(genesis_bin, e2e_env, idp) -> None:
    sign_in_over_ssh(genesis_bin, e2e_env)
    saved = store(e2e_env)
    result = run(genesis_bin, e2e_env, "auth", "logout", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["loggedOut"][0]["revoked"] is True
    assert len(idp.stats()["revoked"]) == 2
    # A copy of the old store (a backup, another machine) must not be able to sign in.
    (Path(e2e_env["GENESIS_STATE_DIR"]) / "auth-profiles.toml").write_text(saved)
    again = run(genesis_bin, e2e_env, "auth", "refresh")
    assert again.returncode == 3
    assert "sign in again: genesis onboard --auth-choice chutes" in again.stderr


def test_logout_with_an_api_key_ends_every_forked_session(genesis_bin, e2e_env, idp) -> None:
    import threading

    sign_in_over_ssh(genesis_bin, e2e_env)
    refresh = re.search(r'^refresh = "([^"]+)"', store(e2e_env), re.M).group(1)
    form = {"grant_type": "refresh_token", "refresh_token": refresh,
            "client_id": e2e_env["CHUTES_CLIENT_ID"], "client_secret": CLIENT_SECRET}  # fmt: skip
    answers: list[requests.Response] = []

    def spend() -> None:
        answers.append(requests.post(f"{idp.root}/idp/token", data=form, timeout=10))

    workers = [threading.Thread(target=spend) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(20)
    forks = [a.json()["refresh_token"] for a in answers if a.status_code == 200]
    assert forks  # the session forked (or at least rotated) outside genesis
    result = run(genesis_bin, {**e2e_env, "CHUTES_API_KEY": API_KEY}, "auth", "logout", "--json")
    assert result.returncode == 0, result.stderr
    assert idp.stats().get("ended_authorizations") == 1
    for fork in forks:
        again = requests.post(
            f"{idp.root}/idp/token", data={**form, "refresh_token": fork}, timeout=10
        )
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_api_key_onboarding_into_a_commented_config(genesis_bin, e2e_env, idp) -> None:
    config = Path(e2e_env["GENESIS_STATE_DIR"]) / "genesis.json"
    config.parent.mkdir(mode=0o700)
    config.write_text(COMMENTED)
    result = run(
        genesis_bin,
        {**e2e_env, "CHUTES_API_KEY": API_KEY},
        "onboard",
        "--auth-choice",
        "chutes-api-key",
        "--non-interactive",
    )
    assert result.returncode == 0, result.stderr
    text = config.read_text()
    for line in COMMENTED.splitlines():
        if "primary" not in line:
            assert line in text
    assert "'chutes:default': { provider: 'chutes', mode: 'api_key' }" in text
    rejected = run(
        genesis_bin,
        {**e2e_env, "CHUTES_API_KEY": "cpk_wrong"},
        "onboard",
        "--auth-choice",
        "chutes-api-key",
        "--non-interactive",
    )
    assert rejected.returncode == 3
    assert config.read_text() == text


def test_discovery_down_falls_back_to_the_bundled_catalog(genesis_bin, e2e_env) -> None:
    env = {**e2e_env, "CHUTES_BASE_URL": "http://127.0.0.1:9/v1", "CHUTES_API_KEY": API_KEY}
    result = run(genesis_bin, env, "onboard", "--non-interactive", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["catalog"] == {"source": "bundled", "count": bundled_count()}
    listing = run(genesis_bin, env, "models", "list", "--refresh", "--json")
    assert json.loads(listing.stdout)["source"] == "bundled"
    assert "using the bundled catalog" in listing.stderr


def test_app_creation_then_sign_in_with_the_stored_client(
    genesis_bin, e2e_env, idp, chromium, tmp_path
) -> None:
    """A user with only an API key: `auth app create` registers an app at the (local) Chutes
    management API, which hands out the real test authorization server's client; onboarding
    then signs in with the stored client through headless Chromium."""
    from tests.chutes_api import ChutesAPI
    from tests.e2e.conftest import CLIENT_ID

    api = ChutesAPI({API_KEY})
    api.next_client = (CLIENT_ID, CLIENT_SECRET)
    api.start()
    try:
        env = {
            k: v
            for k, v in e2e_env.items()
            if k not in ("CHUTES_CLIENT_ID", "CHUTES_CLIENT_SECRET", "CHUTES_OAUTH_REDIRECT_URI")
        }
        env["CHUTES_API_BASE_URL"] = api.root
        created = run(
            genesis_bin, {**env, "CHUTES_API_KEY": API_KEY},
            "auth", "app", "create", "--redirect-uri", idp.redirect_uri, "--json",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        assert json.loads(created.stdout)["clientId"] == CLIENT_ID
        assert f'client_secret = "{CLIENT_SECRET}"' in store(env)
        browser_env = with_chromium(env, chromium, tmp_path / "page.html")
        child = spawn(genesis_bin, browser_env, "onboard", "--auth-choice", "chutes", "--browser")
        child.expect("Opened your browser")
        decline_suggestions(child)
        child.expect("Connected to Chutes as alice")
        assert finish(child) == 0, child.logfile_read.getvalue()
        assert "Client ID" not in child.logfile_read.getvalue()
        assert idp.stats()["token_requests"] == 1
        shown = json.loads(run(genesis_bin, {**env, "CHUTES_API_KEY": API_KEY},
                               "auth", "app", "show", "--json").stdout)  # fmt: skip
        assert shown["remote"] == "present"
    finally:
        api.stop()
