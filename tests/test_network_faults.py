"""Network faults against real local servers: each gets a clear reason and its fallback."""

from __future__ import annotations

import json

import pytest

from tests.helpers import GOOD_KEY, free_port, invoke, store_oauth_profile


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("500", "answered HTTP 500"),
        ("429", "rate limiting (HTTP 429, retry after 30s)"),
        ("html", "did not answer with JSON"),
        ("huge", "sent more than 8 MiB"),
        ("reset", "broke off in the middle of the answer"),
    ],
)
def test_a_faulty_models_api_means_the_bundled_catalog(models_server, mode, reason) -> None:
    models_server.mode = mode
    result = invoke("models", "list", "--refresh", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["source"] == "bundled"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], result.stderr


def test_a_slow_body_is_cut_at_the_timeout(models_server, monkeypatch) -> None:
    models_server.mode = "drip"
    models_server.drip_interval = 0.1
    monkeypatch.setenv("GENESIS_HTTP_TIMEOUT", "1")
    result = invoke("models", "list", "--refresh", "--json")
    assert result.exit_code == 0
    assert "did not answer within 1s" in result.stderr


def test_connection_refused(monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    result = invoke("models", "list", "--refresh")
    assert result.exit_code == 0
    assert "could not connect to 127.0.0.1" in result.stderr


def test_tls_to_a_plain_http_port_is_a_tls_failure(models_server, monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_BASE_URL", f"https://127.0.0.1:{models_server.port}/v1")
    result = invoke("models", "list", "--refresh", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["source"] == "bundled"
    assert "TLS handshake with 127.0.0.1" in result.stderr


def test_onboarding_through_a_reset_keeps_the_key(models_server, state_dir) -> None:
    models_server.mode = "reset"
    result = invoke("onboard", "--non-interactive", "--json", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0
    assert json.loads(result.stdout)["catalog"]["source"] == "bundled"
    assert "could not verify the API key" in result.stderr
    assert (state_dir / "auth-profiles.toml").exists()


@pytest.mark.parametrize("status", [429, 500, 503])
def test_token_endpoint_trouble_during_auth_refresh_exits_1(auth_server, status) -> None:
    store_oauth_profile(auth_server, expires_in=3000)
    auth_server.token_status = status
    result = invoke("auth", "refresh")
    assert result.exit_code == 1
    assert f"HTTP {status}" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2


def test_an_unreachable_idp_during_auth_refresh_exits_1(auth_server, monkeypatch) -> None:
    store_oauth_profile(auth_server, expires_in=3000)
    monkeypatch.setenv("CHUTES_OAUTH_BASE_URL", f"http://127.0.0.1:{free_port()}/idp")
    result = invoke("auth", "refresh")
    assert result.exit_code == 1
    assert "could not connect" in result.stderr
