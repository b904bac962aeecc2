"""Secret hygiene: what leaves the process, where genesis listens, what it refuses."""

from __future__ import annotations

import queue

import pytest

from genesis_cli.oauth import protocol
from genesis_cli.oauth.loopback import CallbackServer
from genesis_cli.text import mask, redact
from tests.helpers import CHUTES, GOOD_KEY, free_port, invoke
from tests.stub_http import Stub


def test_the_guard_catches_a_leak(secret_guard) -> None:
    secret_guard.add("cpk_this_is_a_leak_test")
    assert secret_guard.leaks([("stdout", "oops cpk_this_is_a_leak_test")])
    assert not secret_guard.leaks([("stdout", "cpk_…test")])


@pytest.mark.parametrize(
    ("host", "family_address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "127.0.0.1"),
        ("[::1]", "::1"),
    ],
)
def test_the_callback_server_listens_on_loopback_only(host, family_address) -> None:
    port = free_port()
    server = CallbackServer(CHUTES, f"http://{host}:{port}/cb", "state", queue.Queue())
    try:
        server.start()
    except OSError:
        pytest.fail(f"could not listen on {host}")
    try:
        assert server._server is not None
        assert server._server.server_address[0] == family_address
    finally:
        server.close()


def test_plain_http_models_api_off_loopback_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_BASE_URL", "http://chutes.example.com/v1")
    result = invoke("models", "list", "--refresh")
    assert result.exit_code == 2
    assert "plain http" in result.stderr and "CHUTES_BASE_URL" in result.stderr


def test_plain_http_idp_off_loopback_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_OAUTH_BASE_URL", "http://chutes.example.com/idp")
    with pytest.raises(protocol.UsageError, match="plain http"):
        protocol.client_from_env(CHUTES, "cid_x", None)


def test_redirect_uris_off_loopback_are_refused_before_anything_starts(monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_OAUTH_REDIRECT_URI", "http://0.0.0.0:1456/oauth-callback")
    with pytest.raises(protocol.UsageError):
        protocol.client_from_env(CHUTES, "cid_x", None)


def test_server_error_text_is_truncated_and_redacted() -> None:
    stub = Stub()
    idp = stub.url("/idp")
    refresh_token = "crt_0123456789abcdefghij"
    stub.post(
        f"{idp}/token",
        status=400,
        json={
            "error": "invalid_grant",
            "error_description": f"token {refresh_token} for client csc_abcdefghijklmnop "
            + "x" * 900,
        },
    )
    client = protocol.Client(CHUTES, "cid_1", "csc_abcdefghijklmnop", "", ("openid",), idp)
    try:
        with stub.routes(), pytest.raises(protocol.OAuthError) as info:
            protocol.refresh(client, refresh_token)
    finally:
        stub.stop()
    message = info.value.message
    assert refresh_token not in message and "csc_abcdefghijklmnop" not in message
    assert "[redacted]" in message
    assert len(message) < 300


def test_redact_and_mask() -> None:
    assert (
        redact("key cpk_abcdef123456 and cak_zzzzzzzzz ok", (), CHUTES.token_prefixes)
        == "key cpk_[redacted] and cak_[redacted] ok"
    )
    assert mask(GOOD_KEY) == "cpk_…" + GOOD_KEY[-4:]
    assert mask("short") == "…"


def test_no_option_takes_a_secret_on_the_command_line() -> None:
    for option in ("--api-key", "--key", "--token", "--client-secret"):
        result = invoke("onboard", option, "x")
        assert result.exit_code == 2
        assert "No such option" in result.stderr
