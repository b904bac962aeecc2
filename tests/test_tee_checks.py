"""The TEE evidence checks as functions: real Intel-signed quotes at a pinned time, and
synthetic inputs for the bindings, the measurements and the GPUs, each both ways."""

from __future__ import annotations

import base64
import hashlib
import json
from types import SimpleNamespace

import pytest

from genesis_cli import tee
from genesis_cli.flows.verify import measurement_entry
from tests import tee_data
from tests.tee_data import PINNED, GpuCA

pytest.importorskip("dcap_qvl", reason="the verify extra is not installed")

NONCE = "ab" * 32
PUBKEY = base64.b64encode(b"k" * 1184).decode()
D = tee.bound_nonce(NONCE, PUBKEY)
YEAR = 365 * 86400


# --- check 1: Intel's signature chain and TCB status -----------------------------------------


@pytest.mark.parametrize("name", ["tdx_quote", "tdx_quote_td15ex", "chutes_quote.bin"])
def test_recorded_quote_is_genuine_at_its_pinned_time(name: str) -> None:
    raw = tee_data.quote_bytes(name)
    check, status = tee.quote_genuine(raw, tee_data.collateral(name), PINNED[name])
    assert check == tee.PASS
    assert status == "UpToDate"


@pytest.mark.parametrize("where", ["report_data", "mr_td", "signature"])
def test_one_bit_change_is_refused(where: str) -> None:
    raw = tee_data.quote_bytes("tdx_quote")
    report = tee_data.report_of(raw)
    index = {
        "report_data": raw.find(bytes(report.report_data)) + 5,
        "mr_td": raw.find(bytes(report.mr_td)) + 7,
        # just after the body: its 4-byte length, then the ECDSA signature over it
        "signature": raw.find(bytes(report.report_data)) + 64 + 4 + 10,
    }[where]
    check, status = tee.quote_genuine(
        tee_data.flip_bit(raw, index), tee_data.collateral("tdx_quote"), PINNED["tdx_quote"]
    )
    assert check.ok is False and status is None
    assert "Intel verification failed" in check.reason


@pytest.mark.parametrize("name", ["tdx_quote", "tdx_quote_td15ex"])
def test_expired_collateral_is_refused(name: str) -> None:
    raw = tee_data.quote_bytes(name)
    check, _ = tee.quote_genuine(raw, tee_data.collateral(name), PINNED[name] + YEAR)
    assert check.ok is False
    assert "expired" in check.reason.lower()


def test_collateral_of_another_platform_is_refused() -> None:
    raw = tee_data.quote_bytes("tdx_quote")
    check, _ = tee.quote_genuine(raw, tee_data.collateral("chutes_quote.bin"), PINNED["tdx_quote"])
    assert check.ok is False


def test_missing_collateral_fails_with_its_reason() -> None:
    raw = tee_data.quote_bytes("tdx_quote")
    assert tee.quote_genuine(raw, "Intel's collateral (tcb) is unavailable (HTTP 503)", 0)[
        0
    ] == tee.fail("Intel's collateral (tcb) is unavailable (HTTP 503)")
    assert tee.quote_genuine(raw, None, 0)[0].ok is False


def test_collateral_built_from_intel_shaped_answers_verifies() -> None:
    answers = tee_data.intel_answers(tee_data.collateral_json("tdx_quote"))
    built = tee.collateral_for(list(answers.values()))
    raw = tee_data.quote_bytes("tdx_quote")
    assert tee.quote_genuine(raw, built, PINNED["tdx_quote"])[0] == tee.PASS
    # The TCB info is signed: one changed value and Intel's signature no longer holds.
    headers, body = answers["tcb"]
    tampered = body.replace(b'"tcbType":0', b'"tcbType":1', 1)
    assert tampered != body
    forged = tee.collateral_for(
        [answers["pckcrl"], (headers, tampered), answers["identity"], answers["rootcacrl"]]
    )
    assert tee.quote_genuine(raw, forged, PINNED["tdx_quote"])[0].ok is False


@pytest.mark.parametrize(
    "part, value",
    [("tcb", b"<html>"), ("tcb", b'{"tcbInfo": [], "signature": "zz"}'), ("identity", b"{}")],
)
def test_malformed_collateral_is_bad_not_a_crash(part: str, value: bytes) -> None:
    answers = tee_data.intel_answers(tee_data.collateral_json("tdx_quote"))
    answers[part] = (answers[part][0], value)
    with pytest.raises(tee.Bad):
        tee.collateral_for(list(answers.values()))


def test_missing_issuer_chain_header_is_bad() -> None:
    answers = tee_data.intel_answers(tee_data.collateral_json("tdx_quote"))
    with pytest.raises(tee.Bad, match="SGX-PCK-CRL-Issuer-Chain"):
        tee.collateral_for(
            [({}, answers["pckcrl"][1]), answers["tcb"], answers["identity"], ({}, b"00")]
        )


def test_collateral_routes_are_dcap_qvls() -> None:
    pck_crl, tcb_info, qe_identity, root_ca_crl = tee.collateral_urls(
        tee.INTEL_PCS_URL, "B0C06F000000", "platform"
    )
    assert pck_crl == (
        "https://api.trustedservices.intel.com/sgx/certification/v4/pckcrl?ca=platform&encoding=der"
    )
    assert tcb_info.endswith("/tdx/certification/v4/tcb?fmspc=B0C06F000000&update=standard")
    assert qe_identity.endswith("/tdx/certification/v4/qe/identity?update=standard")
    assert root_ca_crl == tee.INTEL_ROOT_CA_CRL_URL
    pccs = tee.collateral_urls("http://127.0.0.1:1/", "B0C06F000000", "processor")
    assert pccs[3] == "http://127.0.0.1:1/sgx/certification/v4/rootcacrl"


def test_platform_is_read_by_the_library() -> None:
    quote = base64.b64encode(tee_data.quote_bytes("tdx_quote_td15ex")).decode()
    assert tee.platform_of(quote) == ("B0C06F000000", "platform")


# --- check 1b: no debug TD ---------------------------------------------------------------------


def test_debug_td_is_refused_and_a_production_td_passes() -> None:
    debug = SimpleNamespace(td_attributes=bytes([0x01, 0, 0, 0x10, 0, 0, 0, 0]))
    production = SimpleNamespace(td_attributes=bytes([0x00, 0, 0, 0x10, 0, 0, 0, 0]))
    assert tee.debug_off(debug).ok is False
    assert "debug TD" in tee.debug_off(debug).reason
    assert tee.debug_off(production) == tee.PASS
    # TD_ATTRIBUTES is little-endian: the top bit of the last byte is not DEBUG.
    assert tee.debug_off(SimpleNamespace(td_attributes=bytes(7) + b"\x80")) == tee.PASS
    assert tee.debug_off(SimpleNamespace(td_attributes=b"\x00")).ok is False
    assert tee.debug_off(SimpleNamespace()).ok is False


@pytest.mark.parametrize("name", ["tdx_quote", "tdx_quote_td15ex"])
def test_recorded_quotes_are_not_debug_tds(name: str) -> None:
    assert tee.debug_off(tee_data.report_of(tee_data.quote_bytes(name))) == tee.PASS


# --- checks 2 and 3: the bindings ------------------------------------------------------------


def test_key_binding_both_ways() -> None:
    assert tee.key_bound(D + bytes(32), NONCE, PUBKEY) == tee.PASS
    assert tee.key_bound(D + bytes(32), "cd" * 32, PUBKEY).ok is False  # another nonce
    other_key = base64.b64encode(b"x" * 1184).decode()
    assert tee.key_bound(D + bytes(32), NONCE, other_key).ok is False
    assert tee.key_bound(D + bytes(32), NONCE, None).ok is False
    assert tee.key_bound(D + bytes(32), NONCE, 12345).ok is False
    assert hashlib.sha256((NONCE + PUBKEY).encode()).digest() == D


def test_certificate_binding_both_ways() -> None:
    der, spki_hash = tee_data.tls_certificate()
    other, _ = tee_data.tls_certificate()
    assert tee.cert_bound(D + spki_hash, der) == tee.PASS
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
    assert tee.cert_bound(D + spki_hash, pem) == tee.PASS
    assert tee.cert_bound(D + spki_hash, other).ok is False
    assert "does not parse" in tee.cert_bound(D + spki_hash, b"\x30\x03junk").reason


# --- check 4: measurements -----------------------------------------------------------------


def test_measurements_both_ways() -> None:
    raw = tee_data.quote_bytes("tdx_quote")
    report = tee_data.report_of(raw)
    listed = measurement_entry(tee_data.measurement_row(raw, "tdx-1"))
    assert listed is not None
    decoy = tee.Measurement("other", bytes(48), listed.rtmrs)
    assert tee.measured(report, [decoy, listed]) == (tee.PASS, "tdx-1")
    off = tee.Measurement("tdx-1", listed.mrtd, (*listed.rtmrs[:3], b"\x01" * 48))  # RTMR3
    check, name = tee.measured(report, [off])
    assert check.ok is False and name is None
    assert tee.measured(report, [], "the measurement list is not a list")[0] == tee.fail(
        "the measurement list is not a list"
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.update(mrtd="AB" * 47),  # 47 bytes
        lambda r: r.update(mrtd="ZZ" * 48),  # not hex
        lambda r: r["runtime_rtmrs"].pop("RTMR3"),
        lambda r: r.update(runtime_rtmrs=["a", "b"]),
        lambda r: r.update(mrtd=None),
        lambda r: r.clear(),
    ],
)
def test_wrong_shaped_measurement_entries_are_skipped(change) -> None:  # type: ignore[no-untyped-def]
    row = tee_data.measurement_row(tee_data.quote_bytes("tdx_quote"))
    change(row)
    assert measurement_entry(row) is None


def test_measurement_entry_keys_in_either_case() -> None:
    row = tee_data.measurement_row(tee_data.quote_bytes("tdx_quote"))
    row["runtime_rtmrs"] = {k.lower(): v.lower() for k, v in row["runtime_rtmrs"].items()}
    assert measurement_entry(row) is not None
    assert measurement_entry("not a dict") is None


# --- check 5: GPUs ---------------------------------------------------------------------------


def _gpu(ca: GpuCA, d: bytes = D, chain: bytes | None = None) -> dict[str, str]:
    return {
        "certificate": base64.b64encode(chain or ca.chain_pem).decode(),
        "evidence": base64.b64encode(ca.evidence(d)).decode(),
        "arch": "HOPPER",
    }


NOW = 1767225600  # 2026-01-01, inside the test chain's validity


def test_gpu_evidence_both_ways() -> None:
    ca = GpuCA()
    assert tee.gpus_bound([_gpu(ca), _gpu(ca)], D, ca.root_pem, NOW) == tee.PASS
    other_nonce = tee.gpus_bound([_gpu(ca), _gpu(ca, d=bytes(32))], D, ca.root_pem, NOW)
    assert other_nonce == tee.fail("GPU 1: the evidence was made for another nonce")


def test_gpu_chain_to_another_root_fails() -> None:
    ca, stranger = GpuCA(), GpuCA("Test Device Identity CA")  # same name, another key
    check = tee.gpus_bound([_gpu(stranger)], D, ca.root_pem, NOW)
    assert check.ok is False and "NVIDIA Device Identity CA" in check.reason
    # The chain without its root still has to lead to ours.
    check = tee.gpus_bound([_gpu(stranger, chain=stranger.pem(stranger.leaf, stranger.ica))],
                           D, ca.root_pem, NOW)  # fmt: skip
    assert check.ok is False


def test_gpu_evidence_signed_by_another_key_fails() -> None:
    ca, stranger = GpuCA(), GpuCA()
    forged = {
        "certificate": base64.b64encode(ca.chain_pem).decode(),
        "evidence": base64.b64encode(ca.evidence(D, key=stranger.leaf_key)).decode(),
    }
    check = tee.gpus_bound([forged], D, ca.root_pem, NOW)
    assert check == tee.fail("GPU 0: the evidence is not signed by the GPU's leaf key")


def test_gpu_certificates_out_of_their_validity_fail() -> None:
    ca = GpuCA()
    late = NOW + 20 * YEAR
    reason = tee.gpus_bound([_gpu(ca)], D, ca.root_pem, late).reason
    assert "not valid at validation time" in reason  # cryptography's path validation says why


@pytest.mark.parametrize(
    "gpus, reason",
    [
        ([], "no GPU evidence"),
        ("not a list", "no GPU evidence"),
        ([{"certificate": "x"}], "GPU 0: the evidence item has the wrong shape"),
        (
            [{"certificate": "QUFB", "evidence": "%%%"}],
            "GPU 0: the GPU evidence is not valid base64",
        ),
        (
            [{"certificate": "QUFB", "evidence": "AAAA"}],
            "GPU 0: the evidence is too short (3 bytes)",
        ),
    ],
)
def test_malformed_gpu_evidence_fails_with_a_reason(gpus: object, reason: str) -> None:
    assert tee.gpus_bound(gpus, D, GpuCA().root_pem, NOW) == tee.fail(reason)


def test_recorded_nvidia_evidence_verifies_to_the_shipped_root() -> None:
    recorded = json.loads(tee_data.shared("chutes_gpu_evidence.json").read_text())
    gpus = recorded
    their_nonce = base64.b64decode(recorded[0]["evidence"])[4:36]
    root = tee.NVIDIA_ROOT_PATH.read_bytes()
    assert tee.gpus_bound(gpus, their_nonce, root, NOW) == tee.PASS
    assert tee.gpus_bound(gpus, D, root, NOW).ok is False  # not made for our nonce
    assert tee.gpus_bound(gpus, their_nonce, GpuCA().root_pem, NOW).ok is False


def test_shipped_nvidia_root_is_the_one_documented() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    root = x509.load_pem_x509_certificate(tee.NVIDIA_ROOT_PATH.read_bytes())
    assert root.fingerprint(hashes.SHA256()).hex() == tee.NVIDIA_ROOT_SHA256
    assert root.subject.rfc4514_string() == "O=NVIDIA,CN=NVIDIA Device Identity CA"


# --- one instance, hostile and honest ------------------------------------------------------


def _evidence(quote: object, certificate: object = "") -> dict[str, object]:
    return {"instance_id": "inst-1", "quote": quote, "certificate": certificate, "gpu_evidence": []}


@pytest.mark.parametrize(
    "quote, reason",
    [
        ("not base64!", "quote: the quote is not valid base64"),
        (None, "quote: the quote is missing or not text"),
        ("A" * (tee.MAX_FIELD_CHARS + 4), "quote: the quote is 262,148 characters"),
        ("QUFBQQ==", "quote: the quote does not parse"),
    ],
)
def test_unreadable_quote_fails_and_runs_nothing_else(quote: object, reason: str) -> None:
    result = tee.check_instance(_evidence(quote), NONCE, PUBKEY, [], None, NOW)
    assert not result.verified and result.contradicted
    assert result.reason is not None and result.reason.startswith(reason)
    assert all(result.checks[name].ok is None for name in tee.CHECK_NAMES[1:])


def test_truncated_quote_fails() -> None:
    raw = tee_data.quote_bytes("tdx_quote")
    encoded = base64.b64encode(raw[: len(raw) // 2]).decode()
    result = tee.check_instance(_evidence(encoded), NONCE, PUBKEY, [], None, NOW)
    assert result.checks["quote"].ok is False and not result.verified


def test_recorded_quote_with_everything_else_synthetic() -> None:
    """Every check but Intel's passes on a quote rewritten for this nonce; Intel's fails,
    since the rewrite breaks its signature: no quote both binds a fresh nonce and verifies
    offline. The original quote passes Intel's check and fails the bindings."""
    name = "tdx_quote"
    raw = tee_data.quote_bytes(name)
    der, spki_hash = tee_data.tls_certificate()
    ca = GpuCA()
    listed = measurement_entry(tee_data.measurement_row(raw))
    assert listed is not None
    rewritten = tee_data.with_report_data(raw, D + spki_hash)
    args = ([listed], tee_data.collateral(name), PINNED[name], ca.root_pem)

    def run(quote: bytes) -> tee.InstanceResult:
        item = {
            "instance_id": "inst-1",
            "quote": base64.b64encode(quote).decode(),
            "certificate": base64.b64encode(der).decode(),
            "gpu_evidence": [_gpu(ca), _gpu(ca)],
        }
        return tee.check_instance(item, NONCE, PUBKEY, *args)

    fresh = run(rewritten)
    assert {n: c.ok for n, c in fresh.checks.items()} == {
        "quote": False, "debugOff": True, "keyBound": True, "certBound": True,
        "measurements": True, "gpus": True,
    }  # fmt: skip
    assert fresh.measurement == "tdx-8xh200"
    assert not fresh.verified
    original = run(raw)
    assert original.checks["quote"] == tee.PASS and original.tcb_status == "UpToDate"
    assert original.checks["keyBound"].ok is False
    assert original.checks["certBound"].ok is False
    assert not original.verified


def test_verified_only_when_all_six_checks_pass() -> None:
    result = tee.InstanceResult("i", {name: tee.PASS for name in tee.CHECK_NAMES})
    assert result.verified and not result.contradicted and result.reason is None
    for name in tee.CHECK_NAMES:
        one_off = tee.InstanceResult("i", {**result.checks, name: tee.fail("no")})
        assert not one_off.verified and one_off.contradicted
        assert one_off.reason == f"{name}: no"
        unknown = tee.InstanceResult("i", {**result.checks, name: tee.not_run("?")})
        assert not unknown.verified and not unknown.contradicted


def test_missing_end_to_end_key_is_not_run_not_passed() -> None:
    raw = tee_data.quote_bytes("tdx_quote")
    item = _evidence(base64.b64encode(raw).decode())
    result = tee.check_instance(item, NONCE, None, [], tee_data.collateral("tdx_quote"),
                                PINNED["tdx_quote"])  # fmt: skip
    assert result.checks["keyBound"].ok is None and result.checks["gpus"].ok is None
    assert not result.verified


def test_reasons_never_carry_control_characters() -> None:
    assert tee.fail("bad \x1b[31mred\x07 name\nnext").reason == "bad red name next"


def test_a_non_ascii_end_to_end_key_is_refused_not_bound() -> None:
    # With the non-ASCII characters replaced, both keys would bind the same quote.
    one, other = PUBKEY + "\u00e9", PUBKEY + "\u00e8"
    replaced = hashlib.sha256((NONCE + PUBKEY + "?").encode()).digest() + bytes(32)
    for key in (one, other):
        check = tee.key_bound(replaced, NONCE, key)
        assert check.ok is False and "ASCII" in check.reason


def test_a_gpu_chain_through_a_certificate_that_is_no_ca_fails() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    ca = GpuCA()
    # The intermediate is an end-entity certificate (BasicConstraints ca=False) that signs.
    root_name = "Test Device Identity CA"
    ca.ica = tee_data._cert("Test GPU ICA", ca.ica_key, root_name, ca.root_key, ca=False)
    ca.leaf_key = ec.generate_private_key(ec.SECP384R1())
    ca.leaf = tee_data._cert("Test GPU", ca.leaf_key, "Test GPU ICA", ca.ica_key, ca=False)
    check = tee.gpus_bound([_gpu(ca)], D, ca.root_pem, NOW)
    assert check.ok is False and "cA must be asserted in a CA certificate" in check.reason


def _forged_below(ca, issuer, issuer_key, issuer_name: str):
    """A new P-384 key with a certificate issued by ``issuer`` (itself ca=False)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.tee_data import _cert

    key = ec.generate_private_key(ec.SECP384R1())
    return key, _cert("Forged GPU", key, issuer_name, issuer_key, ca=False)


@pytest.mark.parametrize("intermediate_ca", [False, True])
def test_a_gpu_leaf_cannot_issue_another_gpu_certificate(intermediate_ca) -> None:
    """An end-entity certificate (cA=FALSE) never issues: else anyone holding one GPU's leaf
    key could mint device certificates for keys of their own and sign evidence for any nonce."""
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
