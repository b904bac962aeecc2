"""Attacks the review tried that the code withstood, kept as regression tests."""

from __future__ import annotations

import pytest


def _forged_below(ca, issuer, issuer_key, issuer_name: str):
    """A new P-384 key with a certificate issued by ``issuer`` (itself ca=False)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.tee_data import _cert

    key = ec.generate_private_key(ec.SECP384R1())
    return key, _cert("Forged GPU", key, issuer_name, issuer_key, ca=False)


@pytest.mark.parametrize("intermediate_ca", [False, True])
def test_a_gpu_leaf_cannot_issue_another_gpu_certificate(intermediate_ca) -> None:
    """The CA extension policy only requires BasicConstraints to be *present*: an end-entity
    certificate (cA=FALSE) is accepted as an issuer. Anyone holding one GPU's leaf key (or any
    end-entity key under the NVIDIA root) could then mint device certificates for keys of
    their own and sign evidence for any nonce, and check 5 passes."""
    import base64

    from genesis_cli import tee
    from tests.tee_data import GpuCA, _cert

    ca = GpuCA()
    if intermediate_ca:  # the real leaf (cA=FALSE) signs the forged one
        key, forged = _forged_below(ca, ca.leaf, ca.leaf_key, "Test GPU")
        chain = ca.pem(forged, ca.leaf, ca.ica)
    else:  # an intermediate that is not a CA, right under the root
        from cryptography.hazmat.primitives.asymmetric import ec

        ica_key = ec.generate_private_key(ec.SECP384R1())
        ica = _cert("Not A CA", ica_key, "Test Device Identity CA", ca.root_key, ca=False)
        key, forged = _forged_below(ca, ica, ica_key, "Not A CA")
        chain = ca.pem(forged, ica)
    d = bytes(range(32))
    gpu = {
        "certificate": base64.b64encode(chain).decode(),
        "evidence": base64.b64encode(ca.evidence(d, key=key)).decode(),
    }
    check = tee.gpus_bound([gpu], d, ca.root_pem, 1767225600)
    assert check.ok is False


def test_through_a_connect_proxy_the_server_name_is_still_checked(tmp_path, monkeypatch) -> None:
    from genesis_cli import http
    from genesis_cli.errors import NetworkError
    from tests.stub_http import Proxy, TLSStub, make_ca

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
