"""`genesis auth app create|show|delete` against a local Chutes management API."""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.helpers import GOOD_KEY, invoke, mode, onboard, snapshot


def stored(state_dir) -> dict:
    return tomllib.loads((state_dir / "auth-profiles.toml").read_text())


def create(*args: str, key: str | None = GOOD_KEY):
    env = {"CHUTES_API_KEY": key} if key else {}
    return invoke("auth", "app", "create", "--json", *args, env=env)


def test_create_registers_the_app_and_stores_its_secret_at_once(chutes_api, state_dir) -> None:
    result = create()
    assert result.exit_code == 0, result.stderr
    (call,) = chutes_api.calls
    assert call["method"] == "POST" and call["path"] == "/idp/apps"
    assert call["authorization"] == f"Bearer {GOOD_KEY}"
    body = call["body"]
    assert body["name"].startswith("genesis-") and len(body["name"]) == len("genesis-") + 6
    assert body == {
        "name": body["name"],
        "description": "genesis CLI",
        "redirect_uris": ["http://127.0.0.1:1456/oauth-callback"],
        "public": False,
        "allowed_scopes": ["openid", "profile", "chutes:invoke"],
        "refresh_token_lifetime_days": 30,
    }
    (app,) = chutes_api.apps.values()
    client = stored(state_dir)["clients"]["chutes"]
    assert client == {
        "app_id": app["app_id"],
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "redirect_uri": "http://127.0.0.1:1456/oauth-callback",
        "name": body["name"],
    }
    assert mode(state_dir / "auth-profiles.toml") == 0o600
    document = json.loads(result.stdout)
    assert document == {
        "name": body["name"],
        "appId": app["app_id"],
        "clientId": app["client_id"],
        "masked": "csc_…" + app["client_secret"][-4:],
        "redirectUri": "http://127.0.0.1:1456/oauth-callback",
        "remote": "present",
    }
    assert app["client_secret"] not in result.stdout + result.stderr


def test_redirect_uri_flag_beats_the_env_which_beats_the_default(
    chutes_api, state_dir, monkeypatch
) -> None:
    monkeypatch.setenv("CHUTES_OAUTH_REDIRECT_URI", "http://127.0.0.1:7001/cb")
    assert create().exit_code == 0
    assert chutes_api.calls[-1]["body"]["redirect_uris"] == ["http://127.0.0.1:7001/cb"]
    assert create("--redirect-uri", "http://localhost:7002/cb").exit_code == 0
    assert chutes_api.calls[-1]["body"]["redirect_uris"] == ["http://localhost:7002/cb"]
    assert stored(state_dir)["clients"]["chutes"]["redirect_uri"] == "http://localhost:7002/cb"


def test_a_taken_name_is_retried_once_with_a_new_one(chutes_api, state_dir) -> None:
    chutes_api.taken.add("mine")
    result = create("--name", "Mine")
    assert result.exit_code == 0, result.stderr
    first, second = (c["body"]["name"] for c in chutes_api.calls)
    assert first == "Mine" and second.startswith("genesis-")


def test_a_second_409_exits_1_and_stores_nothing(chutes_api, state_dir, monkeypatch) -> None:
    from genesis_cli.providers.chutes import apps

    monkeypatch.setattr(apps, "new_name", lambda: "taken-too")
    chutes_api.taken.update({"first", "taken-too"})
    result = create("--name", "first")
    assert result.exit_code == 1
    assert "taken, twice" in result.stderr
    assert len(chutes_api.calls) == 2
    assert not (state_dir / "auth-profiles.toml").exists()


@pytest.mark.parametrize(
    ("setup", "code", "words"),
    [
        ("unknown-key", 3, "does not know this API key"),
        ("limited-key", 3, "admin"),
        ("422", 1, "invalid app name"),
        ("500", 1, "HTTP 500"),
        ("nonjson", 1, "without JSON"),
        ("wrongtypes", 1, "lacks the app id, client id or secret"),
    ],
)
def test_chutes_refusals_exit_cleanly_and_store_nothing(
    chutes_api, state_dir, setup, code, words
) -> None:
    key = GOOD_KEY
    if setup == "unknown-key":
        key = "cpk_" + "9" * 32 + "." + "9" * 32 + "." + "Q" * 32
    elif setup == "limited-key":
        chutes_api.limited_keys.add(GOOD_KEY)
    else:
        chutes_api.create_mode = setup
    before = snapshot(state_dir)
    result = create(key=key)
    assert result.exit_code == code, result.stderr
    assert words in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert snapshot(state_dir) == before
    assert key not in result.stderr


def test_no_api_key_without_a_terminal_exits_3(chutes_api, state_dir) -> None:
    result = create(key=None)
    assert result.exit_code == 3
    assert "CHUTES_API_KEY" in result.stderr
    assert chutes_api.calls == []


def test_the_stored_api_key_profile_is_used(models_server, chutes_api, state_dir) -> None:
    assert onboard().exit_code == 0
    result = create(key=None)
    assert result.exit_code == 0, result.stderr
    assert chutes_api.calls[0]["authorization"] == f"Bearer {GOOD_KEY}"


def test_show_reports_the_masked_client_and_whether_chutes_still_has_it(
    chutes_api, state_dir
) -> None:
    assert create().exit_code == 0
    shown = invoke("auth", "app", "show", "--json", env={"CHUTES_API_KEY": GOOD_KEY})
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["remote"] == "present"
    chutes_api.apps.clear()
    gone = invoke("auth", "app", "show", "--json", env={"CHUTES_API_KEY": GOOD_KEY})
    assert json.loads(gone.stdout)["remote"] == "gone"
    unknown = invoke("auth", "app", "show", "--json")
    assert json.loads(unknown.stdout)["remote"] == "unknown"
    human = invoke("auth", "app", "show")
    assert "csc_…" in human.stdout and "could not check with Chutes" in human.stdout


def test_show_without_an_app_exits_3(state_dir) -> None:
    result = invoke("auth", "app", "show")
    assert result.exit_code == 3
    assert "genesis auth app create" in result.stderr


def test_delete_removes_the_app_at_chutes_then_here(chutes_api, state_dir) -> None:
    assert create().exit_code == 0
    (app_id,) = chutes_api.apps
    result = invoke("auth", "app", "delete", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0, result.stderr
    assert chutes_api.apps == {}
    assert chutes_api.calls[-1]["method"] == "DELETE"
    assert chutes_api.calls[-1]["path"] == f"/idp/apps/{app_id}"
    assert "can no longer refresh" in result.stdout
    assert "clients" not in stored(state_dir) or not stored(state_dir)["clients"]


def test_delete_refused_by_chutes_keeps_the_stored_app(chutes_api, state_dir) -> None:
    assert create().exit_code == 0
    before = snapshot(state_dir)
    chutes_api.limited_keys.add(GOOD_KEY)
    result = invoke("auth", "app", "delete", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 3
    assert snapshot(state_dir) == before


def test_a_stored_app_id_that_is_not_an_id_never_reaches_a_url(chutes_api, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    store = state_dir / "auth-profiles.toml"
    store.write_text(
        'version = 1\n[clients.chutes]\napp_id = "../../users/me"\n'
        'client_id = "cid_x"\nclient_secret = "csc_' + "y" * 48 + '"\n'
    )
    store.chmod(0o600)
    result = invoke("auth", "app", "delete", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 1
    assert "not one Chutes issues" in result.stderr
    assert chutes_api.calls == []


def test_a_client_secret_that_is_not_plain_ascii_is_never_stored(chutes_api, state_dir) -> None:
    chutes_api.next_client = ("cid_" + "a" * 24, "csc_" + "é" * 48)
    result = create()
    assert result.exit_code == 1, result.stderr
    assert "nothing was stored" in result.stderr
    assert not (state_dir / "auth-profiles.toml").exists()
    assert invoke("auth", "status").exit_code != 4


def test_a_client_secret_from_the_environment_that_is_not_plain_ascii_is_exit_2() -> None:
    from genesis_cli.errors import UsageError
    from genesis_cli.oauth import protocol
    from tests.helpers import CHUTES

    for bad in ("csc_é", "csc_a\x1bb", "csc a"):
        with pytest.raises(UsageError, match="client secret") as info:
            protocol.client_from_env(CHUTES, "cid_x", bad)
        assert "CHUTES_CLIENT_SECRET" in (info.value.hint or "")


def test_an_unreachable_api_says_what_to_check_next(state_dir, monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_API_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    result = create()
    assert result.exit_code == 1
    error, hint = result.stderr.splitlines()
    assert error.startswith("error: could not connect to 127.0.0.1:9")
    assert "HTTPS_PROXY" in hint and "genesis doctor" in hint
    assert not state_dir.exists()
