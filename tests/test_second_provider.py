"""A second provider from data alone: ``tests/providers/acme.py`` and ``acme.json``.

Made known the way an installed package would (an entry point in a ``.dist-info`` on
``sys.path``), then onboarded end to end against a local server that answers with Acme's
own row shape: config, store, ``models list``, ``auth token``, and Acme's key prefix
redacted in a server's error text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from genesis_cli import paths
from genesis_cli.config.json5_doc import loads
from genesis_cli.providers.lookup import ENTRY_POINT_GROUP
from genesis_cli.store import auth_store
from tests import helpers
from tests.helpers import invoke
from tests.servers import ModelsServer

REPO = Path(__file__).resolve().parent.parent
ACME_KEY = "ask_" + "0123456789" * 4
SOMEONE_ELSES = "ask_" + "9876543210" * 4
# Acme's /v1/models rows: other field names than Chutes (see tests/providers/acme.py).
ACME_MODELS = {
    "object": "list",
    "data": [
        {
            "id": "large-2",
            "context_window": 262144,
            "max_completion_tokens": 16384,
            "modalities": ["text", "image"],
            "capabilities": ["tools", "reasoning"],
            "price_per_million": {"input": 1.25, "output": 3.5, "cached_input": 0.5},
        },
        {"id": "small-1", "context_window": 65536, "capabilities": ["tools"]},
        {"id": "medium-3", "context_window": 131072, "max_completion_tokens": 8192},
    ],
}


BROKEN = """
from pathlib import Path
from genesis_cli.providers import Provider

PROVIDER = Provider(
    id="broken", display_name="Broken", env_prefix="BROKEN",
    catalog_path=Path(__file__).with_name("broken.json"),
    api_keys_url="https://broken.example/keys", site_url="https://broken.example",
)
"""


def install_acme(site: Path) -> Path:
    """A ``.dist-info`` declaring the Acme provider, as ``pip install acme-genesis`` leaves;
    beside it a package whose provider ships a damaged catalog, and one that fails to import."""
    dist = site / "acme_genesis-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-genesis\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nacme = tests.providers.acme:PROVIDER\n"
        "broken = broken_genesis:PROVIDER\nghost = no_such_module:PROVIDER\n"
    )
    (site / "broken_genesis.py").write_text(BROKEN)
    (site / "broken.json").write_text('{"baseUrl": "https://broken.example/v1", "api": 1}')
    return site


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelsServer]:
    monkeypatch.syspath_prepend(str(install_acme(tmp_path / "site")))
    server = ModelsServer(ACME_MODELS)
    server.valid_tokens = {ACME_KEY}
    if helpers.GUARD is not None:
        helpers.GUARD.add(ACME_KEY, SOMEONE_ELSES)
    with server.running():
        monkeypatch.setenv("ACME_BASE_URL", server.base_url)
        yield server


def onboard_acme() -> None:
    result = invoke(
        "onboard",
        "--auth-choice",
        "acme-api-key",
        "--api-key-stdin",
        "--non-interactive",
        "--json",
        input=ACME_KEY + "\n",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["profile"] == "acme:default"
    assert report["catalog"] == {"source": "live", "count": 3}
    assert report["default"] == "acme/large-2"
    assert report["aliases"] == {"acme-fast": "acme/small-1"}
    assert report["warnings"] == []


def test_a_second_provider_onboards_from_data_alone(acme: ModelsServer) -> None:
    onboard_acme()
    assert acme.requests[-1]["authorization"] == f"Bearer {ACME_KEY}"

    config = loads(paths.config_path().read_text())
    block = config["models"]["providers"]["acme"]
    assert block["baseUrl"] == acme.base_url and block["api"] == "openai-completions"
    large = next(m for m in block["models"] if m["id"] == "large-2")
    # Acme's field names went through its row mapping.
    assert large["contextWindow"] == 262144 and large["maxTokens"] == 16384
    assert large["input"] == ["text", "image"] and large["reasoning"] is True
    assert large["cost"]["input"] == 1.25 and large["cost"]["cacheRead"] == 0.5
    assert [m["id"] for m in block["models"]] == ["large-2", "small-1", "medium-3"]
    assert "chutes" not in config["models"]["providers"]
    assert config["agents"]["defaults"]["model"]["primary"] == "acme/large-2"
    assert config["agents"]["defaults"]["models"]["acme/small-1"] == {"alias": "acme-fast"}
    assert config["auth"]["profiles"]["acme:default"] == {"provider": "acme", "mode": "api_key"}

    profile = auth_store.load().profiles["acme:default"]
    assert (profile.provider, profile.type, profile.key) == ("acme", "api_key", ACME_KEY)

    listing = invoke("--provider", "acme", "models", "list", "--json")
    assert listing.exit_code == 0, listing.stderr
    document = json.loads(listing.stdout)
    assert document["provider"] == "acme" and document["default"] == "acme/large-2"
    refs = {m["ref"]: m["aliases"] for m in document["models"]}
    assert refs == {"acme/large-2": [], "acme/small-1": ["acme-fast"], "acme/medium-3": []}

    token = invoke("--provider", "acme", "auth", "token", prints_secret=True)
    assert token.exit_code == 0 and token.stdout == ACME_KEY + "\n"
    # Chutes is untouched: it has no credential, and says so.
    assert invoke("auth", "token").exit_code == 3


def test_the_environment_names_come_from_the_provider(acme: ModelsServer, monkeypatch) -> None:
    monkeypatch.setenv("ACME_API_KEY", ACME_KEY)
    token = invoke("--provider", "acme", "auth", "token", prints_secret=True)
    assert token.stdout == ACME_KEY + "\n"
    env = invoke("--provider", "acme", "env", prints_secret=True)
    assert env.stdout == (
        f"export OPENAI_BASE_URL='{acme.base_url}'\nexport OPENAI_API_KEY='{ACME_KEY}'\n"
    )
    status = json.loads(invoke("--provider", "acme", "auth", "status", "--json").stdout)
    assert status["active"]["source"] == "env:ACME_API_KEY"


def test_its_key_prefix_is_redacted_in_server_errors(acme: ModelsServer) -> None:
    onboard_acme()
    acme.chat_error = (401, {"error": f"key {ACME_KEY} revoked; {SOMEONE_ELSES} is not yours"})
    result = invoke("--provider", "acme", "models", "test", "--json")
    assert result.exit_code == 3
    detail = json.loads(result.stdout)["detail"]
    assert ACME_KEY not in detail and SOMEONE_ELSES not in detail
    assert "[redacted]" in detail and "ask_[redacted]" in detail
    human = invoke("--provider", "acme", "models", "test")
    assert human.exit_code == 3 and "ask_[redacted] is not yours" in human.stdout
    assert "Acme refused the credential" in human.stderr and "ACME_API_KEY" in human.stderr


def test_a_bad_key_shape_is_named_with_the_providers_words(acme: ModelsServer) -> None:
    acme.valid_tokens = {"ask_short"}
    result = invoke(
        "onboard", "--auth-choice", "acme-api-key", "--api-key-stdin", "--non-interactive",
        input="ask_short\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "does not look like a Acme API key (ask_<40 hex>)" in result.stderr


def test_oauth_is_refused_for_a_provider_without_sign_in(acme: ModelsServer) -> None:
    result = invoke("onboard", "--auth-choice", "acme", "--non-interactive")
    assert result.exit_code == 2
    assert "Acme has no OAuth sign-in" in result.stderr
    assert "--auth-choice acme-api-key" in result.stderr
    assert not paths.config_path().exists()


def test_an_unknown_provider_is_a_usage_error(acme: ModelsServer) -> None:
    result = invoke("--provider", "nope", "models", "list")
    assert result.exit_code == 2
    assert "unknown provider 'nope'" in result.stderr and "chutes, acme" in result.stderr
    choice = invoke("onboard", "--auth-choice", "nope-api-key", "--non-interactive")
    assert choice.exit_code == 2 and "names no known provider" in choice.stderr


def test_a_damaged_or_missing_plugin_is_a_clear_error(acme: ModelsServer) -> None:
    result = invoke("--provider", "broken", "models", "list")
    assert result.exit_code == 1
    assert "broken.json is unusable: 'api' is missing or not a str" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 2
    ghost = invoke("--provider", "ghost", "models", "list")
    assert ghost.exit_code == 2 and "unknown provider 'ghost'" in ghost.stderr
    assert invoke("models", "list", "--offline").exit_code == 0  # Chutes is unaffected


def test_a_profile_of_another_provider_is_refused_by_name(acme: ModelsServer) -> None:
    onboard_acme()
    result = invoke("auth", "token", "--profile", "acme:default")
    assert result.exit_code == 2 and result.stdout == ""
    assert "pass --provider acme" in result.stderr


@pytest.mark.e2e
def test_the_installed_genesis_finds_the_provider_of_an_installed_package(
    acme: ModelsServer, tmp_path: Path
) -> None:
    """As a user would have it: a subprocess, the provider package on the path."""
    genesis = Path(sys.executable).parent / "genesis"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "GENESIS_STATE_DIR": str(tmp_path / "home" / ".genesis"),
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(REPO)]),
        "ACME_BASE_URL": acme.base_url,
        "CHUTES_BASE_URL": "http://127.0.0.1:9/v1",
    }

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(genesis), *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
        )

    onboarded = run(
        "onboard", "--auth-choice", "acme-api-key", "--api-key-stdin", "--non-interactive",
        stdin=ACME_KEY,
    )  # fmt: skip
    assert onboarded.returncode == 0, onboarded.stderr
    assert "Connected to Acme (API key)" in onboarded.stdout
    env["GENESIS_PROVIDER"] = "acme"
    listed = run("models", "list", "--offline")
    assert listed.returncode == 0, listed.stderr
    assert "acme/medium-3" in listed.stdout and "source: cache" in listed.stdout
    token = run("auth", "token")
    assert token.returncode == 0 and token.stdout == ACME_KEY + "\n"


def test_an_auth_choice_of_another_provider_than_the_chosen_one_is_refused(acme) -> None:
    result = invoke("--provider", "acme", "onboard", "--auth-choice", "chutes-api-key")
    assert result.exit_code == 2
    assert "is for chutes, but the provider chosen" in result.stderr
    assert not paths.config_path().exists()


def test_chutes_only_commands_say_the_provider_lacks_them(acme: ModelsServer) -> None:
    onboard_acme()
    account = invoke("--provider", "acme", "account")
    assert account.exit_code == 2 and "Acme has no management API" in account.stderr
    app = invoke("--provider", "acme", "auth", "app", "show")
    assert app.exit_code == 2 and "Acme has no OAuth sign-in" in app.stderr
    doctor = json.loads(invoke("--provider", "acme", "doctor", "--json").stdout)
    names = [check["name"] for check in doctor["checks"]]
    assert "models API" in names and "sign-in (IdP)" not in names and "account" not in names
