"""Golden files for the config writer: exact text in, exact text out, through onboarding."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from genesis_cli.config.json5_doc import loads
from genesis_cli.flows.onboard import onboard_api_key
from tests.helpers import CHUTES
from tests.stub_http import Proxy, TLSStub, make_ca

GOLDEN = Path(__file__).parent / "golden"
KEY = "cpk_" + "a" * 32 + "." + "b" * 32 + "." + "C" * 32
UPDATE = os.environ.get("GENESIS_UPDATE_GOLDEN") == "1"


@pytest.fixture
def chutes_api(monkeypatch, sample_body, tmp_path_factory):
    """The public base URL, answered on 127.0.0.1: a proxy tunnels ``llm.chutes.ai:443`` to a
    local HTTPS server whose throwaway CA stands in for the machine's trust store, so nothing
    leaves the machine. The program OpenClaw is told to run is fixed, and no CA bundle or XDG
    setting comes from the machine, so the golden text is the same everywhere."""
    import ssl

    from genesis_cli import http
    from genesis_cli.flows import openclaw

    monkeypatch.delenv("CHUTES_BASE_URL")
    monkeypatch.setattr(openclaw, "genesis_command", lambda: ("/opt/genesis/bin/genesis", []))
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "PYTHON_KEYRING_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    ca = make_ca(tmp_path_factory.mktemp("ca"), ("llm.chutes.ai",))
    server = TLSStub(ca)
    proxy = Proxy({"llm.chutes.ai:443": server._server.port})
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setattr(http, "tls_context", lambda: ssl.create_default_context(cafile=ca.bundle))
    try:
        with server.routes() as rsps:
            rsps.add("GET", server.url("/v1/models"), json=sample_body)
            yield rsps
    finally:
        proxy.stop()
        server.stop()


def check_golden(actual: str, name: str, tmp: Path) -> None:
    """``actual`` with the test's temporary folder written ``/tmp/t``, against the file."""
    actual = actual.replace(str(tmp), "/tmp/t")
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual)
    assert actual == path.read_text(), f"differs from {path}"


def onboard_into(config: Path) -> str:
    onboard_api_key(CHUTES, KEY)
    return config.read_text()


def test_onboarding_a_commented_config_keeps_everything_else(chutes_api, state_dir) -> None:
    state_dir.mkdir()
    config = state_dir / "genesis.json"
    original = (GOLDEN / "commented.json5").read_text()
    config.write_text(original)
    first = onboard_into(config)
    check_golden(first, "commented.onboarded.json5", state_dir.parent)
    assert (state_dir / "genesis.json.bak").read_text() == original


def test_onboarding_twice_changes_nothing_the_second_time(chutes_api, state_dir) -> None:
    state_dir.mkdir()
    config = state_dir / "genesis.json"
    config.write_text((GOLDEN / "commented.json5").read_text())
    first = onboard_into(config)
    backup = (state_dir / "genesis.json.bak").read_text()
    second = onboard_into(config)
    assert second == first
    assert (state_dir / "genesis.json.bak").read_text() == backup  # no change, no new backup


def test_onboarding_with_no_config_writes_the_spec_shape(chutes_api, state_dir) -> None:
    text = onboard_into(state_dir / "genesis.json")
    check_golden(text, "fresh.onboarded.json5", state_dir.parent)
    data = loads(text)
    assert data["agents"]["defaults"]["model"]["primary"] == "chutes/zai-org/GLM-4.7-TEE"
    assert data["agents"]["defaults"]["models"] == {
        "chutes/zai-org/GLM-4.7-FP8": {"alias": "chutes-fast"},
        "chutes/deepseek-ai/DeepSeek-V3.2-TEE": {"alias": "chutes-pro"},
        "chutes/chutesai/Mistral-Small-3.2-24B-Instruct-2506": {"alias": "chutes-vision"},
        # Every registered model is allowed, the primary included (OpenClaw's allowlist).
        "chutes/zai-org/GLM-4.7-TEE": {},
        "chutes/zai-org/GLM-5-TEE": {},
        "chutes/moonshotai/Kimi-K2.5-TEE": {},
        "chutes/unsloth/Mistral-Nemo-Instruct-2407-TEE": {},
    }
    provider = data["models"]["providers"]["chutes"]
    assert provider["baseUrl"] == "https://llm.chutes.ai/v1"
    assert provider["api"] == "openai-completions"
    assert [m["id"] for m in provider["models"]] == [
        "zai-org/GLM-5-TEE",
        "moonshotai/Kimi-K2.5-TEE",
        "unsloth/Mistral-Nemo-Instruct-2407-TEE",
    ]
    assert data["auth"] == {
        "profiles": {"chutes:default": {"provider": "chutes", "mode": "api_key"}}
    }
    assert not (state_dir / "genesis.json.bak").exists()
