"""What onboarding leaves in an OpenClaw config so that OpenClaw can use it: every model
allowed, no lock file of OpenClaw's name, OpenClaw's backups tolerated, and the credential
handed over by reference (an exec secret provider that runs this genesis)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from genesis_cli.config import config_file
from genesis_cli.config.json5_doc import loads
from genesis_cli.config.schema import link_credential
from genesis_cli.errors import GenesisError
from genesis_cli.flows import openclaw
from genesis_cli.store import auth_store
from tests.helpers import (
    CHUTES,
    GOOD_KEY,
    genesis_command,
    onboard,
    record,
    snapshot,
    store_oauth_profile,
)


@pytest.fixture
def api(models_server):
    models_server.valid_tokens = {GOOD_KEY}
    return models_server


def openclaw_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "openclaw"
    folder.mkdir(mode=0o700)
    return folder


# --- the allowlist ---------------------------------------------------------------------------


def test_a_model_policy_allow_that_is_not_a_list_exits_4_and_writes_nothing(api, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    config = state_dir / "genesis.json"
    config.write_text('{\n  agents: { defaults: { modelPolicy: { allow: "chutes/*" } } },\n}\n')
    before = snapshot(state_dir)
    result = onboard()
    assert result.exit_code == 4, result.stderr
    assert "'agents.defaults.modelPolicy.allow' is not a list" in result.stderr
    assert "line 2" in result.stderr
    assert snapshot(state_dir) == before
    assert api.requests == []  # found before anything was sent


def test_a_migrated_file_gets_every_ref_in_model_policy(api, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    config = state_dir / "genesis.json"
    config.write_text(
        "{\n  meta: { migrations: { modelPolicyAllowlist: true } },\n"
        '  agents: { defaults: { modelPolicy: { allow: ["chutes/zai-org/GLM-4.7-FP8"] } } },\n}\n'
    )
    assert onboard().exit_code == 0
    data = loads(config.read_text())
    allowed = data["agents"]["defaults"]["modelPolicy"]["allow"]
    models = data["models"]["providers"]["chutes"]["models"]
    for ref in [f"chutes/{m['id']}" for m in models] + ["chutes/zai-org/GLM-4.7-TEE"]:
        assert ref in allowed
        assert ref in data["agents"]["defaults"]["models"]
    assert data["meta"] == {"migrations": {"modelPolicyAllowlist": True}}


# --- lock files and backups ------------------------------------------------------------------


def test_no_lock_file_is_left_beside_the_config_or_the_store(api, state_dir, tmp_path) -> None:
    folder = openclaw_dir(tmp_path)
    config = folder / "openclaw.json"
    config.write_text("{}\n")
    assert onboard(env={"GENESIS_CONFIG_PATH": str(config)}).exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["openclaw.json", "openclaw.json.bak"]
    assert not list(state_dir.glob("*.lock*"))
    locks = list((state_dir / "locks").iterdir())
    assert locks and all(p.suffix == ".lock" for p in locks)


def test_a_lock_file_of_openclaws_name_does_not_stop_genesis(api, state_dir, tmp_path) -> None:
    folder = openclaw_dir(tmp_path)
    config = folder / "openclaw.json"
    config.write_text("{}\n")
    (folder / "openclaw.json.lock").write_text("")  # OpenClaw's, not genesis's
    assert onboard(env={"GENESIS_CONFIG_PATH": str(config)}).exit_code == 0
    assert (folder / "openclaw.json.lock").read_text() == ""


def test_backups_openclaw_wrote_do_not_stop_genesis(api, state_dir, tmp_path) -> None:
    folder = openclaw_dir(tmp_path)
    config = folder / "openclaw.json"
    config.write_text('{ tools: { profile: "coding" } }\n')
    for name, text in [("openclaw.json.bak", "{ a: 1 }\n"), ("openclaw.json.bak.1", "{ a: 0 }\n")]:
        (folder / name).write_text(text)
        (folder / name).chmod(0o644)  # as another program may leave it
    assert onboard(env={"GENESIS_CONFIG_PATH": str(config)}).exit_code == 0
    assert (folder / "openclaw.json.bak").read_text() == '{ tools: { profile: "coding" } }\n'
    assert (folder / "openclaw.json.bak.1").read_text() == "{ a: 0 }\n"
    assert loads(config.read_text())["tools"] == {"profile": "coding"}


# --- the credential, by reference ------------------------------------------------------------


def reference_of(config: Path) -> tuple[dict[str, Any], Any]:
    data = loads(config.read_text())
    return data["secrets"]["providers"]["genesis"], data["models"]["providers"]["chutes"]["apiKey"]


def run_as_openclaw(
    config: Path, passed: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the exec provider of ``config`` as OpenClaw does: its command and args, with an
    environment of nothing but its ``env`` and the ``passEnv`` names found in ``passed``
    (OpenClaw's own environment), the request on stdin, from another folder."""
    entry, _ = reference_of(config)
    env = {n: passed[n] for n in entry["passEnv"] if passed and n in passed}
    env.update(entry["env"])
    request = {"protocolVersion": 1, "provider": "genesis", "ids": ["chutes"]}
    result = subprocess.run(
        [entry["command"], *entry["args"]],
        env=env,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    record("stderr", result.stderr)
    return result


def test_onboarding_writes_an_exec_reference_and_no_secret(api, state_dir) -> None:
    assert onboard().exit_code == 0
    config = state_dir / "genesis.json"
    entry, api_key = reference_of(config)
    assert api_key == {"source": "exec", "provider": "genesis", "id": "chutes"}
    command = Path(entry["command"])
    assert command.is_absolute() and not command.is_symlink() and command.is_file()
    assert command == Path(genesis_command()[0]).resolve() or entry["args"][:2] == [
        "-m",
        "genesis_cli",
    ]
    assert entry["args"][-2:] == ["auth", "token"]
    assert entry["jsonOnly"] is False
    assert entry["env"]["GENESIS_STATE_DIR"] == str(state_dir)
    assert entry["env"]["GENESIS_CONFIG_PATH"] == str(config)
    assert entry["env"]["HOME"] == os.environ["HOME"]
    assert entry["env"]["CHUTES_BASE_URL"] == api.base_url  # the URLs in effect
    assert {"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "HTTPS_PROXY"} <= set(entry["passEnv"])
    assert not set(entry["passEnv"]) & set(entry["env"])
    assert GOOD_KEY not in config.read_text()


def test_openclaw_running_the_reference_gets_the_stored_api_key(api, state_dir, tmp_path) -> None:
    config = openclaw_dir(tmp_path) / "openclaw.json"
    assert onboard(env={"GENESIS_CONFIG_PATH": str(config)}).exit_code == 0
    result = run_as_openclaw(config)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{GOOD_KEY}\n"


@pytest.mark.parametrize("expires_in", [30, -120])  # about to expire, expired
def test_the_reference_hands_over_a_refreshed_oauth_token(
    api, auth_server, state_dir, expires_in
) -> None:
    assert onboard().exit_code == 0
    old = store_oauth_profile(auth_server, expires_in=expires_in)  # OAuth before an API key
    result = run_as_openclaw(state_dir / "genesis.json")
    assert result.returncode == 0, result.stderr
    new = auth_store.load().profiles["chutes:alice"]
    assert new.access != old.access
    assert result.stdout == f"{new.access}\n"
    assert auth_server.refresh_requests == 1
    again = run_as_openclaw(state_dir / "genesis.json")  # fresh now: no second refresh
    assert again.stdout == result.stdout and auth_server.refresh_requests == 1


def test_an_env_reference_is_passed_on_by_name_never_by_value(api, state_dir) -> None:
    assert onboard().exit_code == 0
    store = state_dir / "auth-profiles.toml"
    store.write_text(store.read_text().replace(f'key = "{GOOD_KEY}"', 'key = { env = "MY_KEY" }'))
    config = state_dir / "genesis.json"
    # What onboarding does when such a profile is stored (a new sign-in replaces this one).
    reference = openclaw.exec_provider(CHUTES, auth_store.load().profiles, {})
    config_file.update(config, lambda data: link_credential(data, CHUTES, *reference))
    entry, _ = reference_of(config)
    assert "MY_KEY" in entry["passEnv"] and "MY_KEY" not in entry["env"]
    assert GOOD_KEY not in config.read_text()
    assert run_as_openclaw(config, {"MY_KEY": GOOD_KEY}).stdout == f"{GOOD_KEY}\n"


@pytest.mark.parametrize(
    "api_key",
    ['"sk-mine-0123456789"', '{ source: "env", provider: "default", id: "CHUTES_KEY" }'],
)
def test_a_users_own_api_key_is_kept_with_one_warning(api, state_dir, api_key) -> None:
    state_dir.mkdir(mode=0o700)
    config = state_dir / "genesis.json"
    config.write_text(f"{{ models: {{ providers: {{ chutes: {{ apiKey: {api_key} }} }} }} }}\n")
    result = onboard()
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("apiKey is already set") == 1
    assert "sk-mine" not in result.stderr + result.stdout
    assert f"apiKey: {api_key}" in config.read_text()
    entry, _ = reference_of(config)  # genesis's provider is there, for when they switch
    assert entry["source"] == "exec"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("{ models: { providers: { chutes: { apiKey: 42 } } } }", "models.providers.chutes.apiKey"),
        (
            "{ models: { providers: { chutes: { apiKey: { vault: 'x' } } } } }",
            "models.providers.chutes.apiKey",
        ),
        ("{ secrets: { providers: { genesis: 'run me' } } }", "secrets.providers.genesis"),
        (
            "{ secrets: { providers: { genesis: { source: 'env' } } } }",
            "secrets.providers.genesis",
        ),
        ("{ secrets: [] }", "secrets"),
    ],
)
def test_a_reference_of_another_shape_exits_4_and_writes_nothing(
    api, state_dir, text, where
) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text(text + "\n")
    before = snapshot(state_dir)
    result = onboard()
    assert result.exit_code == 4, result.stderr
    assert f"'{where}' " in result.stderr and "line 1" in result.stderr
    assert snapshot(state_dir) == before
    assert api.requests == []


def test_onboarding_again_rewrites_genesiss_own_provider_keeping_only_a_timeout(
    api, state_dir, monkeypatch
) -> None:
    assert onboard().exit_code == 0
    config = state_dir / "genesis.json"
    loosened = "timeoutMs: 60000, trustedDirs: ['/'], allowSymlinkCommand: true, "
    loosened += "allowInsecurePath: true, otherKey: 1"
    written = reference_of(config)[0]["timeoutMs"]
    text = config.read_text().replace(f"timeoutMs: {written}", loosened)
    config.write_text(text)
    monkeypatch.setenv("CHUTES_OAUTH_BASE_URL", "http://127.0.0.1:8/idp")
    monkeypatch.setenv("HTTPS_PROXY", "http://user:pass@127.0.0.1:3128")
    assert onboard().exit_code == 0
    entry, _ = reference_of(config)
    assert entry["env"]["CHUTES_OAUTH_BASE_URL"] == "http://127.0.0.1:8/idp"
    assert entry["timeoutMs"] == 60000
    for loosening in ("trustedDirs", "allowSymlinkCommand", "allowInsecurePath", "otherKey"):
        assert loosening not in entry
    assert "user:pass" not in config.read_text()  # a proxy is passed by name only


# --- which program OpenClaw is told to run ---------------------------------------------------


def fake_venv(root: Path, *, script: bool = True) -> Path:
    """``root/bin/python`` a link to the real interpreter (as venvs make it), and the
    ``genesis`` console script a regular file when ``script``."""
    import sys

    (root / "bin").mkdir(parents=True)
    (root / "bin" / "python").symlink_to(os.path.realpath(sys.executable))
    if script:
        (root / "bin" / "genesis").write_text("#!/bin/sh\nexit 0\n")
        (root / "bin" / "genesis").chmod(0o755)
    return root / "bin" / "python"


def in_venv(monkeypatch, python: Path, argv0: str = "/usr/bin/pytest") -> None:
    import sys

    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setattr(sys, "argv", [argv0])
    monkeypatch.setattr(sys, "prefix", str(python.parent.parent))


def test_the_console_script_of_a_venv_is_the_command(tmp_path, monkeypatch) -> None:
    python = fake_venv(tmp_path / "venv")
    in_venv(monkeypatch, python)
    assert openclaw.genesis_command() == (str((tmp_path / "venv/bin/genesis").resolve()), [])


def test_a_linked_console_script_is_resolved_to_its_target(tmp_path, monkeypatch) -> None:
    python = fake_venv(tmp_path / "pipx" / "venvs" / "genesis-cli")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "genesis").symlink_to(python.parent / "genesis")
    in_venv(monkeypatch, tmp_path / "elsewhere" / "python", argv0=str(tmp_path / "bin/genesis"))
    command, prefix = openclaw.genesis_command()
    assert command == str((python.parent / "genesis").resolve()) and prefix == []
    assert not Path(command).is_symlink()


def test_a_venv_without_a_console_script_is_a_clear_error(tmp_path, monkeypatch) -> None:
    in_venv(monkeypatch, fake_venv(tmp_path / "venv", script=False))
    with pytest.raises(GenesisError) as caught:
        openclaw.genesis_command()
    assert "OpenClaw could not run genesis" in caught.value.message
    assert "a venv's python is a link" in caught.value.message
    assert "pipx install" in (caught.value.hint or "")
    assert "\n" not in caught.value.message


def test_a_console_script_others_can_write_is_refused(tmp_path, monkeypatch) -> None:
    python = fake_venv(tmp_path / "venv")
    (python.parent / "genesis").chmod(0o775)
    in_venv(monkeypatch, python)
    with pytest.raises(GenesisError, match="writable by group or others"):
        openclaw.genesis_command()


def test_outside_a_venv_the_real_interpreter_runs_the_module(tmp_path, monkeypatch) -> None:
    import sys

    interpreter = tmp_path / "python3.12"
    interpreter.write_text("")
    interpreter.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(interpreter))
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "genesis_cli" / "__main__.py")])
    monkeypatch.setattr(sys, "prefix", sys.base_prefix)
    monkeypatch.setattr(openclaw, "_runs_genesis", lambda path: path == str(interpreter))
    assert openclaw.genesis_command() == (str(interpreter), ["-m", "genesis_cli"])
    monkeypatch.setattr(openclaw, "_runs_genesis", lambda path: False)
    with pytest.raises(GenesisError, match="does not run this genesis"):
        openclaw.genesis_command()


def test_onboarding_where_openclaw_could_not_run_genesis_writes_nothing(
    api, state_dir, tmp_path, monkeypatch
) -> None:
    in_venv(monkeypatch, fake_venv(tmp_path / "venv", script=False))
    result = onboard()
    assert result.exit_code == 1
    assert "OpenClaw could not run genesis" in result.stderr
    assert not state_dir.exists()
    assert api.requests == []


def test_relative_paths_become_absolute_and_lower_case_proxies_are_pointed_out(
    api, state_dir, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    openclaw_dir(tmp_path)
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:3128")
    result = onboard(env={"GENESIS_CONFIG_PATH": "openclaw/openclaw.json"})
    assert result.exit_code == 0, result.stderr
    entry, _ = reference_of(tmp_path / "openclaw" / "openclaw.json")
    assert entry["env"]["GENESIS_CONFIG_PATH"] == str(tmp_path / "openclaw" / "openclaw.json")
    assert result.stderr.count("export HTTPS_PROXY too") == 1


def test_run_as_python_dash_m_the_venvs_console_script_is_named(api, state_dir) -> None:
    import sys

    script = Path(sys.executable).parent / "genesis"
    if not script.is_file():
        pytest.skip("genesis is not installed in this interpreter's environment")
    result = subprocess.run(
        [sys.executable, "-m", "genesis_cli", "onboard", "--auth-choice", "chutes-api-key"],
        input=GOOD_KEY,
        env={**os.environ, "CHUTES_API_KEY": GOOD_KEY},
        capture_output=True,
        text=True,
        timeout=60,
    )
    record("stderr", result.stderr)
    assert result.returncode == 0, result.stderr
    entry, _ = reference_of(state_dir / "genesis.json")
    assert entry["command"] == os.path.realpath(script) and entry["args"] == ["auth", "token"]


def test_openclaw_waits_longer_than_genesis_may_take_to_refresh(api, state_dir) -> None:
    from genesis_cli.fsutil import LOCK_TIMEOUT_SECONDS

    assert onboard().exit_code == 0
    entry, _ = reference_of(state_dir / "genesis.json")
    assert entry["timeoutMs"] == 120000  # the most OpenClaw's schema accepts
    # A longer request timeout than fits is capped for the command OpenClaw runs.
    result = onboard(env={"GENESIS_HTTP_TIMEOUT": "3600"})
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("GENESIS_HTTP_TIMEOUT") == 1
    entry, _ = reference_of(state_dir / "genesis.json")
    seconds = float(entry["env"]["GENESIS_HTTP_TIMEOUT"])
    assert (seconds + LOCK_TIMEOUT_SECONDS) * 1000 < entry["timeoutMs"] <= 120000


def test_a_shorter_timeout_the_user_set_is_kept_with_one_warning(api, state_dir) -> None:
    assert onboard().exit_code == 0
    config = state_dir / "genesis.json"
    entry, _ = reference_of(config)
    text = config.read_text()
    config.write_text(text.replace(f"timeoutMs: {entry['timeoutMs']}", "timeoutMs: 5000"))
    result = onboard()
    assert result.exit_code == 0, result.stderr
    assert reference_of(config)[0]["timeoutMs"] == 5000
    assert result.stderr.count("timeoutMs") == 1


@pytest.mark.parametrize("odd", ['"abc"', "[1]", "Infinity", "NaN", "120000.5", "999999999", "0"])
def test_a_timeout_openclaw_would_refuse_is_replaced_with_one_warning(api, state_dir, odd) -> None:
    assert onboard().exit_code == 0
    config = state_dir / "genesis.json"
    config.write_text(config.read_text().replace("timeoutMs: 120000", f"timeoutMs: {odd}"))
    result = onboard()
    assert result.exit_code == 0, result.stderr
    assert reference_of(config)[0]["timeoutMs"] == 120000
    assert result.stderr.count("timeoutMs") == 1


def test_the_timeout_earlier_genesis_wrote_is_raised_without_a_warning(api, state_dir) -> None:
    assert onboard().exit_code == 0
    config = state_dir / "genesis.json"
    text = config.read_text()
    config.write_text(text.replace("timeoutMs: 120000", "timeoutMs: 30000"))
    result = onboard()
    assert result.exit_code == 0, result.stderr
    assert reference_of(config)[0]["timeoutMs"] == 120000
    assert "timeoutMs" not in result.stderr
