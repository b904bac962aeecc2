"""Secrets in the OS keyring (docs/keyring.md), against a real Secret Service: gnome-keyring in a
private D-Bus session (`.ci/with-secret-service`). genesis runs as a subprocess; entries are
read back with secret-tool."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.e2e.conftest import missing
from tests.helpers import (
    GOOD_KEY,
    doctor_checks,
    finish,
    genesis_command,
    paste_sign_in,
    record,
    snapshot,
    spawn_genesis,
)

REPO = Path(__file__).resolve().parent.parent


def secret_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["secret-tool", *args], capture_output=True, text=True, timeout=20)


def lookup(name: str) -> str | None:
    found = secret_tool("lookup", "service", "genesis", "username", name)
    return found.stdout if found.returncode == 0 and found.stdout else None


@pytest.fixture
def secret_service(state_dir):
    """A usable Secret Service in this session, or (outside CI) a skip."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or not shutil.which("secret-tool"):
        missing("a Secret Service session (run the tests through .ci/with-secret-service)")
    probe = subprocess.run(
        [sys.executable, "-c", "import keyring; print(type(keyring.get_keyring()).__module__)"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    if "SecretService" not in probe.stdout:
        missing(f"the SecretService keyring backend (found {probe.stdout.strip() or probe.stderr})")
    yield
    for name in ("chutes:default/key", "chutes:alice/access", "chutes:alice/refresh",
                 "chutes:alice/client_secret", "clients.chutes/client_secret"):  # fmt: skip
        secret_tool("clear", "service", "genesis", "username", name)


def genesis(*args: str, env: dict[str, str] | None = None, secret_out: bool = False):
    result = subprocess.run(
        genesis_command(*args), env={**os.environ, **(env or {})}, capture_output=True,
        text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if not secret_out:
        record("stdout", result.stdout)
    record("stderr", result.stderr)
    return result


def store(state_dir: Path) -> dict:
    return tomllib.loads((state_dir / "auth-profiles.toml").read_text())


def onboard_key(*extra: str, env: dict[str, str] | None = None):
    return genesis(
        "onboard", "--auth-choice", "chutes-api-key", "--non-interactive", *extra,
        env={"CHUTES_API_KEY": GOOD_KEY, **(env or {})},
    )  # fmt: skip


def test_an_api_key_goes_to_the_keyring_and_the_store_keeps_a_reference(
    secret_service, models_server, state_dir
) -> None:
    result = onboard_key("--secret-store", "keyring")
    assert result.returncode == 0, result.stderr
    profile = store(state_dir)["profiles"]["chutes:default"]
    assert profile["key"] == {"keyring": "genesis/chutes:default/key"}
    assert GOOD_KEY not in (state_dir / "auth-profiles.toml").read_text()
    assert lookup("chutes:default/key") == GOOD_KEY
    token = genesis("auth", "token", secret_out=True)
    assert token.returncode == 0 and token.stdout == GOOD_KEY + "\n"
    status = genesis("auth", "status", "--json")
    import json

    assert json.loads(status.stdout)["profiles"][0]["secrets"] == {"key": "keyring"}
    assert doctor_checks(genesis("doctor", "--json"))["keyring"]["status"] == "ok"
    out = genesis("auth", "logout")
    assert out.returncode == 0
    assert lookup("chutes:default/key") is None


def test_the_environment_chooses_the_keyring_too(secret_service, models_server, state_dir) -> None:
    result = onboard_key(env={"GENESIS_SECRET_STORE": "keyring"})
    assert result.returncode == 0, result.stderr
    assert lookup("chutes:default/key") == GOOD_KEY


@pytest.mark.slow
def test_an_oauth_sign_in_keeps_every_secret_in_the_keyring_and_refreshes_there(
    secret_service, auth_server, models_server, state_dir
) -> None:
    from tests.oauth_server import CLIENT_SECRET

    models_server.valid_tokens = None
    child = spawn_genesis("onboard", "--auth-choice", "chutes", "--no-browser",
                          "--secret-store", "keyring")  # fmt: skip
    paste_sign_in(child)
    finish(child)
    text = (state_dir / "auth-profiles.toml").read_text()
    profile = store(state_dir)["profiles"]["chutes:alice"]
    for field in ("access", "refresh", "client_secret"):
        assert profile[field] == {"keyring": f"genesis/chutes:alice/{field}"}
    assert lookup("chutes:alice/client_secret") == CLIENT_SECRET and CLIENT_SECRET not in text
    first_refresh = lookup("chutes:alice/refresh")
    assert first_refresh and first_refresh not in text
    refreshed = genesis("auth", "refresh")
    assert refreshed.returncode == 0, refreshed.stderr
    assert lookup("chutes:alice/refresh") not in (None, first_refresh)
    assert store(state_dir)["profiles"]["chutes:alice"]["refresh"] == {
        "keyring": "genesis/chutes:alice/refresh"
    }


def test_a_refresh_the_keyring_refuses_to_store_is_kept_in_the_file(
    secret_service, auth_server, state_dir
) -> None:
    from tests.helpers import store_oauth_profile

    profile = store_oauth_profile(auth_server, expires_in=3600)
    moved = subprocess.run(
        [sys.executable, "-c", (
            "from genesis_cli.store import auth_store, vault\n"
            "p = auth_store.load().profiles['chutes:alice']\n"
            "p = vault.stash(p, all_fields=True)\n"
            "auth_store.update(lambda ps: ps.__setitem__(p.id, p))\n"
        )], env=os.environ.copy(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    assert lookup("chutes:alice/refresh") == profile.refresh
    result = genesis(
        "auth", "refresh",
        env={"PYTHON_KEYRING_BACKEND": "tests.readonly_keyring.Keyring", "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "kept the new refresh of chutes:alice in the auth store file" in result.stderr
    stored = store(state_dir)["profiles"]["chutes:alice"]
    assert isinstance(stored["refresh"], str) and stored["refresh"] != profile.refresh
    token = genesis("auth", "token", secret_out=True)  # the mixed profile still works
    assert token.returncode == 0


def test_no_keyring_backend_is_refused_before_anything_is_written(models_server, state_dir) -> None:
    before = snapshot(state_dir)
    result = onboard_key(
        "--secret-store", "keyring",
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "no usable OS keyring backend" in result.stderr
    assert "--secret-store file" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(state_dir) == before
    assert models_server.requests == []


def test_a_locked_keyring_is_refused_cleanly(secret_service, models_server, state_dir) -> None:
    lock = subprocess.run(
        [sys.executable, "-c",
         "import secretstorage; c = secretstorage.get_default_collection("
         "secretstorage.dbus_init()); c.lock(); print(c.is_locked())"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert lock.stdout.strip() == "True", lock.stderr
    try:
        before = snapshot(state_dir)
        result = onboard_key("--secret-store", "keyring")
        assert result.returncode == 1, result.stderr
        assert "keyring" in result.stderr and "Traceback" not in result.stderr
        assert snapshot(state_dir) == before
    finally:
        subprocess.run(
            ["sh", "-c", f"printf %s {os.environ.get('TEST_KEYRING_PASSWORD', '')} |"
             " gnome-keyring-daemon --replace --unlock --components=secrets >/dev/null"],
            timeout=30,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("reference", "env", "code", "words"),
    [
        ('{ env = "MY_CHUTES_KEY" }', {"MY_CHUTES_KEY": GOOD_KEY}, 0, None),
        ('{ env = "MY_CHUTES_KEY" }', {}, 3, "$MY_CHUTES_KEY, which is not set"),
        ('{ vault = "x" }', {}, 3, "shape genesis does not know"),
        ('{ keyring = "genesis/nobody/key" }', {}, 3, "and is not"),
    ],
)
def test_references_are_read_at_use_or_refused_naming_the_profile(
    secret_service, state_dir, reference, env, code, words
) -> None:
    state_dir.mkdir(mode=0o700)
    path = state_dir / "auth-profiles.toml"
    path.write_text(
        'version = 1\n[profiles."chutes:default"]\ntype = "api_key"\nprovider = "chutes"\n'
        f"key = {reference}\n"
    )
    path.chmod(0o600)
    result = genesis("auth", "token", env=env, secret_out=code == 0)
    assert result.returncode == code, result.stderr
    if code == 0:
        assert result.stdout == GOOD_KEY + "\n"
    else:
        assert "chutes:default" in result.stderr and words in result.stderr
        assert "genesis onboard" in result.stderr
        assert result.stdout == ""


def test_the_apps_client_secret_goes_to_the_keyring_too(
    secret_service, chutes_api, state_dir
) -> None:
    import json

    created = genesis("auth", "app", "create", "--secret-store", "keyring", "--json",
                      env={"CHUTES_API_KEY": GOOD_KEY})  # fmt: skip
    assert created.returncode == 0, created.stderr
    (app,) = chutes_api.apps.values()
    client = store(state_dir)["clients"]["chutes"]
    assert client["client_secret"] == {"keyring": "genesis/clients.chutes/client_secret"}
    assert app["client_secret"] not in (state_dir / "auth-profiles.toml").read_text()
    assert lookup("clients.chutes/client_secret") == app["client_secret"]
    shown = json.loads(genesis("auth", "app", "show", "--json").stdout)
    assert shown["masked"] == "csc_…" + app["client_secret"][-4:]
    deleted = genesis("auth", "app", "delete", env={"CHUTES_API_KEY": GOOD_KEY})
    assert deleted.returncode == 0, deleted.stderr
    assert lookup("clients.chutes/client_secret") is None


@pytest.mark.slow
def test_a_kill_at_any_moment_of_a_keyring_refresh_leaves_references_that_resolve(
    secret_service, auth_server, state_dir
) -> None:
    import random
    import signal
    import time

    from tests.helpers import store_oauth_profile

    store_oauth_profile(auth_server, expires_in=3600)
    subprocess.run(
        [sys.executable, "-c", (
            "from genesis_cli.store import auth_store, vault\n"
            "p = vault.stash(auth_store.load().profiles['chutes:alice'], all_fields=True)\n"
            "auth_store.update(lambda ps: ps.__setitem__(p.id, p))\n"
        )], env=os.environ.copy(), check=True, timeout=60,
    )  # fmt: skip
    rng = random.Random(7)
    for _ in range(12):
        child = subprocess.Popen(genesis_command("auth", "refresh"), env=os.environ.copy(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        profile = store(state_dir)["profiles"]["chutes:alice"]
        for field in ("access", "refresh", "client_secret"):
            reference = profile[field]
            assert isinstance(reference, dict), field  # never a half-moved secret
            assert lookup(reference["keyring"].removeprefix("genesis/")), field
    final = genesis("auth", "refresh")
    assert final.returncode in (0, 3), final.stderr  # 3: a kill came after Chutes spent it


def test_an_api_key_kept_in_the_keyring_manages_apps(
    secret_service, models_server, chutes_api, state_dir
) -> None:
    assert onboard_key("--secret-store", "keyring").returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "CHUTES_API_KEY"}
    created = subprocess.run(
        genesis_command("auth", "app", "create", "--json"), env=env, capture_output=True,
        text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    record("stderr", created.stderr)
    assert created.returncode == 0, created.stderr
    assert chutes_api.calls[0]["authorization"] == f"Bearer {GOOD_KEY}"


def test_openclaw_running_the_exec_reference_reads_the_keyring(
    secret_service, models_server, state_dir
) -> None:
    """OpenClaw runs the command with nothing but the reference's env and the passEnv
    names it has itself: the D-Bus address must reach genesis that way."""
    from tests.test_openclaw_config import run_as_openclaw

    assert onboard_key("--secret-store", "keyring").returncode == 0
    config = state_dir / "genesis.json"
    assert GOOD_KEY not in config.read_text()
    result = run_as_openclaw(config, dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout == GOOD_KEY + "\n"
    without = run_as_openclaw(config, {})  # no session bus: said plainly, nothing printed
    assert without.returncode != 0 and without.stdout == ""
