"""Evidence for the ``models verify`` tests: recorded and synthetic.

Recorded: the Intel-signed TDX quotes and collateral of the dcap-qvl 0.7.0 source distribution
(``sample/``), fetched by ``make samples`` (.ci/fetch-tee-samples) into tests/.cache; and,
where ``../shared`` sits beside the repository, the quote and GPU evidence recorded from a
Chutes node. Synthetic: a GPU certificate chain under a test CA, SPDM-shaped evidence signed
by its leaf, a TLS certificate, and a recorded quote whose report_data is rewritten for a
nonce (which breaks Intel's signature, and nothing else).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote as urlquote

import pytest

from tests import SHARED_DATA

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "tests" / ".cache" / "dcap-qvl-0.7.0" / "sample"
SHARED_TEE = SHARED_DATA / "tee"

# A time when each sample's collateral was current (all had expired by 2026-12).
PINNED = {
    "tdx_quote": 1751328000,  # 2025-07-01, a v4 quote
    "tdx_quote_td15ex": 1792454400,  # 2026-10-20, a v5 quote (TD report 1.5)
    "chutes_quote.bin": 1773999000,  # 2026-03-20, with tdx_quote_outdated's collateral
}
COLLATERAL_OF = {
    "tdx_quote": "tdx_quote_collateral.json",
    "tdx_quote_td15ex": "tdx_quote_td15ex_collateral.json",
    "chutes_quote.bin": "tdx_quote_outdated_collateral.json",
}


def sample(name: str) -> Path:
    """A file of dcap-qvl's ``sample/``; skipped (failed under CI) when not fetched."""
    path = SAMPLES / name
    if not path.is_file():
        message = f"{path} is missing: run `make samples`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def shared(name: str) -> Path:
    """A file of ``../shared/data/tee``; skipped when ``../shared`` is not beside the repo."""
    path = SHARED_TEE / name
    if not REPO.parent.joinpath("shared").is_dir():
        pytest.skip("../shared is not beside the repository")
    assert path.is_file(), f"{path} is missing from ../shared"
    return path


def quote_bytes(name: str) -> bytes:
    return (shared(name) if name.endswith(".bin") else sample(name)).read_bytes()


def collateral_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sample(COLLATERAL_OF[name]).read_text())
    return data


def collateral(name: str) -> Any:
    import dcap_qvl

    return dcap_qvl.QuoteCollateralV3.from_json(json.dumps(collateral_json(name)))


def intel_answers(data: dict[str, Any]) -> dict[str, tuple[dict[str, str], bytes]]:
    """A PCCS's answers (route name -> (headers, body)) for one sample collateral, in the
    shapes Intel serves: issuer chains URL-encoded in headers, signed JSON, DER CRLs."""

    def chain(name: str, value: str) -> dict[str, str]:
        return {name.lower(): urlquote(value)}

    return {
        "pckcrl": (
            chain("SGX-PCK-CRL-Issuer-Chain", data["pck_crl_issuer_chain"]),
            bytes.fromhex(data["pck_crl"]),
        ),
        "tcb": (
            chain("TCB-Info-Issuer-Chain", data["tcb_info_issuer_chain"]),
            f'{{"tcbInfo":{data["tcb_info"]},"signature":"{data["tcb_info_signature"]}"}}'.encode(),
        ),
        "identity": (
            chain("SGX-Enclave-Identity-Issuer-Chain", data["qe_identity_issuer_chain"]),
            (
                f'{{"enclaveIdentity":{data["qe_identity"]},'
                f'"signature":"{data["qe_identity_signature"]}"}}'
            ).encode(),
        ),
        "rootcacrl": ({}, data["root_ca_crl"].encode()),  # hex text, as a PCCS serves it
    }


def report_of(raw: bytes) -> Any:
    import dcap_qvl

    return dcap_qvl.parse_quote(raw).report


def with_report_data(raw: bytes, report_data: bytes) -> bytes:
    """``raw`` with its report_data replaced (found where the library's parse says it is)."""
    old = bytes(report_of(raw).report_data)
    assert len(report_data) == 64 and raw.count(old) == 1
    return raw.replace(old, report_data)


def flip_bit(raw: bytes, index: int) -> bytes:
    return raw[:index] + bytes([raw[index] ^ 0x01]) + raw[index + 1 :]


def measurement_row(raw: bytes, name: str = "tdx-8xh200") -> dict[str, Any]:
    """A Chutes-shaped measurement entry matching ``raw``'s MRTD and RTMR0-3."""
    report = report_of(raw)
    rtmrs = (report.rt_mr0, report.rt_mr1, report.rt_mr2, report.rt_mr3)
    return {
        "version": "1",
        "name": name,
        "mrtd": report.mr_td.hex().upper(),
        "boot_rtmrs": {f"RTMR{i}": "00" * 48 for i in range(4)},
        "runtime_rtmrs": {f"RTMR{i}": v.hex().upper() for i, v in enumerate(rtmrs)},
        "expected_gpus": ["h200"],
        "gpu_count": 1,
    }


# --- synthetic certificates and GPU evidence ----------------------------------------------------


def _name(common_name: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _cert(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool, days: int = 3650) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA384())
    )


class GpuCA:
    """A root, an intermediate and a GPU leaf (ECDSA P-384, like NVIDIA's)."""

    def __init__(self, root_name: str = "Test Device Identity CA") -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.root = _cert(root_name, self.root_key, root_name, self.root_key, ca=True)
        self.ica_key = ec.generate_private_key(ec.SECP384R1())
        self.ica = _cert("Test GPU ICA", self.ica_key, root_name, self.root_key, ca=True)
        self.leaf_key = ec.generate_private_key(ec.SECP384R1())
        self.leaf = _cert("Test GPU", self.leaf_key, "Test GPU ICA", self.ica_key, ca=False)

    def pem(self, *certs: Any) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

    @property
    def root_pem(self) -> bytes:
        return self.pem(self.root)

    @property
    def chain_pem(self) -> bytes:
        return self.pem(self.leaf, self.ica, self.root)

    def evidence(self, d: bytes, key: Any = None) -> bytes:
        """SPDM-shaped: GET_MEASUREMENTS request (nonce at [4:36]) + a response, signed."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, utils

        body = b"\x11\xe0\x01\xff" + d + b"\x00" + b"\x11\x60\x00\x00" + os.urandom(200)
        r, s = utils.decode_dss_signature(
            (key or self.leaf_key).sign(body, ec.ECDSA(hashes.SHA384()))
        )
        return body + r.to_bytes(48, "big") + s.to_bytes(48, "big")


def tls_certificate() -> tuple[bytes, bytes]:
    """(DER certificate, sha256 of its DER SubjectPublicKeyInfo): the in-VM TLS key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("attestation.local", key, "attestation.local", key, ca=False)
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return cert.public_bytes(serialization.Encoding.DER), hashlib.sha256(spki).digest()
