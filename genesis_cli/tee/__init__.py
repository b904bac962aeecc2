"""Checks of confidential-computing evidence: pure functions over bytes and parsed objects.

No I/O and no clock (``now`` is passed in). Everything passed in is untrusted: a check returns
a failed ``Check`` with its reason, never raises, for anything malformed. Nothing here knows a
provider (``flows.verify`` turns its JSON into these records).

The verifier libraries are an optional extra (``genesis-cli[verify]``): ``dcap_qvl`` verifies
TDX quotes against Intel's root, ``cryptography`` reads certificates. Both are imported inside
the functions that need them: they cost start-up time and may be absent.

What one instance's evidence binds (for a nonce the client chose):
- ``d = sha256(nonce_hex + e2e_pubkey_b64)``; the quote's 64-byte ``report_data`` is ``d``
  followed by ``sha256(DER SubjectPublicKeyInfo of the instance's TLS certificate)``;
- each GPU's SPDM evidence carries ``d`` at ``evidence[4:36]`` (the nonce of its
  GET_MEASUREMENTS request) and ends with the leaf key's ECDSA P-384 signature over the rest.
"""

from __future__ import annotations

import base64
import binascii
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

# The NVIDIA Device Identity CA root, the anchor of every GPU's certificate chain (a public
# certificate shipped in this package: verifier/certs/verifier_device_root.pem of the PyPI
# package nv-local-gpu-verifier 2.7.3, BSD-3-Clause; SHA-256 fingerprint below).
NVIDIA_ROOT_PATH = Path(__file__).with_name("nvidia_device_identity_ca.pem")
NVIDIA_ROOT_SHA256 = "102bf659d5419614c9d8e6aecebc80454eb26b1df6a769ac720b9a690b167b48"

# Intel's provisioning certification service (v4), and where its root CA's CRL lives.
INTEL_PCS_URL = "https://api.trustedservices.intel.com"
INTEL_ROOT_CA_CRL_URL = "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"

# TCB statuses under which a quote counts as genuine and patched enough. OutOfDate (missing
# Intel security updates) and Revoked fail the check; the status is reported either way.
ACCEPTED_TCB = frozenset(
    {"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded"}
)

# Bounds on untrusted fields (base64 text length), far above any real value.
MAX_FIELD_CHARS = 256 * 1024
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
class GpuEvidence:
    certificate_b64: Any  # base64 of a PEM chain, leaf first
    evidence_b64: Any  # base64 of the SPDM GET_MEASUREMENTS request + signed response
    arch: str = ""


@dataclass(frozen=True)
class Evidence:
    """One instance's evidence, as fetched (every field untrusted, any type)."""

    instance_id: str
    quote_b64: Any
    certificate_b64: Any  # base64 of the DER (or PEM) TLS certificate
    gpus: Any  # a list of GpuEvidence, or whatever came instead


@dataclass(frozen=True)
class Measurement:
    """One image the provider lists: its MRTD and RTMR0-3."""

    name: str
    mrtd: bytes
    rtmrs: tuple[bytes, ...]


@dataclass
class InstanceResult:
    instance_id: str
    checks: dict[str, Check] = field(default_factory=dict)
    tcb_status: str | None = None
    measurement: str | None = None

    @property
    def verified(self) -> bool:
        return all(self.checks.get(name, not_run("")).ok is True for name in CHECK_NAMES)

    @property
    def contradicted(self) -> bool:
        return any(check.ok is False for check in self.checks.values())

    @property
    def reason(self) -> str | None:
        """The first failed check and why; else the first that could not run."""
        for wanted in (False, None):
            for name in CHECK_NAMES:
                check = self.checks.get(name, not_run("not run"))
                if check.ok is wanted:
                    return f"{name}: {check.reason}"
        return None


# --- the verifier libraries ------------------------------------------------------------------


def missing_verifier() -> str | None:
    import importlib.util  # only for verify and doctor

    for module in ("dcap_qvl", "cryptography"):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            return module
    return None


# --- decoding ----------------------------------------------------------------------------------


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
    import dcap_qvl  # the optional verifier; see missing_verifier

    try:
        quote = dcap_qvl.parse_quote(raw)
        if not quote.is_tdx():
            raise Bad("the quote is not an Intel TDX quote")
        report = quote.report
        if len(report.report_data) != 64 or len(report.td_attributes) != 8:
            raise Bad("the quote's report has the wrong shape")
    except Bad:
        raise
    except Exception as exc:  # the parser raises ValueError; anything else is as bad
        raise Bad(f"the quote does not parse ({_short(exc)})") from None
    return quote


def _short(exc: BaseException) -> str:
    return one_line(str(exc))[:160] or type(exc).__name__


# --- the five checks ---------------------------------------------------------------------------


def quote_genuine(raw: bytes, collateral: Any, now: int) -> tuple[Check, str | None]:
    """Check 1: the quote's signature chain reaches Intel's root and its TCB status is
    acceptable at ``now``. Returns the check and the TCB status (when one was reached)."""
    import dcap_qvl  # the optional verifier; see missing_verifier

    if collateral is None or isinstance(collateral, str):
        return fail(collateral or "no Intel collateral for this quote's platform"), None
    try:
        verified = dcap_qvl.verify(raw, collateral, int(now))
    except Exception as exc:
        return fail(f"Intel verification failed: {_short(exc)}"), None
    status = str(verified.status)
    if status not in ACCEPTED_TCB:
        advisories = ", ".join(list(verified.advisory_ids)[:5])
        more = f" ({advisories})" if advisories else ""
        return fail(f"TCB status {status}{more}"), status
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
    """``d``: what the instance must have put in its quote and GPU evidence for this nonce.
    Both are ASCII (a key that is not is refused before: replacing its characters would let
    two keys bind the same quote); ``UnicodeEncodeError`` otherwise."""
    return hashlib.sha256((nonce_hex + pubkey_b64).encode("ascii")).digest()


class ConflictingKeys:
    """The key of an instance listed more than once with different end-to-end keys."""


def key_bound(report_data: bytes, nonce_hex: str, pubkey_b64: Any) -> Check:
    """Check 2: ``report_data[:32] == sha256(nonce_hex + e2e_pubkey_b64)``."""
    if isinstance(pubkey_b64, ConflictingKeys):  # which one the quote binds says nothing
        return fail("the instance was listed more than once with different end-to-end keys")
    if not isinstance(pubkey_b64, str) or not pubkey_b64:
        return fail("no end-to-end key was listed for this instance")
    if not pubkey_b64.isascii():
        return fail("the listed end-to-end key is not ASCII (not base64)")
    if report_data[:32] != bound_nonce(nonce_hex, pubkey_b64):
        return fail("the quote was made for another nonce or another key")
    return PASS


def cert_bound(report_data: bytes, certificate: bytes) -> Check:
    """Check 3: ``report_data[32:64] == sha256(DER SubjectPublicKeyInfo of the certificate)``."""
    from cryptography import x509  # the optional verifier; see missing_verifier
    from cryptography.hazmat.primitives import serialization

    try:
        if certificate.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(certificate)
        else:
            cert = x509.load_der_x509_certificate(certificate)
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
    """Check 4: MRTD and RTMR0-3 equal one listed entry. Returns the check and its name.
    ``problem``: why the list is empty, when it is."""
    if not entries:
        return fail(problem or "the published measurement list has no usable entry"), None
    try:
        mine = (report.mr_td, report.rt_mr0, report.rt_mr1, report.rt_mr2, report.rt_mr3)
    except AttributeError:
        return fail("the quote carries no TD measurements"), None
    for entry in entries:
        if (entry.mrtd, *entry.rtmrs) == mine:
            return PASS, entry.name
    return fail(f"MRTD {mine[0].hex()[:16]}… and RTMR0-3 match no listed image"), None


def gpus_bound(gpus: Any, d: bytes, root_pem: bytes, now: float) -> Check:
    """Check 5: every GPU's evidence carries ``d`` at [4:36], is signed by its leaf key, and
    the leaf's chain verifies to the NVIDIA root, offline (no RIM or revocation check)."""
    if not isinstance(gpus, list) or not gpus:
        return fail("no GPU evidence")
    if len(gpus) > MAX_GPUS:
        return fail(f"{len(gpus)} GPU evidence items, more than {MAX_GPUS}")
    from cryptography import x509  # the optional verifier; see missing_verifier

    root = x509.load_pem_x509_certificate(root_pem)
    verified: set[tuple[bytes, bytes]] = set()  # (child, issuer) DER pairs already checked
    for index, gpu in enumerate(gpus):
        where = f"GPU {index}"
        if not isinstance(gpu, GpuEvidence):
            return fail(f"{where}: the evidence item has the wrong shape")
        try:
            evidence = b64(gpu.evidence_b64, "GPU evidence")
            chain_pem = b64(gpu.certificate_b64, "GPU certificate chain")
        except Bad as exc:
            return fail(f"{where}: {exc}")
        if len(evidence) < 36 + SIGNATURE_BYTES:
            return fail(f"{where}: the evidence is too short ({len(evidence)} bytes)")
        if evidence[4:36] != d:
            return fail(f"{where}: the evidence was made for another nonce")
        problem = _chain_problem(chain_pem, root, now, verified)
        if problem is None:
            problem = _signature_problem(chain_pem, evidence)
        if problem is not None:
            return fail(f"{where}: {problem}")
    return PASS


def _chain_problem(
    chain_pem: bytes, root: Any, now: float, verified: set[tuple[bytes, bytes]]
) -> str | None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certs = x509.load_pem_x509_certificates(chain_pem)
    except Exception:
        return "the certificate chain does not parse"
    if not certs or len(certs) > MAX_CHAIN + 1:
        return "the certificate chain is empty or too long"
    der = serialization.Encoding.DER
    root_der = root.public_bytes(der)
    while certs and certs[-1].public_bytes(der) == root_der:
        certs.pop()  # the root itself may close the chain; it is trusted only as ours
    if not certs:
        return "the certificate chain holds only the root"
    at = datetime.datetime.fromtimestamp(now, datetime.UTC)
    for child, issuer in zip(certs, [*certs[1:], root], strict=True):
        if not child.not_valid_before_utc <= at <= child.not_valid_after_utc:
            return f"certificate {child.subject.rfc4514_string()[:80]} is not valid now"
        pair = (child.public_bytes(der), issuer.public_bytes(der))
        if pair in verified:
            continue
        try:
            child.verify_directly_issued_by(issuer)
        except Exception:
            return "the certificate chain does not lead to the NVIDIA Device Identity CA"
        if issuer is not root and not _is_ca(issuer):  # defence in depth: only CAs issue
            return f"certificate {issuer.subject.rfc4514_string()[:80]} is not a CA"
        verified.add(pair)
    return None


def _is_ca(certificate: Any) -> bool:
    """``certificate`` has BasicConstraints with ``ca`` true."""
    from cryptography import x509

    try:
        found = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except (x509.ExtensionNotFound, ValueError):
        return False
    return bool(found.value.ca)


def _signature_problem(chain_pem: bytes, evidence: bytes) -> str | None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    leaf = x509.load_pem_x509_certificates(chain_pem)[0].public_key()
    if not isinstance(leaf, ec.EllipticCurvePublicKey) or leaf.curve.key_size != 384:
        return "the leaf certificate's key is not ECDSA P-384"
    half = SIGNATURE_BYTES // 2
    signature = evidence[-SIGNATURE_BYTES:]
    r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
    try:
        leaf.verify(
            utils.encode_dss_signature(r, s),
            evidence[:-SIGNATURE_BYTES],
            ec.ECDSA(hashes.SHA384()),
        )
    except Exception:
        return "the evidence is not signed by the GPU's leaf key"
    return None


# --- one instance ------------------------------------------------------------------------------


def check_instance(
    evidence: Evidence,
    nonce_hex: str,
    pubkey_b64: Any,
    measurements: Sequence[Measurement],
    collateral: Any,
    now: float,
    root_pem: bytes | None = None,
    measurement_problem: str = "",
) -> InstanceResult:
    """All checks on one instance's evidence. ``collateral``: Intel's collateral for its
    quote's platform (``collateral_for``), or why it could not be had. ``pubkey_b64``: the
    instance's advertised end-to-end key, None when none was listed for it."""
    result = InstanceResult(evidence.instance_id)
    checks = result.checks
    try:
        raw = b64(evidence.quote_b64, "quote")
        quote = parse_quote(raw)
    except Bad as exc:
        checks["quote"] = fail(str(exc))
        for name in CHECK_NAMES[1:]:
            checks[name] = not_run("no readable quote")
        return result
    report = quote.report
    report_data = bytes(report.report_data)
    checks["quote"], result.tcb_status = quote_genuine(raw, collateral, int(now))
    checks["debugOff"] = debug_off(report)
    if pubkey_b64 is None:
        checks["keyBound"] = not_run("no end-to-end key was listed for it in this run")
    else:
        checks["keyBound"] = key_bound(report_data, nonce_hex, pubkey_b64)
    try:
        checks["certBound"] = cert_bound(report_data, b64(evidence.certificate_b64, "certificate"))
    except Bad as exc:
        checks["certBound"] = fail(str(exc))
    checks["measurements"], result.measurement = measured(report, measurements, measurement_problem)
    if isinstance(pubkey_b64, str) and pubkey_b64 and pubkey_b64.isascii():
        d = bound_nonce(nonce_hex, pubkey_b64)
        root = NVIDIA_ROOT_PATH.read_bytes() if root_pem is None else root_pem
        checks["gpus"] = gpus_bound(evidence.gpus, d, root, now)
    else:
        checks["gpus"] = not_run("no end-to-end key to derive the GPUs' nonce from")
    return result


# --- Intel's collateral ------------------------------------------------------------------------


@dataclass(frozen=True)
class CollateralRoutes:
    """Where dcap-qvl's own client fetches a TDX quote's collateral: a PCS/PCCS v4 base."""

    pck_crl: str
    tcb_info: str
    qe_identity: str
    root_ca_crl: str


def collateral_routes(base: str, fmspc: str, ca: str) -> CollateralRoutes:
    """The four URLs, as dcap-qvl builds them; Intel's own service has no root CRL route
    (the CRL sits at the root certificate's distribution point), a PCCS has one."""
    base = base.rstrip("/")
    v4 = f"{base}/{{}}/certification/v4"
    intel = base == INTEL_PCS_URL
    return CollateralRoutes(
        pck_crl=f"{v4.format('sgx')}/pckcrl?ca={ca}&encoding=der",
        tcb_info=f"{v4.format('tdx')}/tcb?fmspc={fmspc}&update=standard",
        qe_identity=f"{v4.format('tdx')}/qe/identity?update=standard",
        root_ca_crl=INTEL_ROOT_CA_CRL_URL if intel else f"{v4.format('sgx')}/rootcacrl",
    )


def platform_of(quote: Any) -> tuple[str, str]:
    """(FMSPC, CA) of a parsed quote, which select its collateral; ``Bad`` if unreadable."""
    try:
        fmspc, ca = str(quote.fmspc()), str(quote.ca())
    except Exception as exc:
        raise Bad(f"the quote names no platform ({_short(exc)})") from None
    if not re.fullmatch("[0-9a-fA-F]{12}", fmspc):
        raise Bad("the quote's FMSPC is malformed")
    if ca not in ("processor", "platform"):
        raise Bad("the quote's PCK CA is neither 'processor' nor 'platform'")
    return fmspc.upper(), ca


def header(headers: dict[str, str], *names: str) -> str:
    """An issuer chain from a response header (URL-encoded PEM, as Intel sends it)."""
    for name in names:
        value = headers.get(name.lower())
        if value:
            return unquote(value)
    raise Bad(f"the answer has no {names[0]} header")


def _signed(body: bytes, key: str, what: str) -> tuple[str, bytes]:
    """The signed JSON of ``{"<key>": {...}, "signature": "<hex>"}`` and its signature."""
    try:
        data = json.loads(body.decode("utf-8"))
        signed = data[key]
        signature = bytes.fromhex(data["signature"])
        if not isinstance(signed, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise Bad(f"the {what} answer is not the signed JSON Intel serves") from None
    # Compact and in the order received, as serde_json with preserve_order writes it.
    return json.dumps(signed, separators=(",", ":"), ensure_ascii=False), signature


def root_crl_bytes(body: bytes) -> bytes:
    """A PCCS serves the root CA CRL as hex text, Intel as DER: either becomes DER."""
    text = body.strip()
    return bytes.fromhex(text.decode()) if re.fullmatch(b"[0-9a-fA-F]+", text) else body


def collateral_for(
    pck_crl: tuple[dict[str, str], bytes],
    tcb_info: tuple[dict[str, str], bytes],
    qe_identity: tuple[dict[str, str], bytes],
    root_ca_crl: bytes,
) -> Any:
    """A ``dcap_qvl.QuoteCollateralV3`` from the four answers, each (lower-cased headers,
    body); ``Bad`` when one is malformed. Nothing here is trusted: dcap-qvl verifies it all
    against Intel's root when it verifies the quote."""
    import dcap_qvl  # the optional verifier; see missing_verifier

    tcb_json, tcb_signature = _signed(tcb_info[1], "tcbInfo", "TCB info")
    qe_json, qe_signature = _signed(qe_identity[1], "enclaveIdentity", "QE identity")
    try:
        return dcap_qvl.QuoteCollateralV3(
            header(pck_crl[0], "SGX-PCK-CRL-Issuer-Chain"),
            root_crl_bytes(root_ca_crl),
            pck_crl[1],
            header(tcb_info[0], "SGX-TCB-Info-Issuer-Chain", "TCB-Info-Issuer-Chain"),
            tcb_json,
            tcb_signature,
            header(qe_identity[0], "SGX-Enclave-Identity-Issuer-Chain"),
            qe_json,
            qe_signature,
        )
    except Bad:
        raise
    except Exception as exc:
        raise Bad(f"Intel's collateral is malformed ({_short(exc)})") from None
