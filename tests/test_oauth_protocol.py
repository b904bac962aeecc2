"""The OAuth protocol pieces, against a stub authorization server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from genesis_cli.errors import AuthError, NetworkError, UsageError
from genesis_cli.oauth import protocol, redirect
from tests.helpers import CHUTES
from tests.stub_http import Stub

stub = Stub()  # one server for the module; each test gets fresh routes
IDP = stub.url("/idp")
CLIENT = protocol.Client(
    CHUTES,
    client_id="cid_1",
    client_secret="csc_2",
    redirect_uri="http://127.0.0.1:1456/oauth-callback",
    scopes=("openid", "profile", "chutes:invoke"),
    base_url=IDP,
)


@pytest.fixture(autouse=True)
def fresh_routes() -> Iterator[None]:
    with stub.routes(assert_all_used=False):
        yield


def form_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def test_authorize_url_has_every_parameter_and_pkce_s256() -> None:
    request = protocol.start(CLIENT)
    parts = urlsplit(request.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{IDP}/authorize"
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q["response_type"] == "code"
    assert q["client_id"] == "cid_1"
    assert q["redirect_uri"] == CLIENT.redirect_uri
    assert q["scope"] == "openid profile chutes:invoke"
    assert q["state"] == request.state
    assert len(base64.urlsafe_b64decode(request.state + "==")) * 8 >= 128
    assert q["code_challenge_method"] == "S256"
    digest = hashlib.sha256(request.verifier.encode()).digest()
    assert q["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(request.verifier) <= 128
    assert "client_secret" not in request.url


def test_each_request_gets_fresh_state_and_verifier() -> None:
    a, b = protocol.start(CLIENT), protocol.start(CLIENT)
    assert a.state != b.state and a.verifier != b.verifier


def test_code_exchange_sends_secret_verifier_and_redirect_uri() -> None:
    stub.post(
        f"{IDP}/token",
        json={
            "access_token": "cak_a",
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "crt_r",
            "scope": "openid profile",
        },
    )
    before = int(time.time())
    tokens = protocol.exchange_code(CLIENT, "the-code", "the-verifier")
    assert form_of(stub.calls[0]) == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": CLIENT.redirect_uri,
        "code_verifier": "the-verifier",
        "client_id": "cid_1",
        "client_secret": "csc_2",
    }
    assert tokens.access == "cak_a" and tokens.refresh == "crt_r"
    assert before + 3600 <= tokens.expires_at <= int(time.time()) + 3600
    assert tokens.scopes == ("openid", "profile")


def test_no_client_secret_field_when_there_is_none() -> None:
    stub.post(f"{IDP}/token", json={"access_token": "cak_a"})
    client = protocol.Client(CHUTES, "cid_1", None, CLIENT.redirect_uri, CLIENT.scopes, IDP)
    tokens = protocol.exchange_code(client, "c", "v")
    assert "client_secret" not in form_of(stub.calls[0])
    assert tokens.scopes == CLIENT.scopes  # no scope in the answer: what was asked for


def test_refresh_sends_the_refresh_grant_and_keeps_a_non_rotated_token() -> None:
    stub.post(f"{IDP}/token", json={"access_token": "cak_new", "expires_in": 60})
    tokens = protocol.refresh(CLIENT, "crt_old")
    assert form_of(stub.calls[0]) == {
        "grant_type": "refresh_token",
        "refresh_token": "crt_old",
        "client_id": "cid_1",
        "client_secret": "csc_2",
    }
    assert tokens.refresh == "crt_old"


@pytest.mark.parametrize(
    ("expires_in", "expected"),
    [
        (3600, 3600),
        ("120", 120),
        (-5, 0),
        (10**12, protocol.MAX_EXPIRES_IN),
        (None, 3600),
        ("soon", 3600),
        (True, 3600),
        (float("nan"), 3600),
    ],
)
def test_odd_expires_in_values_are_tamed(expires_in, expected) -> None:
    body = {"access_token": "cak_a"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    stub.post(f"{IDP}/token", body=__import__("json").dumps(body).replace("NaN", "NaN"))
    before = int(time.time())
    tokens = protocol.refresh(CLIENT, "crt")
    assert before + expected <= tokens.expires_at <= int(time.time()) + expected


def test_invalid_grant_is_an_oauth_error_with_its_code() -> None:
    stub.post(f"{IDP}/token", status=400, json={"error": "invalid_grant"})
    with pytest.raises(protocol.OAuthError) as info:
        protocol.refresh(CLIENT, "crt")
    assert info.value.error == "invalid_grant"
    assert info.value.exit_code == 3


def test_invalid_client_names_the_client_in_use_and_the_fix() -> None:
    stub.post(f"{IDP}/token", status=400, json={"error": "invalid_client"})
    with pytest.raises(protocol.OAuthError) as info:
        protocol.exchange_code(CLIENT, "code", "verifier")
    assert info.value.exit_code == 3
    assert "cid_1" in info.value.message and "invalid_client" in info.value.message
    assert "genesis auth app create" in (info.value.hint or "")
    assert "CHUTES_CLIENT_SECRET" in (info.value.hint or "")


def test_an_invalid_scope_callback_is_a_scope_problem_not_a_denial() -> None:
    params = {"error": ["invalid_scope"], "state": ["s"], "error_description": ["no such scope"]}
    with pytest.raises(protocol.OAuthError) as info:
        redirect.code_from_params(CHUTES, params, "s")
    assert not isinstance(info.value, protocol.SignInDenied)
    assert info.value.exit_code == 3
    assert "scope" in info.value.message and "denied" not in info.value.message
    assert "CHUTES_OAUTH_SCOPES" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, {"detail": "boom"}, NetworkError),
        (429, {"detail": "slow down"}, NetworkError),
        (200, {"token_type": "Bearer"}, AuthError),
        (200, {"access_token": ""}, AuthError),
        (200, {"access_token": "x", "token_type": "mac"}, AuthError),
        (403, {"detail": "no"}, AuthError),
    ],
)
def test_bad_token_answers_are_clear_errors(status, body, error) -> None:
    stub.post(f"{IDP}/token", status=status, json=body)
    with pytest.raises(error):
        protocol.refresh(CLIENT, "crt")


def test_userinfo_failure_is_none() -> None:
    stub.get(f"{IDP}/userinfo", status=401, json={"detail": "no"})
    assert protocol.userinfo(IDP, "cak") is None


def test_userinfo_sends_the_bearer() -> None:
    stub.get(f"{IDP}/userinfo", json={"sub": "u", "username": "alice"})
    assert protocol.userinfo(IDP, "cak_x") == {"sub": "u", "username": "alice"}
    assert stub.calls[0].request.headers["Authorization"] == "Bearer cak_x"


@pytest.mark.parametrize(
    "uri",
    [
        "https://127.0.0.1:1456/cb",
        "http://example.com:1456/cb",
        "http://10.0.0.2:1456/cb",
        "http://127.0.0.1:99999/cb",
        "http://127.0.0.1:1456/cb?x=1",
        "ftp://localhost/cb",
        "127.0.0.1:1456/cb",
    ],
)
def test_redirect_uris_other_than_loopback_http_are_refused(uri) -> None:
    with pytest.raises(UsageError, match="CHUTES_OAUTH_REDIRECT_URI"):
        protocol.check_redirect_uri(CHUTES, uri)


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:1456/oauth-callback",
        "http://[::1]:8080/cb",
        "http://localhost:1/cb",
    ],
)
def test_loopback_redirect_uris_are_accepted(uri) -> None:
    assert protocol.check_redirect_uri(CHUTES, uri) == uri


def test_client_from_env_uses_the_overrides(monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_OAUTH_SCOPES", "openid  chutes:invoke")
    monkeypatch.setenv("CHUTES_OAUTH_REDIRECT_URI", "http://localhost:7777/cb")
    client = protocol.client_from_env(CHUTES, "cid", "")
    assert client.scopes == ("openid", "chutes:invoke")
    assert client.redirect_uri == "http://localhost:7777/cb"
    assert client.client_secret is None
    assert client.base_url == "http://127.0.0.1:9/idp"
    assert "cid" in repr(client)
