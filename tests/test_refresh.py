"""Token refresh: automatic near expiry, forced by `auth refresh`, safe across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from genesis_cli.flows.refresh import refresh_profile
from genesis_cli.oauth import protocol
from genesis_cli.store import auth_store
from genesis_cli.store.auth_store import Profile
from tests.helpers import CHUTES, disk_full, invoke, store_oauth_profile
from tests.oauth_server import CLIENT_ID, CLIENT_SECRET


@pytest.fixture
def idp(auth_server, models_server):
    models_server.valid_tokens = None
    return auth_server


def stored() -> Profile:
    return auth_store.load().profiles["chutes:alice"]


def test_a_token_expiring_within_five_minutes_is_refreshed_once(idp, models_server) -> None:
    old = store_oauth_profile(idp, expires_in=200)
    result = invoke("models", "list", "--refresh", "--json")
    assert result.exit_code == 0, result.stderr
    new = stored()
    assert idp.refresh_requests == 1
    assert new.access != old.access and new.refresh != old.refresh
    assert new.expires_at > time.time() + 3000
    assert models_server.requests[-1]["authorization"] == f"Bearer {new.access}"
    invoke("models", "list", "--refresh", "--json")
    assert idp.refresh_requests == 1


def test_a_fresh_token_is_left_alone(idp) -> None:
    store_oauth_profile(idp, expires_in=3000)
    assert invoke("models", "list", "--json").exit_code == 0
    assert idp.refresh_requests == 0


def test_auth_refresh_rotates_and_the_old_refresh_token_is_then_refused(idp) -> None:
    old = store_oauth_profile(idp, expires_in=3000)
    result = invoke("auth", "refresh", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["refreshed"] == [{"profile": "chutes:alice", "expiresAt": stored().expires_at}]
    assert document["skipped"] == []
    assert old.refresh not in result.stdout + result.stderr
    client = protocol.Client(CHUTES, CLIENT_ID, CLIENT_SECRET, "", ("openid",), idp.base_url)
    with pytest.raises(protocol.OAuthError) as info:
        protocol.refresh(client, old.refresh or "")
    assert info.value.error == "invalid_grant"


def test_auth_refresh_prints_the_new_expiry(idp) -> None:
    store_oauth_profile(idp, expires_in=3000)
    result = invoke("auth", "refresh")
    assert result.exit_code == 0
    assert result.stdout.startswith("Refreshed chutes:alice: access token valid until ")
    assert "(in 60 min)" in result.stdout


def test_a_spent_refresh_token_exits_3_and_says_sign_in_again(idp) -> None:
    profile = store_oauth_profile(idp, expires_in=3000)
    idp.refresh_tokens[profile.refresh or ""]["used"] = True
    result = invoke("auth", "refresh")
    assert result.exit_code == 3
    assert "sign in again: genesis onboard --auth-choice chutes" in result.stderr
    assert stored() == profile  # nothing lost


def test_automatic_refresh_with_a_spent_token_exits_3(idp) -> None:
    profile = store_oauth_profile(idp, expires_in=10)
    idp.refresh_tokens[profile.refresh or ""]["used"] = True
    result = invoke("models", "list")
    assert result.exit_code == 3
    assert "sign in again" in result.stderr


def test_transient_failure_keeps_a_still_valid_token_with_a_warning(idp, models_server) -> None:
    profile = store_oauth_profile(idp, expires_in=120)
    idp.token_status = 503
    result = invoke("models", "list", "--refresh", "--json")
    assert result.exit_code == 0
    assert "could not refresh chutes:alice" in result.stderr
    assert stored() == profile
    assert models_server.requests[-1]["authorization"] == f"Bearer {profile.access}"


def test_transient_failure_with_an_expired_token_is_an_error(idp) -> None:
    store_oauth_profile(idp, expires_in=-10)
    idp.token_status = 502
    result = invoke("models", "list")
    assert result.exit_code == 1
    assert "could not refresh the expired sign-in" in result.stderr


def test_api_key_profiles_and_env_tokens_are_skipped_with_a_note(idp, monkeypatch) -> None:
    auth_store.update(
        lambda p: p.__setitem__(
            "chutes:default",
            Profile(id="chutes:default", type="api_key", provider="chutes", key="cpk_x"),
        )
    )
    monkeypatch.setenv("CHUTES_OAUTH_TOKEN", "cak_env")
    result = invoke("auth", "refresh", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["skipped"] == [
        {
            "profile": "env:CHUTES_OAUTH_TOKEN",
            "reason": "a token from the environment cannot be refreshed by genesis",
        },
        {"profile": "chutes:default", "reason": "api keys do not expire"},
    ]
    assert idp.refresh_requests == 0


def test_nothing_to_refresh_exits_3() -> None:
    result = invoke("auth", "refresh")
    assert result.exit_code == 3
    assert "genesis onboard" in result.stderr


def test_unknown_profile_is_a_usage_error(idp) -> None:
    store_oauth_profile(idp, expires_in=3000)
    result = invoke("auth", "refresh", "--profile", "chutes:bob")
    assert result.exit_code == 2
    assert "chutes:alice" in result.stderr


def test_a_token_refreshed_by_another_process_is_adopted(idp) -> None:
    store_oauth_profile(idp, expires_in=3000)
    result = refresh_profile(
        CHUTES, "chutes:alice", force=True, seen_access="cak_seen_before_the_lock"
    )
    assert result == stored() and result.access != "cak_seen_before_the_lock"  # adopted
    assert idp.refresh_requests == 0


@pytest.mark.slow
def test_eight_processes_send_one_refresh_request_between_them(
    idp, models_server, state_dir
) -> None:
    store_oauth_profile(idp, expires_in=60)
    idp.refresh_delay = 0.3  # keep the first refresh in flight while the others queue up
    invoke("models", "list", "--refresh")  # the network is asked: one refresh
    assert idp.refresh_requests == 1
    store_oauth_profile(idp, expires_in=60)
    before = idp.refresh_requests
    env = {**os.environ}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "genesis_cli", "auth", "token"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(8)
    ]
    outcomes = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in outcomes]
    assert idp.refresh_requests - before == 1
    assert idp.reused_refresh_tokens == 0
    assert stored().expires_at > time.time() + 3000


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, {"error": "temporarily_unavailable"}),
        (500, {"error": "server_error", "error_description": "db down"}),
        (429, {"error": "slow_down"}),
        (429, {"detail": "Too Many Requests"}),
        (400, {"error": "temporarily_unavailable"}),
    ],
)
def test_a_transient_token_endpoint_failure_is_not_a_dead_refresh_token(
    idp, models_server, status, body
) -> None:
    profile = store_oauth_profile(idp, expires_in=120)
    idp.token_status, idp.token_body = status, body
    result = invoke("models", "list", "--refresh", "--json")
    assert result.exit_code == 0, result.stderr
    assert "could not refresh chutes:alice" in result.stderr
    assert "sign in again" not in result.stderr
    assert stored() == profile
    forced = invoke("auth", "refresh")
    assert forced.exit_code == 1, forced.stderr
    assert "sign in again" not in forced.stderr


def test_a_lone_surrogate_in_the_answers_scope_never_loses_the_new_refresh_token(idp) -> None:
    old = store_oauth_profile(idp, expires_in=3000)
    idp.refresh_tokens[old.refresh or ""]["scope"] = "openid \ud800 chutes:invoke"
    result = invoke("auth", "refresh")
    assert result.exit_code == 0, result.stderr
    new = stored()
    assert new.refresh != old.refresh and new.refresh in idp.refresh_tokens
    assert all(scope.isascii() and scope.isprintable() for scope in new.scopes)
    assert invoke("auth", "status").exit_code == 0


def test_a_store_that_cannot_be_written_is_found_before_the_refresh_token_is_spent(
    idp, monkeypatch
) -> None:
    old = store_oauth_profile(idp, expires_in=3000)
    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", disk_full)
        result = invoke("auth", "refresh")
    assert result.exit_code == 4, result.stderr
    assert "No space left on device" in result.stderr
    assert idp.refresh_requests == 0
    assert stored() == old


def test_tokens_that_could_not_be_saved_after_the_spend_are_said_plainly(idp, monkeypatch) -> None:
    from genesis_cli.store import auth_store as store_module

    store_oauth_profile(idp, expires_in=3000)
    monkeypatch.setattr(store_module, "atomic_write", disk_full)
    result = invoke("auth", "refresh")
    assert idp.refresh_requests == 1
    assert result.exit_code == 3, result.stderr
    assert "issued new tokens" in result.stderr and "could not be saved" in result.stderr
    assert "sign in again" in result.stderr
    assert "nothing was changed" not in result.stderr


def test_an_exported_access_token_in_chutes_api_key_is_refreshed_as_its_profile(idp) -> None:
    old = store_oauth_profile(idp, expires_in=200)
    result = invoke("auth", "token", env={"CHUTES_API_KEY": old.access}, prints_secret=True)
    assert result.exit_code == 0, result.stderr
    assert idp.refresh_requests == 1
    assert result.stdout.strip() == stored().access != old.access


def test_a_store_that_cannot_be_written_keeps_a_still_valid_token_in_use(
    idp, models_server, monkeypatch
) -> None:
    old = store_oauth_profile(idp, expires_in=200)
    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", disk_full)
        result = invoke("models", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert "could not refresh chutes:alice" in result.stderr
    assert "No space left on device" in result.stderr
    assert idp.refresh_requests == 0
    assert stored() == old
