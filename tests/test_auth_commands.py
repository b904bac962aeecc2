"""`auth status`, `auth logout`, `models default`: output, JSON, exit codes, files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genesis_cli.config import config_file
from genesis_cli.store import auth_store
from tests.helpers import GOOD_KEY, invoke, onboard, store_oauth_profile, store_profiles

COMMENTED = (Path(__file__).parent / "golden" / "commented.json5").read_text()


@pytest.fixture
def onboarded(models_server, state_dir):
    """An API-key profile onboarded into the commented config."""
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text(COMMENTED)
    result = onboard()
    assert result.exit_code == 0, result.stderr
    return state_dir


# --- auth status -------------------------------------------------------------------------


def test_status_without_credentials_exits_3() -> None:
    result = invoke("auth", "status")
    assert result.exit_code == 3
    assert "Not signed in" in result.stdout


def test_status_json_without_credentials_is_still_one_document() -> None:
    result = invoke("auth", "status", "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout) == {"active": None, "profiles": [], "problems": []}


def test_status_lists_profiles_and_the_active_one(onboarded, auth_server) -> None:
    alice = store_oauth_profile(auth_server)
    result = invoke("auth", "status", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["active"] == {
        "source": "profile",
        "profile": "chutes:alice",
        "type": "oauth",
        "masked": "cak_…" + alice.access[-4:],
        "expiresAt": alice.expires_at,
    }
    assert document["profiles"] == [
        {
            "id": "chutes:alice",
            "type": "oauth",
            "username": "alice",
            "masked": "cak_…" + alice.access[-4:],
            "expiresAt": alice.expires_at,
            "canRefresh": True,
            "secrets": {"access": "file", "refresh": "file", "client_secret": "file"},
        },
        {
            "id": "chutes:default",
            "type": "api_key",
            "username": None,
            "masked": "cpk_…" + GOOD_KEY[-4:],
            "expiresAt": None,
            "canRefresh": False,
            "secrets": {"key": "file"},
        },
    ]
    assert document["problems"] == []
    human = invoke("auth", "status")
    assert "Active: profile chutes:alice (oauth" in human.stdout
    assert "refreshes itself" in human.stdout and "(in 60 min)" in human.stdout
    assert alice.access not in human.stdout + result.stdout
    assert GOOD_KEY not in human.stdout + result.stdout


def test_status_names_an_env_variable_that_shadows_stored_profiles(onboarded) -> None:
    result = invoke("auth", "status", "--json", env={"CHUTES_OAUTH_TOKEN": "cak_from_env_1234"})
    document = json.loads(result.stdout)
    assert document["active"]["source"] == "env:CHUTES_OAUTH_TOKEN"
    assert document["active"]["type"] == "token"
    assert document["active"]["masked"] == "cak_…1234"
    assert document["problems"] == [
        "CHUTES_OAUTH_TOKEN is set and overrides the stored profile chutes:default"
    ]
    assert (
        "overrides the stored profile"
        in invoke("auth", "status", env={"CHUTES_API_KEY": "x"}).stderr
    )


def test_status_reports_loose_modes_and_a_dead_oauth_profile(onboarded, auth_server) -> None:
    (onboarded / "genesis.json").chmod(0o644)
    dead = store_oauth_profile(auth_server, expires_in=-60, profile_id="chutes:old")
    store_profiles(dead.with_changes(refresh=None))
    problems = json.loads(invoke("auth", "status", "--json").stdout)["problems"]
    assert any("genesis.json is accessible to other users (mode 644)" in p for p in problems)
    assert any(p.startswith("chutes:old: the access token expired") for p in problems)


# --- auth logout -------------------------------------------------------------------------


def test_logout_revokes_both_tokens_and_deletes_everywhere(onboarded, auth_server) -> None:
    alice = store_oauth_profile(auth_server)
    config = onboarded / "genesis.json"
    text = config.read_text().replace(
        '"chutes:default"',
        "\"chutes:default\",\n      'chutes:alice': { provider: 'chutes', mode: 'oauth' }",
    )
    config.write_text(text.replace(",,", ","))
    result = invoke("auth", "logout", "--profile", "chutes:alice", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["loggedOut"] == [
        {"profile": "chutes:alice", "type": "oauth", "revoked": True}
    ]
    assert auth_server.revoked == [alice.refresh, alice.access]
    assert "chutes:alice" not in auth_store.load().profiles
    after = config.read_text()
    assert "chutes:alice" not in after and "// my own alias" in after
    assert "chutes:default" in after


def test_logout_succeeds_when_the_revoke_endpoint_is_down(
    onboarded, auth_server, monkeypatch
) -> None:
    store_oauth_profile(auth_server)
    monkeypatch.setenv("CHUTES_OAUTH_BASE_URL", "http://127.0.0.1:9/idp")
    result = invoke("auth", "logout", "--profile", "chutes:alice")
    assert result.exit_code == 0
    assert "could not revoke the tokens of chutes:alice" in result.stderr
    assert "chutes:alice" not in auth_store.load().profiles


def test_logout_of_the_only_profile_needs_no_flag(onboarded) -> None:
    result = invoke("auth", "logout")
    assert result.exit_code == 0
    assert "Logged out of chutes:default" in result.stdout
    assert "still works until you delete it" in result.stderr
    assert auth_store.load().profiles == {}
    assert '"chutes:default"' not in (onboarded / "genesis.json").read_text()


def test_logout_with_several_profiles_asks_which(onboarded, auth_server) -> None:
    store_oauth_profile(auth_server)
    result = invoke("auth", "logout")
    assert result.exit_code == 2
    assert "--all" in result.stderr
    assert len(auth_store.load().profiles) == 2


def test_logout_all_and_env_warning(onboarded, auth_server) -> None:
    store_oauth_profile(auth_server)
    result = invoke("auth", "logout", "--all", env={"CHUTES_API_KEY": "cpk_env"})
    assert result.exit_code == 0
    assert auth_store.load().profiles == {}
    assert "CHUTES_API_KEY is set in your environment and still signs you in" in result.stderr


def test_logout_of_an_unknown_profile_is_a_usage_error(onboarded) -> None:
    assert invoke("auth", "logout", "--profile", "chutes:nobody").exit_code == 2
    assert invoke("auth", "logout", "--profile", "x", "--all").exit_code == 2


def test_refresh_after_logout_fails_with_exit_3(auth_server, models_server) -> None:
    alice = store_oauth_profile(auth_server)
    invoke("auth", "logout")
    store_profiles(alice)  # a stale copy comes back
    result = invoke("auth", "refresh")
    assert result.exit_code == 3
    assert "sign in again" in result.stderr


# --- models default ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("chutes-pro", "chutes/deepseek-ai/DeepSeek-V3.2-TEE"),
        ("chutes/zai-org/GLM-5-TEE", "chutes/zai-org/GLM-5-TEE"),
        ("zai-org/GLM-5-TEE", "chutes/zai-org/GLM-5-TEE"),
        ("openai/gpt-5.1", "openai/gpt-5.1"),
        ("glm-fast", "chutes/zai-org/GLM-4.7-FP8"),
    ],
)
def test_default_accepts_refs_aliases_and_bare_ids(onboarded, typed, expected) -> None:
    result = invoke("models", "default", typed, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["default"] == expected
    text = (onboarded / "genesis.json").read_text()
    assert f"primary: '{expected}'" in text
    assert "// my old default" in text


def test_the_new_default_is_allowed_and_no_model_policy_is_made(onboarded) -> None:
    assert invoke("models", "default", "openai/gpt-9").exit_code == 0
    defaults = config_file.load(onboarded / "genesis.json").data["agents"]["defaults"]
    assert defaults["model"]["primary"] == "openai/gpt-9"
    assert "openai/gpt-9" in defaults["models"]  # OpenClaw's allowlist
    assert "modelPolicy" not in defaults


def test_the_new_default_joins_an_existing_model_policy(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    policy = '{agents: {defaults: {modelPolicy: {allow: ["chutes/*"]}}}}'
    (state_dir / "genesis.json").write_text(policy)
    assert invoke("models", "default", "openai/gpt-5.1").exit_code == 0
    defaults = config_file.load(state_dir / "genesis.json").data["agents"]["defaults"]
    assert defaults["modelPolicy"]["allow"] == ["chutes/*", "openai/gpt-5.1"]
    assert invoke("models", "default", "chutes-pro").exit_code == 0  # chutes/* covers it
    defaults = config_file.load(state_dir / "genesis.json").data["agents"]["defaults"]
    assert defaults["modelPolicy"]["allow"] == ["chutes/*", "openai/gpt-5.1"]
    assert "chutes/deepseek-ai/DeepSeek-V3.2-TEE" in defaults["models"]


def test_default_warns_when_the_model_is_not_in_the_catalog(onboarded) -> None:
    result = invoke("models", "default", "chutes/nobody/Nothing-1B")
    assert result.exit_code == 0
    assert "not in the current" in result.stderr
    assert (
        "Default model: chutes/nobody/Nothing-1B (was chutes/zai-org/GLM-4.7-TEE)" in result.stdout
    )


def test_default_refuses_an_unknown_word(onboarded) -> None:
    before = (onboarded / "genesis.json").read_bytes()
    result = invoke("models", "default", "fastest")
    assert result.exit_code == 2
    assert (onboarded / "genesis.json").read_bytes() == before


@pytest.mark.parametrize(
    "typed",
    [
        "chutes/zai-org/GLM-5-TEE/",  # a trailing slash
        "chutes/zai-org//GLM-5-TEE",
        "chutes/",
        "chutes/zai-org/GL\x01M-5",  # a control character
        "chutes/zai-org/GLM-5\u00a0TEE",  # a no-break space inside
        "chutes/a;rm",  # shell syntax
        "chutes/" + "x" * 300,
    ],
)
def test_default_refuses_a_ref_the_catalog_could_not_hold_before_writing(onboarded, typed) -> None:
    before = (onboarded / "genesis.json").read_bytes()
    result = invoke("models", "default", typed)
    assert result.exit_code == 2, result.output
    assert (
        result.stderr.startswith("error: ") and "is not a valid Chutes model ref" in result.stderr
    )
    assert "warning" not in result.stderr and "genesis models list" in result.stderr
    assert len(result.stderr.splitlines()) == 2  # the error and its next step
    assert (onboarded / "genesis.json").read_bytes() == before


@pytest.mark.parametrize("alias", ["evil", "evil2", "evil4"])
def test_default_refuses_an_alias_naming_a_ref_without_a_provider_part(state_dir, alias) -> None:
    state_dir.mkdir(mode=0o700)
    aliases = '{x: {alias: "evil"}, chutes: {alias: "evil2"}, "-rf": {alias: "evil4"}}'
    (state_dir / "genesis.json").write_text(f"{{agents: {{defaults: {{models: {aliases}}}}}}}")
    before = (state_dir / "genesis.json").read_bytes()
    result = invoke("models", "default", alias)
    assert result.exit_code == 2, result.output
    assert f"(the alias '{alias}') is not a valid Chutes model ref" in result.stderr
    assert (state_dir / "genesis.json").read_bytes() == before


def test_default_writes_the_provider_part_in_lower_case(onboarded) -> None:
    result = invoke("models", "default", "CHUTES/zai-org/GLM-5-TEE")
    assert result.exit_code == 0, result.output
    assert "not in the current" not in result.stderr  # it is this provider's model
    defaults = config_file.load(onboarded / "genesis.json").data["agents"]["defaults"]
    assert defaults["model"]["primary"] == "chutes/zai-org/GLM-5-TEE"
    assert "CHUTES/zai-org/GLM-5-TEE" not in defaults["models"]


def test_default_with_no_config_creates_one(state_dir) -> None:
    result = invoke("models", "default", "chutes-pro")
    assert result.exit_code == 0  # a default alias means its target before onboarding too
    assert '"chutes/deepseek-ai/DeepSeek-V3.2-TEE"' in (state_dir / "genesis.json").read_text()
    assert invoke("models", "default", "chutes-nope").exit_code == 2
    result = invoke("models", "default", "chutes/zai-org/GLM-5-TEE")
    assert result.exit_code == 0
    assert "primary" in (state_dir / "genesis.json").read_text()


def test_setting_the_same_default_twice_changes_nothing(onboarded) -> None:
    invoke("models", "default", "chutes-pro")
    before = (onboarded / "genesis.json").read_bytes()
    result = invoke("models", "default", "chutes-pro")
    assert "(unchanged)" in result.stdout
    assert (onboarded / "genesis.json").read_bytes() == before


def _fork(auth_server, refresh: str, branches: int = 3) -> list[dict]:
    """Concurrent refreshes of one refresh token: as at Chutes, the session forks."""
    import threading

    from genesis_cli.oauth import protocol
    from tests.helpers import CHUTES
    from tests.oauth_server import CLIENT_ID, CLIENT_SECRET

    client = protocol.Client(
        CHUTES, CLIENT_ID, CLIENT_SECRET, "", ("openid",), auth_server.base_url
    )
    auth_server.refresh_delay = 0.3
    got: list = []
    workers = [
        threading.Thread(target=lambda: got.append(protocol.refresh(client, refresh)))
        for _ in range(branches)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    auth_server.refresh_delay = 0.0
    assert len(got) == branches  # every branch got its own new tokens
    return [{"access": t.access, "refresh": t.refresh} for t in got]


def _alive(auth_server, tokens: dict) -> bool:
    with auth_server._lock:
        entry = auth_server.refresh_tokens[tokens["refresh"]]
        return not entry["used"] or tokens["access"] in auth_server.access_tokens


def test_logout_ends_the_whole_authorization_when_an_api_key_is_at_hand(
    onboarded, auth_server, chutes_api
) -> None:
    from tests.oauth_server import CLIENT_ID, CLIENT_SECRET

    chutes_api.idp = auth_server
    chutes_api.next_client = (CLIENT_ID, CLIENT_SECRET)
    assert invoke("auth", "app", "create").exit_code == 0  # stores the app and its app id
    (app_id,) = chutes_api.apps
    alice = store_oauth_profile(auth_server)
    forks = _fork(auth_server, alice.refresh or "")
    result = invoke("auth", "logout", "--profile", "chutes:alice", "--json")
    assert result.exit_code == 0, result.stderr
    assert not any("authorization" in w for w in json.loads(result.stdout)["warnings"])
    assert f"DELETE /idp/authorizations/{app_id}" in chutes_api.paths()
    assert chutes_api.calls[-1]["authorization"] == f"Bearer {GOOD_KEY}"
    assert not any(_alive(auth_server, branch) for branch in forks)
    assert "chutes:default" in auth_store.load().profiles  # the API key stays


def test_without_an_api_key_logout_revokes_only_its_own_tokens(auth_server, state_dir) -> None:
    alice = store_oauth_profile(auth_server)
    forks = _fork(auth_server, alice.refresh or "", branches=2)
    result = invoke("auth", "logout", "--json")
    assert result.exit_code == 0, result.stderr
    assert all(_alive(auth_server, branch) for branch in forks)  # as at Chutes


def test_the_app_id_is_looked_up_when_no_app_is_stored(onboarded, auth_server, chutes_api) -> None:
    from tests.oauth_server import CLIENT_ID

    chutes_api.idp = auth_server
    chutes_api.apps["app-1"] = {"app_id": "app-1", "client_id": CLIENT_ID, "name": "mine"}
    store_oauth_profile(auth_server)
    result = invoke("auth", "logout", "--profile", "chutes:alice")
    assert result.exit_code == 0, result.stderr
    assert chutes_api.paths()[-2:] == [
        "GET /idp/authorizations",
        "DELETE /idp/authorizations/app-1",
    ]
    assert auth_server.authorized_clients("alice") == set()
