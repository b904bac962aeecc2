"""Adversarial review findings: each test shows a defect (fails before its fix)."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Iterator

import pytest

from genesis_cli import http
from genesis_cli.errors import GenesisError, NetworkError


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
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                part = client.recv(4096)
                if not part:
                    break
                data += part
            state["request"] = data
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
    from tests.stub_http import Proxy, Stub

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


def _chattr(flag: str, path) -> bool:
    import subprocess

    try:
        done = subprocess.run(["chattr", flag, str(path)], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def test_the_write_probe_refuses_an_append_only_directory(tmp_path) -> None:
    """``probe_write`` answers 'a refresh may spend its token' when the store's directory is
    append-only (chattr +a): creating the temporary file works and its failed removal is
    ignored, but the real ``atomic_write`` then cannot rename over the store (EPERM), so the
    rotated refresh token is lost. The probe also leaves its temporary file behind."""
    from genesis_cli import fsutil

    folder = tmp_path / "state"
    folder.mkdir(mode=0o700)
    store = folder / "auth.toml"
    store.write_bytes(b'[profiles.a]\ntype = "oauth"\n')
    if not _chattr("+a", folder):
        pytest.skip("chattr +a is not available here (needs CAP_LINUX_IMMUTABLE)")
    try:
        try:
            fsutil.probe_write(store, 1024)
        except OSError:
            probed = False
        else:
            probed = True
        leftovers = sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))
        if probed:  # then the write the probe vouched for must succeed
            fsutil.atomic_write(store, b'[profiles.a]\ntype = "oauth"\nrefresh = "new"\n')
        assert leftovers == []
    finally:
        _chattr("-a", folder)
