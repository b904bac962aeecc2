"""The HTTP layer against real servers on 127.0.0.1: total deadline, size cap, URL checks."""

from __future__ import annotations

import socket
import time

import pytest

from genesis_cli import http, urls
from genesis_cli.errors import NetworkError, UsageError


def test_a_dripping_server_is_cut_off_at_the_total_deadline(models_server, monkeypatch) -> None:
    models_server.mode = "drip"
    models_server.drip_interval = 0.2  # every read succeeds: only a total deadline stops it
    monkeypatch.setenv("GENESIS_HTTP_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer within 1s"):
        http.request("GET", f"{models_server.base_url}/models")
    assert time.monotonic() - started < 1.8


def test_a_body_over_the_cap_is_refused(models_server) -> None:
    models_server.mode = "huge"
    with pytest.raises(NetworkError, match="more than 8 MiB"):
        http.request("GET", f"{models_server.base_url}/models")


def test_a_small_cap_applies_to_declared_length(models_server) -> None:
    with pytest.raises(NetworkError, match="sent more than"):
        http.request("GET", f"{models_server.base_url}/models", max_bytes=10)


def test_connection_refused_is_one_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NetworkError, match=r"could not connect to 127\.0\.0\.1"):
        http.request("GET", f"http://127.0.0.1:{port}/v1/models", timeout=2)


def test_http_errors_are_returned_not_raised(models_server) -> None:
    models_server.mode = "500"
    response = http.request("GET", f"{models_server.base_url}/models")
    assert response.status == 500
    assert response.json() == {"detail": "Internal Server Error"}


def test_requests_carry_the_genesis_user_agent(models_server) -> None:
    http.request("GET", f"{models_server.base_url}/models")
    assert models_server.requests[-1]["user-agent"] == http.USER_AGENT


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1e9", "nan"])
def test_a_bad_timeout_setting_is_a_usage_error(monkeypatch, value) -> None:
    monkeypatch.setenv("GENESIS_HTTP_TIMEOUT", value)
    with pytest.raises(UsageError, match="GENESIS_HTTP_TIMEOUT"):
        http.http_timeout()


def test_timeout_defaults_to_ten_seconds() -> None:
    assert http.http_timeout() == 10.0


@pytest.mark.parametrize(
    "url",
    [
        "http://llm.example.com/v1",
        "http://10.0.0.1/v1",
        "ftp://127.0.0.1/v1",
        "llm.chutes.ai",
    ],
)
def test_service_urls_must_be_https_unless_loopback(url) -> None:
    with pytest.raises(UsageError):
        urls.check_service_url(url, "CHUTES_BASE_URL")


@pytest.mark.parametrize(
    "url",
    [
        "https://llm.chutes.ai/v1/",
        "http://127.0.0.1:8080/v1",
        "http://localhost/v1",
        "http://[::1]:9/v1",
    ],
)
def test_https_and_loopback_http_are_accepted(url) -> None:
    assert urls.check_service_url(url, "CHUTES_BASE_URL") == url.rstrip("/")


def test_netrc_is_never_consulted(models_server, state_dir) -> None:
    import os

    netrc = state_dir.parent / "home" / ".netrc"
    netrc.write_text("machine 127.0.0.1 login bob password hunter2-netrc\n")
    os.chmod(netrc, 0o600)
    http.request("GET", f"{models_server.base_url}/models", headers={"Authorization": "Bearer t1"})
    http.request("GET", f"{models_server.base_url}/models")
    assert [r["authorization"] for r in models_server.requests] == ["Bearer t1", ""]


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"])
def test_a_missing_ca_bundle_is_a_tls_failure_naming_the_variable(monkeypatch, variable) -> None:
    monkeypatch.setenv(variable, "/nonexistent/ca.pem")
    with pytest.raises(NetworkError, match=f"{variable}=/nonexistent/ca.pem does not exist"):
        http.request("GET", "https://127.0.0.1:9/v1/models", timeout=2)


def test_masked_proxy_hides_user_and_password() -> None:
    assert http.masked_proxy("http://bob:s3cret@proxy:3128") == "http://***@proxy:3128"
    assert http.masked_proxy("bob:p@ss@proxy:3128") == "***@proxy:3128"
    assert http.masked_proxy("http://proxy:3128") == "http://proxy:3128"
