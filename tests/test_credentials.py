"""Run-time credential order: env key, env token, then stored profiles."""

from __future__ import annotations

from genesis_cli.flows import credentials
from genesis_cli.store import auth_store
from genesis_cli.store.auth_store import Profile
from tests.helpers import CHUTES

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


def store(*profiles: Profile) -> None:
    auth_store.update(lambda current: current.update({p.id: p for p in profiles}))


def test_no_credential_anywhere() -> None:
    assert credentials.active(CHUTES) is None


def test_env_api_key_comes_first(monkeypatch) -> None:
    store(KEY, ALICE)
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
    store(KEY)
    monkeypatch.setenv("CHUTES_OAUTH_TOKEN", "cak_env")
    active = credentials.active(CHUTES)
    assert active is not None and (active.source, active.type) == (
        "env:CHUTES_OAUTH_TOKEN",
        "token",
    )


def test_stored_oauth_beats_stored_api_key() -> None:
    store(KEY, ALICE, OTHER)
    active = credentials.active(CHUTES)
    assert active is not None
    assert (active.source, active.profile, active.secret) == (
        "profile",
        "chutes:alice",
        "cak_alice",
    )


def test_auth_order_in_the_config_wins(state_dir) -> None:
    store(KEY, ALICE)
    (state_dir / "genesis.json").write_text('{ auth: { order: { chutes: ["chutes:default"] } } }')
    active = credentials.active(CHUTES)
    assert active is not None and active.profile == "chutes:default"


def test_other_providers_profiles_are_ignored() -> None:
    store(OTHER)
    assert credentials.active(CHUTES) is None


def test_credential_repr_hides_the_secret(monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_API_KEY", "cpk_topsecret")
    assert "topsecret" not in repr(credentials.active(CHUTES))
