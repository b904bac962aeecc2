"""``genesis models verify`` against a local Chutes-shaped server and PCCS, serving evidence
built around a recorded Intel-signed quote (dcap-qvl's sample), at its pinned time.

No offline test can show a real instance passing: a recorded quote cannot carry a nonce
chosen now. So the served evidence is either the recorded quote as it is (Intel's check
passes, the bindings fail) or the quote rewritten for the nonce asked (the bindings pass,
Intel's signature fails). The all-pass path is shown with Intel's check stubbed, and as
functions in test_tee_checks.py.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from genesis_cli import tee
from genesis_cli.flows import verify as verify_flow
from tests import tee_data
from tests.chutes_api import ChutesAPI
from tests.helpers import GOOD_KEY, genesis_command, invoke
from tests.servers import ModelsServer
from tests.tee_data import PINNED, GpuCA

pytest.importorskip("dcap_qvl", reason="the verify extra is not installed")

QUOTE = "tdx_quote"
MODEL = "chutes/zai-org/GLM-5-TEE"
CHUTE = "e51e818e-fa63-570d-9f68-49d7d1b4d12f"
PUBKEY = base64.b64encode(b"\x07" * 1184).decode()
b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731


@dataclass
class World:
    api: ChutesAPI
    models: ModelsServer
    raw: bytes
    ca: GpuCA
    der: bytes
    spki_hash: bytes

    def evidence(self, rewrite: bool, **overrides: Any) -> Callable[[str], dict[str, Any]]:
        """The evidence answer for a nonce: the recorded quote, or it rewritten for that
        nonce; GPUs signed under the test CA for that nonce; ``overrides`` replace fields."""

        def answer(nonce: str) -> dict[str, Any]:
            d = tee.bound_nonce(nonce, PUBKEY)
            quote = tee_data.with_report_data(self.raw, d + self.spki_hash) if rewrite else self.raw
            gpu = {"certificate": b64(self.ca.chain_pem), "evidence": b64(self.ca.evidence(d)),
                   "arch": "HOPPER"}  # fmt: skip
            row = {"instance_id": "inst-a", "quote": b64(quote), "certificate": b64(self.der),
                   "gpu_evidence": [gpu, gpu]}  # fmt: skip
            row.update(overrides)
            return {"evidence": [row], "failed_instance_ids": ["inst-gone"]}

        return answer


@pytest.fixture
def world(
    models_server: ModelsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[World]:
    raw = tee_data.quote_bytes(QUOTE)
    api = ChutesAPI({GOOD_KEY})
    api.tee_chute = CHUTE
    api.tee_instances = [{"instance_id": "inst-a", "e2e_pubkey": PUBKEY, "nonces": ["x"] * 10}]
    api.tee_measurements = [
        {"name": "sev-snp", "mrtd": "", "runtime_rtmrs": {}},  # another TEE type: skipped
        tee_data.measurement_row(raw),
    ]
    api.pccs = tee_data.intel_answers(tee_data.collateral_json(QUOTE))
    ca = GpuCA()
    der, spki_hash = tee_data.tls_certificate()
    root = tmp_path / "gpu-root.pem"
    root.write_bytes(ca.root_pem)
    with api.running():
        monkeypatch.setenv("CHUTES_API_BASE_URL", api.root)
        monkeypatch.setenv("GENESIS_PCCS_URL", api.root)
        monkeypatch.setenv("CHUTES_API_KEY", GOOD_KEY)
        # The recorded collateral was current then; the GPUs chain to the test CA.
        monkeypatch.setattr(verify_flow, "time", _Clock(PINNED[QUOTE]))
        monkeypatch.setattr(tee, "NVIDIA_ROOT_PATH", root)
        found = World(api, models_server, raw, ca, der, spki_hash)
        api.tee_evidence = found.evidence(rewrite=False)
        yield found


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def run_json(*args: str, code: int) -> dict[str, Any]:
    result = invoke("models", "verify", *args, "--json")
    assert result.exit_code == code, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def checks_of(document: dict[str, Any], index: int = 0) -> dict[str, Any]:
    checks: dict[str, Any] = document["instances"][index]["checks"]
    return checks


def test_the_recorded_quote_cannot_be_bound_to_a_fresh_nonce(world: World) -> None:
    document = run_json(MODEL, code=6)
    assert document["ref"] == MODEL and document["chuteId"] == CHUTE
    assert re.fullmatch(r"[0-9a-f]{64}", document["nonce"])
    assert f"/chutes/{CHUTE}/evidence?nonce={document['nonce']}" in " ".join(world.api.paths())
    (instance,) = document["instances"]
    assert instance["instanceId"] == "inst-a" and instance["verified"] is False
    assert instance["tcbStatus"] == "UpToDate"
    assert checks_of(document) == {
        "quote": True, "debugOff": True, "keyBound": False, "certBound": False,
        "measurements": True, "gpus": True,
    }  # fmt: skip
    assert instance["reason"] == "keyBound: the quote was made for another nonce or another key"
    assert document["failedInstanceIds"] == ["inst-gone"]
    assert document["verifiedAt"] == "2025-07-01T00:00:00Z"


def test_a_quote_rewritten_for_the_nonce_binds_but_is_not_intels(world: World) -> None:
    world.api.tee_evidence = world.evidence(rewrite=True)
    document = run_json(MODEL, code=6)
    assert checks_of(document) == {
        "quote": False, "debugOff": True, "keyBound": True, "certBound": True,
        "measurements": True, "gpus": True,
    }  # fmt: skip
    assert document["instances"][0]["reason"].startswith("quote: Intel verification failed")


def test_exit_0_only_when_every_check_passes(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Intel's check stubbed to pass (no recorded quote carries a fresh nonce): the rest of
    the path, real, then verifies; one contradicted instance beside it makes it exit 6."""
    world.api.tee_evidence = world.evidence(rewrite=True)
    monkeypatch.setattr(tee, "quote_genuine", lambda raw, collateral, now: (tee.PASS, "UpToDate"))
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 0, result.output
    assert "inst-a  verified" in result.stdout
    assert "TCB UpToDate · image tdx-8xh200" in result.stdout
    assert "1 of 1 instance(s) verified." in result.stdout

    good = world.evidence(rewrite=True)
    world.api.tee_instances.append({"instance_id": "inst-b", "e2e_pubkey": "QUJD"})

    def two(nonce: str) -> dict[str, Any]:
        answer = good(nonce)
        answer["evidence"].append({**answer["evidence"][0], "instance_id": "inst-b",
                                   "quote": b64(world.raw)})  # fmt: skip
        return answer

    world.api.tee_evidence = two
    document = run_json(MODEL, code=6)
    assert [i["verified"] for i in document["instances"]] == [True, False]


def test_text_output_says_what_a_pass_proves_and_what_not(world: World) -> None:
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 6
    out = result.stdout
    assert "inst-a  not verified: keyBound: the quote was made for another nonce" in out
    assert "TCB UpToDate · image tdx-8xh200" in out
    assert "Chutes could not get evidence from: inst-gone" in out
    assert "genuine Intel TDX guest with NVIDIA confidential computing" in out
    assert "does not prove which model weights answer" in out
    assert "only Chutes publishes its measurements" in out
    assert "NVIDIA's online service" in out


def test_every_run_sends_a_new_nonce(world: World) -> None:
    first = run_json(MODEL, code=6)["nonce"]
    second = run_json(MODEL, code=6)["nonce"]
    assert first != second


def test_a_model_not_in_the_catalog_exits_2_with_suggestions(world: World) -> None:
    result = invoke("models", "verify")  # the default model, which this catalog lacks
    assert result.exit_code == 2, result.output
    assert "is not in the live Chutes catalog" in result.stderr
    assert "try chutes/zai-org/GLM-5-TEE" in result.stderr
    assert not any("/evidence" in path for path in world.api.paths())


# --- hostile evidence: a failed check with its reason, never a crash, never "verified" --------


@pytest.mark.parametrize(
    "overrides, check, reason",
    [
        ({"quote": "@@not base64@@"}, "quote", "the quote is not valid base64"),
        ({"quote": 17}, "quote", "the quote is missing or not text"),
        ({"certificate": "%%"}, "certBound", "the certificate is not valid base64"),
        ({"certificate": b64(b"not a certificate")}, "certBound", "the TLS certificate does"),
        ({"gpu_evidence": "none"}, "gpus", "no GPU evidence"),
        ({"gpu_evidence": [{"certificate": "QUFB", "evidence": "###"}]}, "gpus", "GPU 0: the"),
    ],
)
def test_malformed_evidence_is_a_failed_check(
    world: World, overrides: dict[str, Any], check: str, reason: str
) -> None:
    world.api.tee_evidence = world.evidence(rewrite=True, **overrides)
    document = run_json(MODEL, code=6)
    (instance,) = document["instances"]
    assert instance["verified"] is False and instance["checks"][check] is False
    assert reason in instance["reasons"][check]


def test_a_truncated_quote_is_a_failed_check(world: World) -> None:
    world.api.tee_evidence = world.evidence(rewrite=False, quote=b64(world.raw[:700]))
    document = run_json(MODEL, code=6)
    assert document["instances"][0]["reason"].startswith("quote: the quote does not parse")


def test_a_gpu_chain_to_another_root_fails(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tee, "NVIDIA_ROOT_PATH", tee_data.REPO / "genesis_cli" / "tee"
                        / "nvidia_device_identity_ca.pem")  # fmt: skip
    document = run_json(MODEL, code=6)
    assert checks_of(document)["gpus"] is False
    world.api.tee_evidence = world.evidence(rewrite=True)
    document = run_json(MODEL, code=6)
    reason = document["instances"][0]["reasons"]["gpus"]
    assert reason.startswith("GPU 0: the certificate chain does not lead to the NVIDIA")


@pytest.mark.parametrize(
    "measurements, reason",
    [
        ({"not": "a list"}, "the measurement list is not a list"),
        ([{"name": "x", "mrtd": "AB", "runtime_rtmrs": {}}], "has no usable entry"),
        ([], "has no usable entry"),
    ],
)
def test_a_wrong_shaped_measurement_list_is_a_failed_check(
    world: World, measurements: Any, reason: str
) -> None:
    world.api.tee_measurements = measurements
    document = run_json(MODEL, code=6)
    assert checks_of(document)["measurements"] is False
    assert reason in document["instances"][0]["reasons"]["measurements"]


def test_a_huge_evidence_body_is_refused(world: World) -> None:
    world.api.tee_evidence = lambda nonce: b'{"evidence": ["' + b"A" * (9 << 20) + b'"]}'
    result = invoke("models", "verify", MODEL, "--json")
    assert result.exit_code == 1
    assert "sent more than 8 MiB" in result.stderr
    assert result.stdout == ""


def test_evidence_that_is_not_json_is_refused(world: World) -> None:
    world.api.tee_evidence = lambda nonce: b"<html>maintenance</html>"
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 5
    assert "answered the evidence with something unexpected" in result.stderr
    assert "verified" not in result.stdout


def test_missing_intel_collateral_fails_the_quote_check(world: World) -> None:
    del world.api.pccs["tcb"]
    document = run_json(MODEL, code=6)
    assert checks_of(document)["quote"] is False
    assert document["instances"][0]["reason"] == (
        "quote: Intel's collateral (tcb) is unavailable (HTTP 404)"
    )


def test_instances_without_evidence_are_reported_unverified(world: World) -> None:
    world.api.tee_instances.append({"instance_id": "inst-quiet", "e2e_pubkey": PUBKEY})
    document = run_json(MODEL, code=6)
    quiet = document["instances"][1]
    assert quiet["instanceId"] == "inst-quiet" and quiet["verified"] is False
    assert set(quiet["checks"].values()) == {None}


# --- no TEE model, no instance, credential, network, no verifier -----------------------------


def test_a_model_that_is_not_a_tee_model_exits_6(world: World) -> None:
    for row in world.models.body["data"]:
        row["confidential_compute"] = False
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 6
    assert "is not a TEE model" in result.stderr


def test_an_early_exit_still_prints_one_json_document(world: World) -> None:
    for row in world.models.body["data"]:
        row["confidential_compute"] = False
    document = run_json(MODEL, code=6)
    assert document["ref"] == MODEL and document["chuteId"] is None
    assert len(document["nonce"]) == 64 and document["verifiedAt"].endswith("Z")
    assert document["instances"] == [] and document["failedInstanceIds"] == []
    assert "is not a TEE model" in document["reason"] and document["ok"] is False


def test_no_running_instance_prints_the_deployment_in_json(world: World) -> None:
    world.api.tee_chute = "another"
    document = run_json(MODEL, code=6)
    assert document["chuteId"] == CHUTE and document["instances"] == []
    assert document["reason"].startswith(f"no running instance of {MODEL}")


def test_no_running_instance_exits_6(world: World) -> None:
    world.api.tee_instances = []
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 6
    assert "no instance of" in result.stderr and "is running now" in result.stderr


def test_an_unknown_deployment_exits_6(world: World) -> None:
    world.api.tee_chute = "another"
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 6
    assert f"error: no running instance of {MODEL} (Chutes answered HTTP 404" in result.stderr


def test_a_refused_credential_exits_3(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.api.keys = set()
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 3
    assert "refused the credential" in result.stderr


def test_no_credential_exits_3(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHUTES_API_KEY")
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 3
    assert "no Chutes credential" in result.stderr


def test_an_unavailable_live_catalog_exits_1(world: World) -> None:
    world.models.mode = "500"
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 1
    assert "could not fetch the live catalog" in result.stderr


def test_an_unreachable_api_exits_1(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHUTES_API_BASE_URL", "http://127.0.0.1:9")
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 1
    assert "could not connect" in result.stderr


def test_a_plain_http_pccs_elsewhere_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENESIS_PCCS_URL", "http://pccs.example")
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 2
    assert "GENESIS_PCCS_URL" in result.stderr


def test_without_the_verifier_exit_2_names_the_install_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "dcap_qvl", None)
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 2
    assert "pip install 'genesis-cli[verify]'" in result.stderr


# --- the whole process, under a faked clock ----------------------------------------------------


def _libfaketime() -> Path:
    spec = importlib.util.find_spec("libfaketime")
    if spec is None or spec.origin is None:
        pytest.skip("libfaketime is not installed")
    return Path(spec.origin).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"


@pytest.mark.e2e
def test_the_installed_command_under_a_faked_clock(world: World) -> None:
    """The real process, its clock set to when the recorded collateral was current:
    Intel's check passes, the bindings fail, exit 6. With the real clock the collateral has
    expired, and Intel's check fails too."""
    world.api.tee_evidence = world.evidence(rewrite=False)
    env = {**os.environ, "LD_PRELOAD": str(_libfaketime()), "DONT_FAKE_MONOTONIC": "1",
           "FAKETIME": "@2025-07-01 00:00:00"}  # fmt: skip
    argv = genesis_command("models", "verify", MODEL, "--json")
    faked = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert faked.returncode == 6, faked.stderr
    document = json.loads(faked.stdout)
    assert document["verifiedAt"].startswith("2025-07-01T00:00")
    checks = checks_of(document)
    assert checks["quote"] is True and checks["keyBound"] is False
    del env["LD_PRELOAD"]
    real = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert real.returncode == 6, real.stderr
    instance = json.loads(real.stdout)["instances"][0]
    assert instance["checks"]["quote"] is False
    assert "expired" in instance["reason"].lower()


# --- server-chosen text that could fake a verdict ---------------------------------------------

_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,80}\Z")


def test_instance_ids_that_are_not_plain_ids_are_left_out_and_counted(world: World) -> None:
    world.api.tee_instances.append({"instance_id": "i1\nverified", "e2e_pubkey": PUBKEY})
    world.api.tee_instances.append({"instance_id": "[bold]x[/bold]", "e2e_pubkey": PUBKEY})
    answer = world.evidence(rewrite=False)

    def hostile(nonce: str) -> dict[str, Any]:
        body = answer(nonce)
        body["failed_instance_ids"] += ["fRTL[bold]M[/bold] verified", "x" * 81]
        return body

    world.api.tee_evidence = hostile
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 6
    assert "verified\n" not in result.stdout.replace("instance(s) verified.\n", "")
    assert "[bold]" not in result.stdout and "RTL" not in result.stdout
    assert "x" * 81 not in result.stdout
    assert "could not get evidence from: inst-gone\n" in result.stdout
    assert "2 instance id(s) in the instances' keys are not plain ids" in result.stderr
    assert "2 instance id(s) in the failed instances" in result.stderr
    document = run_json(MODEL, code=6)
    ids = [i["instanceId"] for i in document["instances"]] + document["failedInstanceIds"]
    assert ids == ["inst-a", "inst-gone"]
    assert all(_SAFE_ID.match(i) for i in ids)


def test_a_measurement_name_that_is_not_a_plain_name_is_not_shown(world: World) -> None:
    world.api.tee_measurements = [tee_data.measurement_row(world.raw, "RTL[bold]M[/bold]\nok")]
    document = run_json(MODEL, code=6)
    assert document["instances"][0]["measurement"] == "unnamed"
    world.api.tee_measurements = [tee_data.measurement_row(world.raw, "tdx-8xh200:v1.2")]
    assert run_json(MODEL, code=6)["instances"][0]["measurement"] == "tdx-8xh200:v1.2"


def test_no_plain_instance_id_at_all_is_no_running_instance_with_the_count(world: World) -> None:
    world.api.tee_instances = [{"instance_id": "\x1b[2Ji1", "e2e_pubkey": PUBKEY}]
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 6
    assert "1 instance id(s) in the instances' keys are not plain ids" in result.stderr
    assert "no instance of" in result.stderr and "\x1b" not in result.stderr


def test_an_instance_listed_twice_with_different_keys_fails_key_bound(world: World) -> None:
    world.api.tee_evidence = world.evidence(rewrite=True)  # binds the nonce to PUBKEY
    world.api.tee_instances.append({"instance_id": "inst-a", "e2e_pubkey": "QUJD"})
    document = run_json(MODEL, code=6)
    (instance,) = document["instances"]
    assert checks_of(document)["keyBound"] is False
    assert "different end-to-end keys" in instance["reasons"]["keyBound"]


def test_a_key_list_longer_than_the_cap_is_not_cut_into_a_pass(world: World, monkeypatch) -> None:
    """A second key for an instance hidden past the row cap must not leave the first one
    looking bound: a list that long is refused whole."""
    world.api.tee_evidence = world.evidence(rewrite=True)
    monkeypatch.setattr(tee, "quote_genuine", lambda raw, collateral, now: (tee.PASS, "UpToDate"))
    world.api.tee_instances += [{"instance_id": f"f{i}", "e2e_pubkey": PUBKEY} for i in range(300)]
    world.api.tee_instances.append({"instance_id": "inst-a", "e2e_pubkey": "QUJD"})
    document = run_json(MODEL, code=6)
    assert document["instances"] == []
    assert "more than" in document["reason"]


def test_a_repeated_evidence_row_counts_its_instance_once(world: World, monkeypatch) -> None:
    """The same instance twice in the evidence is one instance, reported as repeated; it
    verifies only when every row of it passes."""
    monkeypatch.setattr(tee, "quote_genuine", lambda raw, collateral, now: (tee.PASS, "UpToDate"))
    good = world.evidence(rewrite=True)
    world.api.tee_evidence = lambda nonce: {"evidence": good(nonce)["evidence"] * 2}
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 0, result.output
    assert "1 of 1 instance(s) verified." in result.stdout
    assert "lists 1 instance(s) more than once (inst-a): each counts once" in result.stderr
    assert [i["instanceId"] for i in run_json(MODEL, code=0)["instances"]] == ["inst-a"]

    for order in (1, -1):  # one row with the recorded quote (another nonce), first or last

        def one_row_fails(nonce: str, order: int = order) -> dict[str, Any]:
            (row,) = good(nonce)["evidence"]
            return {"evidence": [row, {**row, "quote": b64(world.raw)}][::order],
                    "failed_instance_ids": ["inst-gone", "inst-gone"]}  # fmt: skip

        world.api.tee_evidence = one_row_fails
        document = run_json(MODEL, code=6)
        (instance,) = document["instances"]
        assert instance["verified"] is False and instance["checks"]["keyBound"] is False
        assert document["failedInstanceIds"] == ["inst-gone"]


def _pass_intel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tee, "quote_genuine", lambda raw, collateral, now: (tee.PASS, "UpToDate"))


def _under(world: World, *ids: str) -> Callable[[str], dict[str, Any]]:
    """The one instance's passing evidence, answered under each of ``ids``."""
    good = world.evidence(rewrite=True)

    def answer(nonce: str) -> dict[str, Any]:
        (row,) = good(nonce)["evidence"]
        return {"evidence": [{**row, "instance_id": i} for i in ids]}

    return answer


def test_one_key_listed_for_several_instances_fails_key_bound_for_each(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quote binds the nonce and the key, not the instance id: one TEE's evidence under
    three ids is not three verified instances."""
    _pass_intel(monkeypatch)
    ids = ("inst-a", "inst-b", "inst-c")
    world.api.tee_instances = [{"instance_id": i, "e2e_pubkey": PUBKEY} for i in ids]
    world.api.tee_evidence = _under(world, *ids)
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 6, result.output
    assert "0 of 3 instance(s) verified." in result.stdout
    document = run_json(MODEL, code=6)
    assert [i["instanceId"] for i in document["instances"]] == list(ids)
    for instance in document["instances"]:
        assert instance["checks"]["keyBound"] is False
        assert instance["reason"] == "keyBound: the same end-to-end key is listed for 3 instances"


def test_ids_equal_but_for_case_are_one_instance(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instance ids are UUIDs: `inst-a` and `INST-A` are one instance, counted once, shown in
    lower case; listed with two keys, it fails keyBound."""
    _pass_intel(monkeypatch)
    world.api.tee_instances = [
        {"instance_id": i, "e2e_pubkey": PUBKEY} for i in ("inst-a", "INST-A")
    ]
    world.api.tee_evidence = _under(world, "inst-a", "INST-A")
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 0, result.output
    assert "1 of 1 instance(s) verified." in result.stdout
    assert "more than once (inst-a)" in result.stderr
    world.api.tee_instances[1]["e2e_pubkey"] = "QUJD"
    document = run_json(MODEL, code=6)
    (instance,) = document["instances"]
    assert instance["instanceId"] == "inst-a"
    assert "different end-to-end keys" in instance["reasons"]["keyBound"]


def test_an_instance_also_listed_as_failed_is_not_verified(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passing evidence for an id Chutes also lists among those it got no evidence from is a
    contradiction: not verified, and said."""
    _pass_intel(monkeypatch)
    good = world.evidence(rewrite=True)
    world.api.tee_evidence = lambda nonce: {**good(nonce), "failed_instance_ids": ["INST-A"]}
    result = invoke("models", "verify", MODEL)
    assert result.exit_code == 6, result.output
    reason = "evidence: Chutes also lists it as one it could not get evidence from"
    assert f"inst-a  not verified: {reason}" in result.stdout
    assert "0 of 1 instance(s) verified." in result.stdout
    (instance,) = run_json(MODEL, code=6)["instances"]
    assert instance["verified"] is False and instance["reason"] == reason
