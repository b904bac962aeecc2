"""The TOML auth store: modes from creation, atomic locked updates, invalid stores untouched."""

from __future__ import annotations

import os

import pytest

from genesis_cli.errors import ConfigError
from genesis_cli.store import auth_store
from genesis_cli.store.auth_store import Profile
from tests.helpers import mode, store_profiles

API = Profile(id="chutes:default", type="api_key", provider="chutes", key="cpk_secret_1234")
OAUTH = Profile(
    id="chutes:alice",
    type="oauth",
    provider="chutes",
    access="cak_a",
    refresh="r1",
    expires_at=1790000000,
    client_id="cid_x",
    client_secret="csc_y",
    scopes=("openid", "profile", "chutes:invoke"),
    username="alice",
)


def test_store_and_dir_are_private_from_creation_even_with_umask_0(state_dir) -> None:
    old = os.umask(0)
    try:
        store_profiles(API)
    finally:
        os.umask(old)
    assert mode(state_dir) == 0o700
    assert mode(state_dir / "auth-profiles.toml") == 0o600


def test_profiles_round_trip_with_the_spec_schema(state_dir) -> None:
    store_profiles(API, OAUTH)
    text = (state_dir / "auth-profiles.toml").read_text()
    assert text.startswith("version = 1\n")
    assert (
        '[profiles."chutes:alice"]\ntype = "oauth"\nprovider = "chutes"\naccess = "cak_a"' in text
    )
    assert 'scopes = ["openid", "profile", "chutes:invoke"]' in text
    loaded = auth_store.load().profiles
    assert loaded == {"chutes:default": API, "chutes:alice": OAUTH}


def test_update_keeps_comments_and_unknown_fields(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    path = state_dir / "auth-profiles.toml"
    path.write_text(
        '# my note\nversion = 1\n[profiles."chutes:default"]\ntype = "api_key"\n'
        'provider = "chutes"\nkey = "cpk_old"\nlabel = "work"  # mine\n'
    )
    path.chmod(0o600)
    store_profiles(API)
    text = path.read_text()
    assert text.startswith("# my note\n")
    assert 'label = "work"  # mine' in text
    assert 'key = "cpk_secret_1234"' in text


def test_removing_a_profile_leaves_the_others(state_dir) -> None:
    store_profiles(API, OAUTH)
    auth_store.update(lambda profiles: profiles.pop("chutes:alice"))
    assert list(auth_store.load().profiles) == ["chutes:default"]


@pytest.mark.parametrize(
    "content",
    [
        b'version = 1\n[profiles."chutes:default"\n',  # truncated
        b"\xff\xfe not utf-8",
        b"version = 2\n",
        b'profiles = "nope"\n',
        b'[profiles."x"]\ntype = "api_key"\nprovider = "chutes"\nkey = 5\n',
        b'[profiles."x"]\ntype = "magic"\nprovider = "chutes"\nkey = "k"\n',
        b'[profiles."x"]\ntype = "oauth"\nprovider = "chutes"\n',  # no access token
        b'[profiles."x"]\ntype = "oauth"\nprovider = "chutes"\naccess = "a"\nexpires_at = "soon"\n',
        b'[profiles."x"]\ntype = "oauth"\nprovider = "chutes"\naccess = "a"\nscopes = [1]\n',
        b'[profiles]\nx = "not a table"\n',
        b'[profiles."x"]\ntype = "api_key"\nkey = "k"\n',  # no provider
        b'[profiles."x"]\ntype = "api_key"\nprovider = "chutes"\nkey = "k\\u00e9y"\n',
        b'clients = "nope"\n',
        b'[clients]\nchutes = "not a table"\n',
        b'[clients.chutes]\nclient_id = 5\nclient_secret = "s"\n',
        b'[clients.chutes]\nclient_id = "cid_x"\n',  # no secret
    ],
)
def test_an_invalid_store_is_reported_and_never_overwritten(state_dir, content) -> None:
    state_dir.mkdir(mode=0o700)
    path = state_dir / "auth-profiles.toml"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(ConfigError) as info:
        store_profiles(API)
    assert str(path) in info.value.message
    assert info.value.exit_code == 4
    assert path.read_bytes() == content


def test_a_store_readable_by_others_is_reported_and_made_private_by_the_next_write(
    state_dir,
) -> None:
    store_profiles(API)
    path = state_dir / "auth-profiles.toml"
    path.chmod(0o644)
    from genesis_cli.warning_log import collect_warnings

    with collect_warnings() as warnings:
        auth_store.load()
    assert mode(path) == 0o644  # reading never changes a file's mode
    assert len(warnings) == 1 and "chmod 600" in warnings[0] and "644" in warnings[0]
    store_profiles(OAUTH)
    assert mode(path) == 0o600


def test_profile_repr_hides_secrets() -> None:
    assert "cak_a" not in repr(OAUTH) and "csc_y" not in repr(OAUTH) and "r1" not in repr(OAUTH)


def test_a_referenced_secret_that_cannot_be_sent_is_exit_3_naming_the_profile(
    state_dir, monkeypatch
) -> None:
    from genesis_cli.errors import AuthError
    from genesis_cli.store import vault
    from genesis_cli.store.vault import SecretRef

    monkeypatch.setenv("MY_KEY", "cpk_caf\u00e9")
    profile = Profile(id="chutes:default", type="api_key", provider="chutes",
                      refs=(("key", SecretRef("env", "MY_KEY")),))  # fmt: skip
    with pytest.raises(AuthError) as info:
        vault.resolve(profile)
    assert "chutes:default" in info.value.message and "not a usable secret" in info.value.message
    assert info.value.exit_code == 3
    assert "caf" not in info.value.message


def test_secret_references_read_and_write_as_the_store_spells_them() -> None:
    from genesis_cli.store.vault import SecretRef

    ref = SecretRef.parse({"keyring": "genesis/chutes:alice/refresh"})
    assert ref == SecretRef.keyring("chutes:alice/refresh")
    assert ref.entry == "chutes:alice/refresh" and ref.table() == {"keyring": ref.target}
    assert SecretRef.parse({"env": "MY_KEY"}).entry is None
    for odd in ({"file": "x"}, {"env": ""}, {"env": 5}, {"env": "A", "keyring": "B"}, "env:A"):
        assert SecretRef.parse(odd).kind == "invalid"
    assert SecretRef.parse({"keyring": "other/x"}).entry is None  # not one of genesis's


TRICKY = [
    'version = 1\n[profiles."a"]\nkey = "x"\n[profiles.a]\nkey = "y"\n',  # the same table twice
    '[profiles."a"]\nkey = "x"\nkey = "y"\n',  # a key twice
    'profiles = 1\n[profiles."a"]\nkey = "x"\n',
    '[profiles."a"]\nexpires_at = 1\u0663\n',  # a digit that is not ASCII
    '[profiles."a"]\nexpires_at = 0123\n',
    '[profiles."a"]\nexpires_at = 12345678901234567890123\n',
    '[profiles."a"]\nkey = "x\\"y"\n',
    '[profiles."a"]\nkey = "tab\there"\n',
    '[profiles."a"]\r\nkey = "x"\r\n',
    '[profiles."a"]\nkey = "x" # note\n',
    '[profiles."a"]\nscopes = ["a", 1]\n',
    '[profiles."a"]\nscopes = []\nkey = {keyring = "genesis/a/key"}\n',
    '[profiles."a".b]\nkey = "x"\n',
    '[profiles]\n[profiles."a"]\nkey = "x"\n',
    "\ufeffversion = 1\n",
    '[profiles.""]\nkey = "caf\u00e9"\n',
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_the_store_read_without_tomllib_is_what_tomllib_reads(text: str) -> None:
    import tomllib

    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        expected = None
    found = auth_store._plain_toml(text)
    assert found is None or found == expected


def test_every_store_genesis_writes_is_read_without_tomllib(state_dir) -> None:
    import tomllib

    from genesis_cli.store.auth_store import OAuthApp

    store_profiles(API, OAUTH, OAUTH._replace(id="chutes:b\u00e9", username="caf\u00e9", scopes=()))
    auth_store.set_client("chutes", OAuthApp("chutes", "cid_x", "csc_y", app_id="app-1"))
    text = (state_dir / "auth-profiles.toml").read_text()
    assert auth_store._plain_toml(text) == tomllib.loads(text)
