"""Checks of TEE evidence (docs/verify.md says what each proves): pure functions over untrusted
input, no I/O, no clock; a check never raises, it fails with a reason. The verifier libraries
(the ``verify`` extra) are imported where used: they cost start-up time and may be absent."""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from genesis_cli.text import one_line

INSTALL_LINE = "pip install 'genesis-cli[verify]'"

# The anchor of every GPU's chain, shipped as nv-local-gpu-verifier 2.7.3 ships it (BSD-3-Clause).
NVIDIA_ROOT_PATH = Path(__file__).with_name("nvidia_device_identity_ca.pem")
NVIDIA_ROOT_SHA256 = "102bf659d5419614c9d8e6aecebc80454eb26b1df6a769ac720b9a690b167b48"

INTEL_PCS_URL = "https://api.trustedservices.intel.com"
INTEL_ROOT_CA_CRL_URL = "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"

# OutOfDate (missing Intel security updates) and Revoked fail; the status is reported either way.
ACCEPTED_TCB = frozenset(
    {"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded"}
)

# Bounds on untrusted fields, far above any real value.
MAX_FIELD_CHARS = 256 * 1024  # base64 text
MAX_GPUS = 64
MAX_CHAIN = 10
SIGNATURE_BYTES = 96  # ECDSA P-384 r || s, at the end of the SPDM measurements response

CHECK_NAMES = ("quote", "debugOff", "keyBound", "certBound", "measurements", "gpus")


class Bad(Exception):
    """Malformed evidence; the message is the reason shown."""


@dataclass(frozen=True)
class Check:
    ok: bool | None  # None: not run (an earlier step failed, or nothing to check it against)
    reason: str = ""


PASS = Check(True)


# Reasons quote untrusted data (certificate names, library messages) and reach a terminal.
def fail(reason: str) -> Check:
    return Check(False, one_line(reason)[:300])


def not_run(reason: str) -> Check:
    return Check(None, one_line(reason)[:300])


@dataclass(frozen=True)
class Measurement:  # one image the provider lists
    name: str
    mrtd: bytes
    rtmrs: tuple[bytes, ...]  # RTMR0-3


@dataclass
class InstanceResult:
    instance_id: str
    checks: dict[str, Check] = field(default_factory=dict)
    tcb_status: str | None = None
    measurement: str | None = None

    @property
    def verified(self) -> bool:
        """Every named check passed, and no other (such as a contradiction the caller found)
        failed."""
        named = all(self.checks.get(name, not_run("")).ok is True for name in CHECK_NAMES)
        return named and not self.contradicted

    @property
    def contradicted(self) -> bool:
        return any(check.ok is False for check in self.checks.values())

    @property
    def reason(self) -> str | None:
        """The first failed check and why; else the first that could not run."""
        for wanted in (False, None):
            for name in dict.fromkeys((*CHECK_NAMES, *self.checks)):
                check = self.checks.get(name, not_run("not run"))
                if check.ok is wanted:
                    return f"{name}: {check.reason}"
        return None


def missing_verifier() -> str | None:
    import importlib.util  # only for verify and doctor

    return next((m for m in ("dcap_qvl", "cryptography") if not importlib.util.find_spec(m)), None)


def b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise Bad(f"the {what} is missing or not text")
    if len(value) > MAX_FIELD_CHARS:
        raise Bad(f"the {what} is {len(value):,} characters, more than {MAX_FIELD_CHARS:,}")
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Bad(f"the {what} is not valid base64") from None


def parse_quote(raw: bytes) -> Any:
    """The library's parse (never fixed offsets: a v5 quote shifts them)."""
    import dcap_qvl  # the optional verifier

    try:
        quote = dcap_qvl.parse_quote(raw)
        tdx = quote.is_tdx() and quote.report is not None
    except Exception as exc:  # the parser raises ValueError; anything else is as bad
        raise Bad(f"the quote does not parse ({_short(exc)})") from None
    if not tdx:
        raise Bad("the quote is not an Intel TDX quote")
    return quote


def _short(exc: BaseException) -> str:
    return one_line(str(exc))[:160] or type(exc).__name__


def quote_genuine(raw: bytes, collateral: Any, now: int) -> tuple[Check, str | None]:
    """Check 1: the quote's signature chain reaches Intel's root and its TCB status is
    acceptable at ``now``. Returns the check and the TCB status, when one was reached."""
    import dcap_qvl  # the optional verifier

    if collateral is None or isinstance(collateral, str):
        return fail(collateral or "no Intel collateral for this quote's platform"), None
    try:
        verified = dcap_qvl.verify(raw, collateral, int(now))
    except Exception as exc:
        return fail(f"Intel verification failed: {_short(exc)}"), None
    status = str(verified.status)
    if status not in ACCEPTED_TCB:
        advisories = ", ".join(list(verified.advisory_ids)[:5])
        return fail(f"TCB status {status}" + (f" ({advisories})" if advisories else "")), status
    return PASS, status


def debug_off(report: Any) -> Check:
    """Check 1b: not a debug TD. TD_ATTRIBUTES is little-endian; DEBUG is bit 0 of byte 0."""
    attributes = getattr(report, "td_attributes", None)
    if not isinstance(attributes, bytes | bytearray) or len(attributes) != 8:
        return fail("the quote carries no TD attributes")
    if attributes[0] & 0x01:
        return fail("this is a debug TD: its memory is readable by the host")
    return PASS


def bound_nonce(nonce_hex: str, pubkey_b64: str) -> bytes:
    """``d``, which the instance puts in its quote and GPU evidence for this nonce and key.
    An ASCII key only (else ``UnicodeEncodeError``): replacing characters would let two keys
    bind one quote."""
    return hashlib.sha256((nonce_hex + pubkey_b64).encode("ascii")).digest()


def key_bound(report_data: bytes, nonce_hex: str, pubkey_b64: Any) -> Check:
    """Check 2: ``report_data[:32] == sha256(nonce_hex + e2e_pubkey_b64)``; a failed check given
    as ``pubkey_b64`` (no listed key can be trusted) is the answer."""
    if isinstance(pubkey_b64, Check):
        return pubkey_b64
    if not isinstance(pubkey_b64, str) or not pubkey_b64:
        return fail("no end-to-end key was listed for this instance")
    if not pubkey_b64.isascii():
        return fail("the listed end-to-end key is not ASCII (not base64)")
    if report_data[:32] != bound_nonce(nonce_hex, pubkey_b64):
        return fail("the quote was made for another nonce or another key")
    return PASS


def cert_bound(report_data: bytes, certificate: bytes) -> Check:
    """Check 3: ``report_data[32:64] == sha256(DER SubjectPublicKeyInfo of the certificate)``."""
    from cryptography import x509  # the optional verifier
    from cryptography.hazmat.primitives import serialization

    pem = certificate.lstrip().startswith(b"-----BEGIN")
    try:
        cert = (x509.load_pem_x509_certificate if pem else x509.load_der_x509_certificate)(
            certificate
        )
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except Exception as exc:
        return fail(f"the TLS certificate does not parse ({_short(exc)})")
    if report_data[32:64] != hashlib.sha256(spki).digest():
        return fail("the quote does not bind this TLS certificate's key")
    return PASS


def measured(
    report: Any, entries: Sequence[Measurement], problem: str = ""
) -> tuple[Check, str | None]:
    """Check 4: MRTD and RTMR0-3 equal one listed entry; returns the check and its name.
    ``problem``: why the list is empty, when it is."""
    if not entries:
        return fail(problem or "the published measurement list has no usable entry"), None
    mine = (report.mr_td, report.rt_mr0, report.rt_mr1, report.rt_mr2, report.rt_mr3)
    for entry in entries:
        if (entry.mrtd, *entry.rtmrs) == mine:
            return PASS, entry.name
    return fail(f"MRTD {mine[0].hex()[:16]}… and RTMR0-3 match no listed image"), None


def gpus_bound(gpus: Any, d: bytes, root_pem: bytes, now: float) -> Check:
    """Check 5: every GPU's evidence carries ``d`` at [4:36], is signed by its leaf key, and
    the leaf's chain verifies to the NVIDIA root, offline (no RIM or revocation check).
    ``gpus``: as fetched, a list of ``{"certificate": <base64 PEM chain, leaf first>,
    "evidence": <base64 SPDM GET_MEASUREMENTS request and signed response>}``."""
    if not isinstance(gpus, list) or not gpus:
        return fail("no GPU evidence")
    if len(gpus) > MAX_GPUS:
        return fail(f"{len(gpus)} GPU evidence items, more than {MAX_GPUS}")
    from cryptography import x509  # the optional verifier
    from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store

    root = x509.load_pem_x509_certificate(root_pem)
    # RFC 5280 path validation (names, signatures, validity, CAs), without the web's rules
    # on which extensions a certificate has: NVIDIA's chains are no web PKI.
    is_ca = ExtensionPolicy.permit_all().require_present(
        x509.BasicConstraints, Criticality.AGNOSTIC, None
    )
    verifier = (
        PolicyBuilder()
        .store(Store([root]))
        .time(datetime.datetime.fromtimestamp(now, datetime.UTC))
        .max_chain_depth(MAX_CHAIN)
        .extension_policies(ca_policy=is_ca, ee_policy=ExtensionPolicy.permit_all())
        .build_client_verifier()
    )
    for index, gpu in enumerate(gpus):
        problem = _gpu_problem(gpu, d, verifier, root)
        if problem:
            return fail(f"GPU {index}: {problem}")
    return PASS


def _gpu_problem(gpu: Any, d: bytes, verifier: Any, root: Any) -> str:
    # the optional verifier (gpus_bound, the caller, has loaded it)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    if not isinstance(gpu, dict) or not {"certificate", "evidence"} <= gpu.keys():
        return "the evidence item has the wrong shape"
    try:
        evidence = b64(gpu["evidence"], "GPU evidence")
        chain_pem = b64(gpu["certificate"], "GPU certificate chain")
    except Bad as exc:
        return str(exc)
    if len(evidence) < 36 + SIGNATURE_BYTES:
        return f"the evidence is too short ({len(evidence)} bytes)"
    if evidence[4:36] != d:
        return "the evidence was made for another nonce"
    try:
        certs = x509.load_pem_x509_certificates(chain_pem)
    except ValueError:
        return "the certificate chain does not parse"
    if len(certs) > MAX_CHAIN + 1:
        return "the certificate chain is too long"
    if certs[0] == root:  # trusted only as our anchor, never as a GPU's leaf
        return "the certificate chain holds only the root"
    try:
        verifier.verify(certs[0], certs[1:])
    except Exception as exc:
        return (
            f"the certificate chain does not lead to the NVIDIA Device Identity CA ({_short(exc)})"
        )
    leaf = certs[0].public_key()
    if not isinstance(leaf, ec.EllipticCurvePublicKey) or leaf.curve.key_size != 384:
        return "the leaf certificate's key is not ECDSA P-384"
    signature = evidence[-SIGNATURE_BYTES:]
    r, s = int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big")
    try:
        leaf.verify(
            utils.encode_dss_signature(r, s), evidence[:-SIGNATURE_BYTES], ec.ECDSA(hashes.SHA384())
        )
    except Exception:
        return "the evidence is not signed by the GPU's leaf key"
    return ""


def check_instance(
    evidence: dict[str, Any],
    nonce_hex: str,
    pubkey_b64: Any,
    measurements: Sequence[Measurement],
    collateral: Any,
    now: float,
    root_pem: bytes | None = None,
    measurement_problem: str = "",
) -> InstanceResult:
    """All checks on one instance's ``evidence`` (as fetched: ``instance_id``, base64 ``quote``
    and TLS ``certificate``, ``gpu_evidence``). ``collateral``: Intel's for its quote's
    platform, or why there is none; ``pubkey_b64``: its listed end-to-end key, None, or a failed
    check (why no listed key of it can be trusted)."""
    result = InstanceResult(evidence["instance_id"])
    checks = result.checks
    try:
        raw = b64(evidence.get("quote"), "quote")
        report = parse_quote(raw).report
    except Bad as exc:
        checks["quote"] = fail(str(exc))
        checks.update(dict.fromkeys(CHECK_NAMES[1:], not_run("no readable quote")))
        return result
    report_data = bytes(report.report_data)
    checks["quote"], result.tcb_status = quote_genuine(raw, collateral, int(now))
    checks["debugOff"] = debug_off(report)
    if pubkey_b64 is None:
        checks["keyBound"] = not_run("no end-to-end key was listed for it in this run")
    else:
        checks["keyBound"] = key_bound(report_data, nonce_hex, pubkey_b64)
    try:
        certificate = b64(evidence.get("certificate"), "certificate")
        checks["certBound"] = cert_bound(report_data, certificate)
    except Bad as exc:
        checks["certBound"] = fail(str(exc))
    checks["measurements"], result.measurement = measured(report, measurements, measurement_problem)
    if isinstance(pubkey_b64, str) and pubkey_b64 and pubkey_b64.isascii():
        d, root = bound_nonce(nonce_hex, pubkey_b64), root_pem or NVIDIA_ROOT_PATH.read_bytes()
        checks["gpus"] = gpus_bound(evidence.get("gpu_evidence"), d, root, now)
    else:
        checks["gpus"] = not_run("no end-to-end key to derive the GPUs' nonce from")
    return result


# --- Intel's collateral: nothing here is trusted, dcap-qvl verifies it all against Intel's root


def collateral_urls(base: str, fmspc: str, ca: str) -> tuple[str, str, str, str]:
    """The PCK CRL, TCB info, QE identity and root CA CRL of a PCS/PCCS v4 base, as dcap-qvl
    builds them; Intel serves its root CA CRL at the root's distribution point instead."""
    base = base.rstrip("/")
    sgx, tdx = f"{base}/sgx/certification/v4", f"{base}/tdx/certification/v4"
    return (
        f"{sgx}/pckcrl?ca={ca}&encoding=der",
        f"{tdx}/tcb?fmspc={fmspc}&update=standard",
        f"{tdx}/qe/identity?update=standard",
        INTEL_ROOT_CA_CRL_URL if base == INTEL_PCS_URL else f"{sgx}/rootcacrl",
    )


def platform_of(quote_b64: Any) -> tuple[str, str] | None:
    """(FMSPC, CA) of a quote, which select its collateral; None if unreadable."""
    try:
        quote = parse_quote(b64(quote_b64, "quote"))
        fmspc, ca = str(quote.fmspc()), str(quote.ca())
    except Exception:
        return None
    if not re.fullmatch("[0-9a-fA-F]{12}", fmspc) or ca not in ("processor", "platform"):
        return None  # they go into Intel's URLs
    return fmspc.upper(), ca


def _chain(headers: dict[str, str], *names: str) -> str:
    """An issuer chain from a response header (URL-encoded PEM, as Intel sends it)."""
    value = next((headers[n.lower()] for n in names if headers.get(n.lower())), None)
    if value is None:
        raise Bad(f"the answer has no {names[0]} header")
    return unquote(value)


def _signed(body: bytes, key: str, what: str) -> tuple[str, bytes]:
    """The signed JSON of ``{"<key>": {...}, "signature": "<hex>"}`` and its signature."""
    try:
        data = json.loads(body.decode("utf-8"))
        signed, signature = data[key], bytes.fromhex(data["signature"])
        if not isinstance(signed, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise Bad(f"the {what} answer is not the signed JSON Intel serves") from None
    # Compact and in the order received, as serde_json with preserve_order writes it.
    return json.dumps(signed, separators=(",", ":"), ensure_ascii=False), signature


def collateral_for(answers: list[tuple[dict[str, str], bytes]]) -> Any:
    """A ``dcap_qvl.QuoteCollateralV3`` from the answers (lower-cased headers, body) at the
    four ``collateral_urls``; ``Bad`` when one is malformed."""
    import dcap_qvl  # the optional verifier

    (pck_headers, pck_crl), (tcb_headers, tcb_body), (qe_headers, qe_body), root = answers
    tcb_json, tcb_signature = _signed(tcb_body, "tcbInfo", "TCB info")
    qe_json, qe_signature = _signed(qe_body, "enclaveIdentity", "QE identity")
    root_crl = root[1].strip()  # a PCCS serves hex text, Intel DER
    hex_text = re.fullmatch(b"[0-9a-fA-F]+", root_crl)
    try:
        return dcap_qvl.QuoteCollateralV3(
            _chain(pck_headers, "SGX-PCK-CRL-Issuer-Chain"),
            bytes.fromhex(root_crl.decode()) if hex_text else root[1],
            pck_crl,
            _chain(tcb_headers, "SGX-TCB-Info-Issuer-Chain", "TCB-Info-Issuer-Chain"),
            tcb_json,
            tcb_signature,
            _chain(qe_headers, "SGX-Enclave-Identity-Issuer-Chain"),
            qe_json,
            qe_signature,
        )
    except Bad:
        raise
    except Exception as exc:
        raise Bad(f"Intel's collateral is malformed ({_short(exc)})") from None
