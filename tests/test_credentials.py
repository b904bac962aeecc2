"""Run-time credential order: env key, env token, then stored profiles."""

from __future__ import annotations

import pytest

from genesis_cli.errors import ConfigError
from genesis_cli.flows import credentials
from genesis_cli.store.auth_store import Profile
from tests.helpers import CHUTES, store_profiles

KEY = Profile(id="chutes:default", type="api_key", provider="chutes", key="cpk_stored")
ALICE = Profile(
    id="chutes:alice",
    type="oauth",
    provider="chutes",
    access="cak_alice",
    refresh="r",
    expires_at=4_000_000_000,
)
OTHER = Profile(id="openai:default", type="api_key", provider="openai", key="sk_x")


def test_no_credential_anywhere() -> None:
    assert credentials.active(CHUTES) is None


def test_env_api_key_comes_first(monkeypatch) -> None:
    store_profiles(KEY, ALICE)
    monkeypatch.setenv("CHUTES_API_KEY", " cpk_env ")
    monkeypatch.setenv("CHUTES_OAUTH_TOKEN", "cak_env")
    active = credentials.active(CHUTES)
    assert active is not None
    assert (active.source, active.type, active.secret) == (
        "env:CHUTES_API_KEY",
        "api_key",
        "cpk_env",
    )


def test_env_token_comes_before_stored_profiles(monkeypatch) -> None:
    store_profiles(KEY)
    monkeypatch.setenv("CHUTES_OAUTH_TOKEN", "cak_env")
    active = credentials.active(CHUTES)
    assert active is not None and (active.source, active.type) == (
        "env:CHUTES_OAUTH_TOKEN",
        "token",
    )


def test_stored_oauth_beats_stored_api_key() -> None:
    store_profiles(KEY, ALICE, OTHER)
    active = credentials.active(CHUTES)
    assert active is not None
    assert (active.source, active.profile, active.secret) == (
        "profile",
        "chutes:alice",
        "cak_alice",
    )


def test_auth_order_in_the_config_wins(state_dir) -> None:
    store_profiles(KEY, ALICE)
    (state_dir / "genesis.json").write_text('{ auth: { order: { chutes: ["chutes:default"] } } }')
    active = credentials.active(CHUTES)
    assert active is not None and active.profile == "chutes:default"


def test_the_config_is_read_only_when_two_profiles_could_answer(state_dir) -> None:
    store_profiles(KEY, OTHER)  # one of this provider's: nothing to order, the config is not read
    (state_dir / "genesis.json").write_text("{ auth: ")  # unreadable
    active = credentials.active(CHUTES)
    assert active is not None and active.profile == "chutes:default"
    assert credentials.api_key(CHUTES) == "cpk_stored"
    store_profiles(ALICE)  # two: auth.order decides, so the broken config is an error
    with pytest.raises(ConfigError):
        credentials.active(CHUTES)
    with pytest.raises(ConfigError):
        credentials.api_key(CHUTES)


def test_other_providers_profiles_are_ignored() -> None:
    store_profiles(OTHER)
    assert credentials.active(CHUTES) is None


def test_credential_repr_hides_the_secret(monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_API_KEY", "cpk_topsecret")
    assert "topsecret" not in repr(credentials.active(CHUTES))


def test_an_env_credential_with_whitespace_or_a_control_char_is_exit_2_at_use() -> None:
    from tests.helpers import invoke

    for name, value in [("CHUTES_API_KEY", "a b"), ("CHUTES_OAUTH_TOKEN", "cak_a\tb")]:
        for args in (("auth", "token"), ("env",), ("auth", "status")):
            result = invoke(*args, env={name: value}, prints_secret=True)
            assert result.exit_code == 2, (args, result.stdout, result.stderr)
            assert name in result.stderr


def test_a_profile_listed_twice_in_auth_order_is_ranked_once(state_dir) -> None:
    from genesis_cli.store import auth_store as store_module

    store_module.update(lambda current: current.update({KEY.id: KEY, ALICE.id: ALICE}))
    order = '["chutes:default", "chutes:default"]'
    (state_dir / "genesis.json").write_text(f"{{ auth: {{ order: {{ chutes: {order} }} }} }}")
    ranked = credentials.ranked_profiles(CHUTES, store_module.load().profiles)
    assert [p.id for p in ranked] == ["chutes:default", "chutes:alice"]


def test_an_api_key_kept_by_reference_is_the_key_at_hand(chutes_api, monkeypatch) -> None:
    from genesis_cli.flows import credentials as creds
    from genesis_cli.store.vault import SecretRef
    from tests.helpers import GOOD_KEY, invoke

    store_profiles(Profile(id="chutes:default", type="api_key", provider="chutes",
                  refs=(("key", SecretRef("env", "MY_CHUTES_KEY")),)))  # fmt: skip
    monkeypatch.setenv("MY_CHUTES_KEY", GOOD_KEY)
    assert creds.api_key(CHUTES) == GOOD_KEY
    result = invoke("auth", "app", "create", "--json")
    assert result.exit_code == 0, result.stderr
    assert chutes_api.calls[0]["authorization"] == f"Bearer {GOOD_KEY}"


def test_an_exported_access_token_in_chutes_api_key_is_its_profile(monkeypatch) -> None:
    import json

    from tests.helpers import invoke

    store_profiles(KEY, ALICE)
    monkeypatch.setenv("CHUTES_API_KEY", "cak_alice")
    active = credentials.active(CHUTES)
    assert active is not None
    assert (active.source, active.type, active.profile) == ("profile", "oauth", "chutes:alice")
    document = json.loads(invoke("auth", "status", "--json").stdout)
    assert document["active"]["profile"] == "chutes:alice"
    assert document["active"]["type"] == "oauth"
    assert document["active"]["expiresAt"] == ALICE.expires_at


def test_an_unknown_access_token_in_chutes_api_key_is_an_env_token(monkeypatch) -> None:
    import json

    from tests.helpers import invoke

    store_profiles(KEY)
    monkeypatch.setenv("CHUTES_API_KEY", "cak_someone_else")
    document = json.loads(invoke("auth", "status", "--json").stdout)
    assert document["active"]["source"] == "env:CHUTES_API_KEY"
    assert document["active"]["type"] == "token"
    assert document["active"]["expiresAt"] is None
    refreshed = json.loads(invoke("auth", "refresh", "--json").stdout)
    assert refreshed["refreshed"] == []
    reason = "a token from the environment cannot be refreshed by genesis"
    assert {"profile": "env:CHUTES_API_KEY", "reason": reason} in refreshed["skipped"]
