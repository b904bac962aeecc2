"""The HTTP layer against real servers on 127.0.0.1: total deadline, size cap, URL checks."""

from __future__ import annotations

import base64
import gzip
import json
import socket
import threading
import time
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesis_cli import http, urls
from genesis_cli.errors import GenesisError, NetworkError, UsageError
from tests.stub_http import Proxy, Stub, TLSStub, make_ca, read_head


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
        "http://128.0.0.1/v1",
        "http://localhost.example.com/v1",
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
        "http://127.0.0.2:9/v1",
        "http://[0:0:0:0:0:0:0:1]:9/v1",
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


# --- what the transport must do itself: redirects, compression, proxies, TLS trust ---------


@pytest.fixture
def stub() -> Iterator[Stub]:
    server = Stub()
    with server.routes():
        yield server
    server.stop()


def test_a_redirect_is_returned_not_followed(stub) -> None:
    stub.get(stub.url("/v1/models"), status=302, headers={"Location": stub.url("/elsewhere")})
    response = http.request("GET", stub.url("/v1/models"))
    assert (response.status, response.headers["location"]) == (302, stub.url("/elsewhere"))
    assert [c.request.url for c in stub.calls] == ["/v1/models"]


def test_a_gzip_body_is_decoded(stub) -> None:
    body = json.dumps({"data": [{"id": f"m/{n}"} for n in range(500)]}).encode()
    stub.get(stub.url("/v1/models"), body=gzip.compress(body),
             headers={"Content-Encoding": "gzip"})  # fmt: skip
    response = http.request("GET", stub.url("/v1/models"))
    assert response.body == body
    assert "gzip" in stub.calls[0].request.headers["Accept-Encoding"]


@pytest.mark.parametrize("wbits", [15, -15], ids=["zlib", "raw"])
def test_a_deflate_body_is_decoded_with_or_without_its_header(stub, wbits) -> None:
    body = json.dumps({"data": [{"id": f"m/{n}"} for n in range(500)]}).encode()
    packer = zlib.compressobj(wbits=wbits)
    packed = packer.compress(body) + packer.flush()
    stub.get(stub.url("/v1/models"), body=packed, headers={"Content-Encoding": "deflate"})
    assert http.request("GET", stub.url("/v1/models")).body == body


def test_the_size_cap_applies_to_the_decoded_body(stub) -> None:
    bomb = gzip.compress(b" " * (9 << 20))  # 9 MiB of spaces in a few kilobytes
    assert len(bomb) < 100_000
    stub.get(stub.url("/v1/models"), body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(NetworkError, match="sent more than 8 MiB"):
        http.request("GET", stub.url("/v1/models"))


def test_a_corrupt_gzip_body_is_a_broken_answer(stub) -> None:
    stub.get(stub.url("/v1/models"), body=gzip.compress(b"{}")[:-6],
             headers={"Content-Encoding": "gzip"})  # fmt: skip
    with pytest.raises(NetworkError, match="broke off in the middle of the answer"):
        http.request("GET", stub.url("/v1/models"))


def test_a_server_that_never_answers_meets_the_deadline(stub) -> None:
    stub.get(stub.url("/v1/models"), fault="stall")
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer within 1s"):
        http.request("GET", stub.url("/v1/models"), timeout=1)
    assert time.monotonic() - started < 1.8


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_plain_http_goes_through_the_proxy_from_the_environment(
    stub, monkeypatch, variable
) -> None:
    proxy = Proxy({"models.test.invalid:80": stub._server.port})
    monkeypatch.setenv(variable, proxy.url.replace("http://", "http://bob:s%40cret@"))
    try:
        stub.get(stub.url("/v1/models"), json={"data": []})
        response = http.request("GET", "http://models.test.invalid/v1/models")
    finally:
        proxy.stop()
    assert response.json() == {"data": []}
    line, auth = proxy.seen[0]
    assert line.startswith("GET http://models.test.invalid/v1/models ")
    assert auth == "Basic " + base64.b64encode(b"bob:s@cret").decode()


def test_https_goes_through_the_proxy_by_connect_with_tls_to_the_server(
    tmp_path, monkeypatch
) -> None:
    ca = make_ca(tmp_path, ("llm.test.invalid",))
    server = TLSStub(ca)
    proxy = Proxy({"llm.test.invalid:443": server._server.port})
    monkeypatch.setenv("https_proxy", proxy.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.bundle))
    try:
        with server.routes():
            server.get(server.url("/v1/models"), json={"data": []})
            response = http.request("GET", "https://llm.test.invalid/v1/models")
    finally:
        proxy.stop()
        server.stop()
    assert response.json() == {"data": []}
    assert [line.split()[:2] for line, _ in proxy.seen] == [["CONNECT", "llm.test.invalid:443"]]


def test_a_proxy_refusing_the_tunnel_is_a_proxy_error_without_its_password(
    monkeypatch,
) -> None:
    proxy = Proxy({})  # refuses everything
    monkeypatch.setenv("HTTPS_PROXY", proxy.url.replace("http://", "http://bob:hunter2@"))
    try:
        with pytest.raises(NetworkError) as info:
            http.request("GET", "https://llm.test.invalid/v1/models", timeout=5)
    finally:
        proxy.stop()
    assert "the proxy refused or failed the connection to llm.test.invalid" in info.value.message
    assert "hunter2" not in str(info.value)


def test_a_proxy_of_another_scheme_is_an_error_without_its_password(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://bob:hunter2@127.0.0.1:1080")
    with pytest.raises(NetworkError) as info:
        http.request("GET", "https://llm.test.invalid/v1/models", timeout=5)
    assert "socks5://***@127.0.0.1:1080 is not an http:// proxy" in info.value.message
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1", "*", "127.0.0.0/8"])
def test_no_proxy_bypasses_the_proxy(stub, monkeypatch, no_proxy) -> None:
    proxy = Proxy({})
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    try:
        stub.get(stub.url("/v1/models"), json={"data": []})
        assert http.request("GET", stub.url("/v1/models")).status == 200
    finally:
        proxy.stop()
    assert proxy.seen == []


@pytest.mark.parametrize("variable", http.CA_BUNDLE_VARIABLES)
def test_a_server_of_a_private_ca_is_trusted_through_a_bundle_variable(
    tmp_path, monkeypatch, variable
) -> None:
    server = TLSStub(make_ca(tmp_path))
    for name in http.CA_BUNDLE_VARIABLES:  # the machine's own, if set, would come first
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, str(tmp_path / "ca.pem"))
    try:
        with server.routes():
            server.get(server.url("/v1/models"), json={"data": []})
            assert http.request("GET", server.url("/v1/models")).json() == {"data": []}
    finally:
        server.stop()


@pytest.mark.parametrize("machine_bundles", [True, False])
def test_a_server_of_a_private_ca_is_refused_without_its_bundle(
    tmp_path, monkeypatch, machine_bundles
) -> None:
    if not machine_bundles:  # then certifi's bundle, or the system store
        for name in http.CA_BUNDLE_VARIABLES:
            monkeypatch.delenv(name, raising=False)
    server = TLSStub(make_ca(tmp_path))
    try:
        with pytest.raises(NetworkError, match=r"TLS handshake with 127\.0\.0\.1:\d+ failed"):
            http.request("GET", server.url("/v1/models"), timeout=5)
    finally:
        server.stop()
    assert server.calls == []


def test_a_bundle_that_is_not_a_bundle_is_a_tls_failure(tmp_path, monkeypatch) -> None:
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "junk.pem"))
    with pytest.raises(NetworkError, match=r"TLS handshake with 127\.0\.0\.1:9 failed"):
        http.request("GET", "https://127.0.0.1:9/v1/models", timeout=2)


@pytest.fixture
def raw_server() -> Iterator[dict]:
    """One connection on 127.0.0.1 answered with ``state['reply']`` bytes, then closed."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)
    state: dict = {"port": listener.getsockname()[1], "reply": b""}

    def serve() -> None:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        with client:
            client.settimeout(10)
            state["request"] = read_head(client)
            try:
                client.sendall(state["reply"])
                client.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    state["start"] = thread.start
    yield state
    listener.close()
    thread.join(5)


def test_raw_bytes_after_the_gzip_stream_count_toward_the_size_cap(raw_server) -> None:
    """The cap is documented 'as sent and as decoded', but with a Content-Encoding only the
    decoded size is counted: bytes after the end of the gzip stream (close-delimited, no
    Content-Length) pile up in the decoder's ``unused_data`` without bound until the deadline."""
    junk = b"\0" * (9 << 20)  # 9 MiB past the 8 MiB cap, sent after a two-byte JSON body
    raw_server["reply"] = (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n"
        + gzip.compress(b"{}")
        + junk
    )
    raw_server["start"]()
    with pytest.raises(NetworkError, match="more than"):
        http.request("GET", f"http://127.0.0.1:{raw_server['port']}/v1/models", timeout=20)


def test_a_header_value_with_a_newline_is_a_genesis_error_without_the_value(raw_server) -> None:
    """http.client refuses a header value holding CR/LF with a bare ValueError whose text is
    the value itself (``Invalid header value b'Bearer sk-...'``): a token with a stray newline
    escapes as a non-genesis exception carrying the secret."""
    secret = "cpk_supersecret\nX-Evil: 1"
    raw_server["reply"] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    raw_server["start"]()
    with pytest.raises(GenesisError) as caught:
        http.request(
            "GET", f"http://127.0.0.1:{raw_server['port']}/v1/models",
            headers={"Authorization": f"Bearer {secret}"}, timeout=3,
        )  # fmt: skip
    assert "supersecret" not in str(caught.value)


def test_a_loopback_url_never_goes_to_a_proxy_with_its_bearer_token(monkeypatch) -> None:
    """Plain http is allowed only to loopback, because nothing leaves the machine; but with
    HTTP_PROXY set (common on corporate machines, without NO_PROXY=localhost) the request,
    bearer token included, is forwarded in clear to the proxy, which also resolves
    127.0.0.1/localhost on its own side. A stand-in 'remote' proxy on 127.0.0.1 records it."""
    server = Stub()
    proxy = Proxy({f"127.0.0.1:{server._server.port}": server._server.port})
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        with server.routes(assert_all_used=False):
            server.get(server.url("/v1/models"), json={"data": []})
            http.request(
                "GET", server.url("/v1/models"),
                headers={"Authorization": "Bearer cpk_loopback_only"}, timeout=5,
            )  # fmt: skip
    finally:
        proxy.stop()
        server.stop()
    assert proxy.seen == []


def test_through_a_connect_proxy_the_server_name_is_still_checked(tmp_path, monkeypatch) -> None:
    ca = make_ca(tmp_path, ("other.test.invalid",))  # trusted CA, wrong name
    server = TLSStub(ca)
    proxy = Proxy({"llm.test.invalid:443": server._server.port})
    monkeypatch.setenv("https_proxy", proxy.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.bundle))
    try:
        with server.routes(assert_all_used=False), pytest.raises(NetworkError, match="TLS"):
            http.request("GET", "https://llm.test.invalid/v1/models", timeout=5)
    finally:
        proxy.stop()
        server.stop()
    assert server.calls == []


def _policy_by_urlsplit(url: str) -> bool:
    """The URL policy read with urlsplit alone: what the quick path must agree with."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return False
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return False
    return parts.scheme == "https" or urls.loopback(parts.hostname)


_URL_PART = st.text(alphabet="aAzZ09.-:/[]?#%_~!$&'()*+,;=", max_size=12)


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
    host=st.sampled_from(["127.0.0.1", "localhost", "LocalHost", "127.0.0.2", "llm.chutes.ai", ""])
    | _URL_PART,
    port=st.none() | st.sampled_from(["0", "9", "65535", "65536", "99999", "080", ""]),
    rest=st.sampled_from(["", "/", "/v1", "/v1/", "/v1?x=1", "/v1#f"]) | _URL_PART,
)
def test_the_url_policy_reads_every_url_as_urlsplit_does(scheme, host, port, rest) -> None:
    url = f"{scheme}://{host}{'' if port is None else ':' + port}{rest}"
    try:
        urls.check_service_url(url, "CHUTES_BASE_URL")
        accepted = True
    except UsageError:
        accepted = False
    assert accepted == _policy_by_urlsplit(url), url


def test_a_plain_base_url_is_checked_without_urllib_parse(tmp_path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from genesis_cli import urls; "
        "urls.check_service_url('http://127.0.0.1:9/v1', 'X'); "
        "urls.check_service_url('https://llm.chutes.ai/v1', 'X'); "
        "print('urllib.parse' in sys.modules, 'ipaddress' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
