"""`genesis doctor`: one line per check, exit 1 when one fails."""

from __future__ import annotations

import json

import pytest

from genesis_cli.errors import UsageError
from genesis_cli.oauth.protocol import check_redirect_uri
from genesis_cli.providers.chutes import PROVIDER as CHUTES
from tests.helpers import GOOD_KEY, doctor_checks, invoke, onboard


def test_a_healthy_setup_passes(models_server, auth_server, state_dir) -> None:
    assert onboard().exit_code == 0
    result = invoke("doctor", "--json")
    assert result.exit_code == 0, result.stdout
    found = doctor_checks(result)
    assert {name: c["status"] for name, c in found.items()} == {
        "state dir": "ok",
        "config": "ok",
        "auth store": "ok",
        "credential": "ok",
        "openclaw": "ok",  # the config's exec reference runs this genesis
        "proxy / CA": "ok",
        "redirect URI": "ok",  # CHUTES_OAUTH_REDIRECT_URI, set for the test IdP
        "TEE verifier": "ok",
        "models API": "ok",
        "sign-in (IdP)": "ok",
        "clock": "ok",
        "account": "warn",  # no management API in this test: it could not be read
    }
    assert "answered HTTP 200" in found["models API"]["detail"]
    assert "answered HTTP 401" in found["sign-in (IdP)"]["detail"]
    assert GOOD_KEY not in result.stdout


def test_failures_exit_1_with_a_fix_for_each(state_dir, monkeypatch) -> None:
    state_dir.mkdir(mode=0o755)
    (state_dir / "genesis.json").write_text("{ broken")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    result = invoke("doctor")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("FAIL  state dir") for line in lines)
    assert any(line.startswith("FAIL  config") and "line 1" in line for line in lines)
    assert any(line.startswith("FAIL  credential") for line in lines)
    assert any(line.startswith("FAIL  proxy / CA") for line in lines)
    assert any(line.startswith("FAIL  models API") for line in lines)
    fixes = [line for line in lines if "fix:" in line]
    assert len(fixes) >= 5
    assert "chmod 700" in result.stdout


def test_json_mode_is_one_document_even_when_checks_fail(state_dir) -> None:
    result = invoke("doctor", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert all(set(c) == {"name", "status", "detail", "fix"} for c in document["checks"])


def test_reversed_aliases_are_a_warning_with_the_fix(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    config = state_dir / "genesis.json"
    config.write_text('{agents: {defaults: {models: {"chutes-fast": {alias: "chutes/v/m"}}}}}\n')
    config.chmod(0o600)
    before = config.read_bytes()
    result = invoke("doctor", "--json")
    check = doctor_checks(result)["aliases"]
    assert check["status"] == "warn"
    assert "['chutes-fast'] is reversed" in check["detail"]
    assert '"chutes/v/m": { alias: "chutes-fast" }' in check["detail"]
    assert config.read_bytes() == before


def test_doctor_says_when_the_tee_verifier_is_missing(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "dcap_qvl", None)
    result = invoke("doctor", "--json")
    found = doctor_checks(result)
    assert found["TEE verifier"]["status"] == "warn"
    assert "models verify" in found["TEE verifier"]["detail"]
    assert found["TEE verifier"]["fix"] == "pip install 'genesis-cli[verify]'"


def test_a_missing_ca_bundle_fails_its_checks_and_the_others_still_run(state_dir, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CHUTES_BASE_URL", "https://127.0.0.1:9/v1")
    monkeypatch.setenv("CHUTES_OAUTH_BASE_URL", "https://127.0.0.1:9/idp")
    result = invoke("doctor", "--json")
    assert result.exit_code == 1
    found = doctor_checks(result)
    assert found["proxy / CA"]["status"] == "fail"
    assert "REQUESTS_CA_BUNDLE" in found["models API"]["detail"]
    assert "REQUESTS_CA_BUNDLE" in found["sign-in (IdP)"]["detail"]
    assert "clock" in found


def test_proxy_credentials_are_masked_in_text_and_json(state_dir, monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://bob:pr0xy-pass@127.0.0.1:9")
    for args in (("doctor",), ("doctor", "--json")):
        result = invoke(*args)
        assert "pr0xy-pass" not in result.stdout
        assert "bob" not in result.stdout
        assert "***@127.0.0.1:9" in result.stdout


@pytest.mark.parametrize(
    "uri",
    [
        "http://192.0.2.1:1456/oauth-callback",  # not loopback
        "https://127.0.0.1:1456/oauth-callback",
        "http://127.0.0.1:1456/oauth-callback?x=1",
        "http://127.0.0.1:99999/oauth-callback",
        "http://user@127.0.0.1:1456/oauth-callback",
    ],
)
def test_a_redirect_uri_sign_in_would_refuse_fails_with_sign_ins_words(
    state_dir, monkeypatch, uri
) -> None:
    monkeypatch.setenv("CHUTES_OAUTH_REDIRECT_URI", uri)
    result = invoke("doctor", "--json")
    assert result.exit_code == 1
    found = doctor_checks(result)["redirect URI"]
    with pytest.raises(UsageError) as refused:  # what sign-in says
        check_redirect_uri(CHUTES, uri)
    assert (found["status"], found["detail"]) == ("fail", refused.value.message)
    assert found["fix"] == refused.value.hint


def test_a_loopback_redirect_uri_passes_and_none_set_is_no_check(state_dir, monkeypatch) -> None:
    assert "redirect URI" not in doctor_checks(invoke("doctor", "--json"))
    monkeypatch.setenv("CHUTES_OAUTH_REDIRECT_URI", "http://localhost:8123/cb")
    found = doctor_checks(invoke("doctor", "--json"))["redirect URI"]
    assert found["status"] == "ok" and "http://localhost:8123/cb" in found["detail"]


def test_a_problem_that_fails_two_checks_is_told_once(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text("{ broken")
    result = invoke("doctor")
    assert result.exit_code == 1
    assert result.stdout.count("line 1, column") == 1
    assert result.stdout.count("fix the file by hand") == 1
    checks = doctor_checks(invoke("doctor", "--json"))
    assert checks["credential"]["status"] == "fail"
    assert checks["credential"]["detail"] == "the same problem as config above"
    assert checks["credential"]["fix"] is None
