"""Interop: the real OpenClaw (2026.6.8 and 2026.9.6) and opencode answer a prompt through what
genesis set up, and nothing else.

Each test onboards with the installed genesis against a local Chutes-shaped server whose chat
completions take only the credential genesis holds (401 otherwise), then runs the real program
offline: OpenClaw must find the config valid, resolve the primary, allow and list every model
genesis registered, see no missing credential, and its agent must return the server's answer,
sent with genesis's credential. Under CI a missing program fails the run (`.ci/install-peers`).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from genesis_cli.config.json5_doc import loads
from tests import LIVE_SNAPSHOT, helpers
from tests.e2e import openclaw
from tests.e2e.conftest import API_KEY, IdP, missing
from tests.e2e.test_e2e import AUTHORIZE_URL, finish, follow_to_redirect, spawn
from tests.e2e.test_openclaw import ALIASES, DEFAULT, config_of, onboard_key
from tests.servers import ModelsServer
from tests.test_keyring import secret_service  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.interop]

DATA = Path(__file__).resolve().parent.parent / "data"
SNAPSHOT = json.loads(LIVE_SNAPSHOT.read_text())  # 2 video models
ANSWER = "pong, from the local Chutes server"
# The key OpenClaw's own onboarding stores: not genesis's, so the server refuses it.
OPENCLAWS_KEY = "cpk_" + "ab" * 16 + "." + "cd" * 16 + "." + "Xy9" * 10 + "Qq"
CATALOG_ISSUE = "model catalog load issue"
BOTH = pytest.mark.parametrize("version", [openclaw.OLD, openclaw.NEW])


def live_catalog(*extra: str) -> dict[str, Any]:
    """The live snapshot plus rows for genesis's default and alias targets (so the primary is a
    model the server lists) and for ``extra`` ids: what ``/v1/models`` answers here."""
    body = copy.deepcopy(SNAPSHOT)
    template = body["data"][0]
    for n, model_id in enumerate([DEFAULT, *ALIASES.values(), *extra]):
        row = {**copy.deepcopy(template), "id": model_id.removeprefix("chutes/")}
        row.update(root=row["id"], chute_id=f"00000000-0000-4000-8000-{n:012d}")
        vision = model_id == ALIASES["chutes-vision"]
        row["input_modalities"] = ["text", "image"] if vision else ["text"]
        body["data"].append(row)
    return body


@pytest.fixture
def chutes(idp: IdP) -> Iterator[ModelsServer]:
    """The Chutes API: the live catalog snapshot and chat completions that answer ``ANSWER``
    to genesis's API key or an access token the IdP holds valid (expired ones are not)."""
    server = ModelsServer(live_catalog())
    server.chat_text = ANSWER

    def accepts(token: str) -> bool:
        if token == API_KEY:
            return True
        answer = requests.get(
            f"{idp.root}/idp/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        return answer.status_code == 200

    server.chat_accepts = accepts
    with server.running():
        yield server


@pytest.fixture
def user_env(e2e_env: dict[str, str], chutes: ModelsServer) -> dict[str, str]:
    """The user's environment: genesis's servers on 127.0.0.1, and a proxy nothing listens on
    for anything else, so no program here can reach the internet."""
    return {
        **e2e_env,
        "CHUTES_BASE_URL": chutes.base_url,
        "HTTP_PROXY": openclaw.CLOSED_URL,
        "HTTPS_PROXY": openclaw.CLOSED_URL,
        "NO_PROXY": "127.0.0.1,localhost",
    }


def claw_for(version: str, user_env: dict[str, str], root: Path) -> openclaw.OpenClaw:
    launcher = openclaw.find(version)
    if launcher is None:
        missing(f"OpenClaw {version} (npm openclaw@{version} under Node 24)")
        raise AssertionError("unreachable")
    return openclaw.OpenClaw(launcher, root, user_env)


def sign_in(genesis_bin: Path, env: dict[str, str]) -> None:
    """``genesis onboard`` with Chutes sign-in, the URL pasted as over SSH."""
    child = spawn(
        genesis_bin,
        {**env, "SSH_CONNECTION": "192.0.2.1 5 192.0.2.2 22"},
        *("onboard", "--auth-choice", "chutes"),
    )
    child.expect(AUTHORIZE_URL)
    url = child.match.group(1)
    child.expect("Paste the URL you were redirected to: ")
    child.sendline(follow_to_redirect(url))
    assert finish(child) == 0, child.logfile_read.getvalue()


def current_token(genesis_bin: Path, env: dict[str, str]) -> str:
    """genesis's credential now (not recorded: printing it is this command's job)."""
    result = subprocess.run(
        [str(genesis_bin), "auth", "token"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def registered(config: Path) -> tuple[str, list[str]]:
    """The primary and every model ref genesis registered in ``config`` (each with an entry
    in the provider's models, whose ``input`` OpenClaw's runtime registry accepts)."""
    data = loads(config.read_text())
    models = data["models"]["providers"]["chutes"]["models"]
    for entry in models:
        assert set(entry["input"]) <= {"text", "image"}, entry
    refs = [f"chutes/{m['id']}" for m in models]
    primary = data["agents"]["defaults"]["model"]["primary"]
    assert primary in refs and set(ALIASES.values()) <= set(refs)
    return primary, refs


def assert_reads(claw: openclaw.OpenClaw, config: Path) -> None:
    """``config validate``, ``models status`` and ``models list`` see every model genesis
    registered, the primary as the default, and a credential."""
    primary, refs = registered(config)
    claw.validate(config)
    status = claw.json(config, "models", "status", "--json")
    assert status["resolvedDefault"] == primary
    assert set(refs) <= set(status["allowed"]), set(refs) - set(status["allowed"])
    assert status["auth"]["missingProvidersInUse"] == []
    tags = claw.models(config)
    assert set(refs) <= set(tags), set(refs) - set(tags)
    assert "default" in tags[primary], tags[primary]


def assert_agent_answers(
    claw: openclaw.OpenClaw, config: Path, chutes: ModelsServer, credential: Callable[[], str]
) -> None:
    """``openclaw agent --local`` returns the server's answer, and every request it made
    carried genesis's credential (``credential()``, asked after the run)."""
    seen = len(chutes.chats)
    document = claw.json(
        config,
        *("agent", "--local", "--message", "say pong", "--json"),
        *("--session-id", f"interop-{len(claw.stderrs)}", "--timeout", "60"),
        timeout=240,
    )
    texts = [p.get("text") for p in document.get("payloads", [])]
    assert ANSWER in texts, document
    calls = chutes.chats[seen:]
    assert calls, "the agent answered without calling the server"
    expected = f"Bearer {credential()}"
    assert {c["authorization"] for c in calls} == {expected}, "another credential was sent"
    primary, _ = registered(config)
    called = [c["body"].get("model") for c in calls]
    assert primary.removeprefix("chutes/") in called, called


def assert_clean(claw: openclaw.OpenClaw, config: Path, *secrets: str) -> None:
    """No catalog load issue in any run; no secret in OpenClaw's file, its backups or anything
    OpenClaw keeps in its state dir (it asks genesis each time, and stores nothing)."""
    for stderr in claw.stderrs:
        assert CATALOG_ISSUE not in stderr, stderr[-2000:]
    files = [*config.parent.glob(config.name + "*"), *claw.state.rglob("*")]
    for path in files[:5000]:  # bounded: a state dir holds a few dozen files
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, f"a secret in {path}"


@BOTH
def test_a_fresh_api_key_config(version, genesis_bin, user_env, chutes, tmp_path) -> None:
    claw = claw_for(version, user_env, tmp_path / "openclaw")
    document = onboard_key(genesis_bin, user_env)
    assert document["catalog"]["source"] == "live"
    config = config_of(user_env)
    assert_reads(claw, config)
    assert_agent_answers(claw, config, chutes, lambda: API_KEY)
    if version == openclaw.OLD:  # its bundled Chutes plugin probes (2026.9.6 has no target)
        seen = len(chutes.chats)
        status = claw.json(
            config,
            *("models", "status", "--probe", "--probe-provider", "chutes", "--json"),
        )
        results = status["auth"]["probes"]["results"]
        assert [r["status"] for r in results] == ["ok"], results
        assert {c["authorization"] for c in chutes.chats[seen:]} == {f"Bearer {API_KEY}"}
    assert_clean(claw, config, API_KEY)


def stored_access(env: dict[str, str]) -> str:
    """The access token of the one OAuth profile genesis stored."""
    import tomllib

    store = tomllib.loads((Path(env["GENESIS_STATE_DIR"]) / "auth-profiles.toml").read_text())
    (profile,) = store["profiles"].values()
    return str(profile["access"])


def wait_until_expired(idp: IdP, token: str) -> None:
    """Bounded: the IdP's access tokens here live a few seconds."""
    deadline = time.monotonic() + 30
    headers = {"Authorization": f"Bearer {token}"}
    while requests.get(f"{idp.root}/idp/userinfo", headers=headers, timeout=10).ok:
        assert time.monotonic() < deadline, "the access token did not expire"
        time.sleep(0.5)


@pytest.fixture
def idp(start_idp: Any) -> IdP:
    """Signed-in access tokens expire within seconds; refreshed ones last an hour."""
    return start_idp(access_ttl=4, refreshed_ttl=3600)


@BOTH
def test_an_oauth_profile_refreshed_between_runs(
    version, genesis_bin, user_env, idp, chutes, tmp_path
) -> None:
    claw = claw_for(version, user_env, tmp_path / "openclaw")
    sign_in(genesis_bin, user_env)
    config = config_of(user_env)
    signed_in = stored_access(user_env)
    wait_until_expired(idp, signed_in)
    refreshes = idp.stats()["refresh_requests"]

    assert_agent_answers(claw, config, chutes, lambda: current_token(genesis_bin, user_env))
    assert idp.stats()["refresh_requests"] == refreshes + 1
    assert current_token(genesis_bin, user_env) != signed_in
    assert_reads(claw, config)
    assert idp.stats()["refresh_requests"] == refreshes + 1  # the fresh token is reused
    assert_clean(claw, config, current_token(genesis_bin, user_env))


def test_openclaws_own_onboarding_onboarded_again(genesis_bin, user_env, chutes, tmp_path) -> None:
    """OpenClaw 2026.6.8's own onboarding (with a Chutes key of its own), then genesis with its
    key: the agent must use genesis's key.

    2026.6.8 keeps the key it was given in its state dir (the ``chutes:default`` auth profile in
    ``agents/main/agent/openclaw-agent.sqlite``) and prefers it to the config's ``apiKey``: in
    that state its agent sends OpenClaw's key, whatever genesis wrote. genesis says so when it
    onboards, with the fix (``openclaw infer model auth logout --provider chutes``); after it,
    genesis's key is used. 2026.9.6 rejects 2026.6.8's onboarding output as invalid (keys it
    dropped), so this is a 2026.6.8 case."""
    config = config_of(user_env)
    config.parent.mkdir(mode=0o700, parents=True)
    claw = claw_for(openclaw.OLD, user_env, tmp_path / "openclaw")
    claw.onboard_api_key(config, OPENCLAWS_KEY)
    if helpers.GUARD is not None:
        helpers.GUARD.add(OPENCLAWS_KEY)
    document = onboard_key(genesis_bin, {**user_env, "OPENCLAW_STATE_DIR": str(claw.state)})
    fix = "openclaw infer model auth logout --provider chutes"
    assert any("OpenClaw keeps its own Chutes key" in w and fix in w for w in document["warnings"])

    seen = len(chutes.chats)
    stale = claw.run(
        config,
        *("agent", "--local", "--message", "say pong", "--json", "--session-id", "stale"),
        *("--timeout", "60"),
        timeout=240,
    )
    assert {c["authorization"] for c in chutes.chats[seen:]} == {f"Bearer {OPENCLAWS_KEY}"}
    assert stale.returncode != 0 and ANSWER not in stale.stdout  # refused by the server

    logout = claw.run(config, *fix.split()[1:], "--json")
    assert logout.returncode == 0, logout.stderr[-2000:]
    assert_reads(claw, config)
    assert_agent_answers(claw, config, chutes, lambda: API_KEY)
    assert_clean(claw, config, API_KEY)  # (OpenClaw's own key is in its state: it put it there)


@pytest.mark.usefixtures("secret_service")
def test_a_keyring_profile_and_openclaws_own_config_path(
    genesis_bin, user_env, chutes, tmp_path
) -> None:
    """The key in the OS keyring (a real Secret Service) and genesis pointed at OpenClaw's
    usual file with ``GENESIS_CONFIG_PATH``: OpenClaw runs genesis with an empty environment
    but what the reference passes, so the D-Bus address and the config path must get there."""
    config = Path(user_env["HOME"]) / ".openclaw" / "openclaw.json"
    env = {
        **user_env,
        "GENESIS_CONFIG_PATH": str(config),
        **{
            k: os.environ[k]
            for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")
            if k in os.environ
        },
    }
    claw = claw_for(openclaw.NEW, env, tmp_path / "openclaw")
    onboard_key(genesis_bin, env, "--secret-store", "keyring")
    store = (Path(env["GENESIS_STATE_DIR"]) / "auth-profiles.toml").read_text()
    assert API_KEY not in store and "keyring" in store
    assert_reads(claw, config)
    assert_agent_answers(claw, config, chutes, lambda: API_KEY)
    assert_clean(claw, config, API_KEY)


NEW_MODEL = "acme/Brand-New-Model-TEE"


def test_a_config_openclaw_9_migrated_gets_a_new_model(
    genesis_bin, user_env, chutes, tmp_path
) -> None:
    """OpenClaw 9.x moves the allowlist into ``modelPolicy.allow`` the first time it writes the
    file; a model genesis registers later must be allowed there too."""
    claw = claw_for(openclaw.NEW, user_env, tmp_path / "openclaw")
    onboard_key(genesis_bin, user_env)
    config = config_of(user_env)
    primary, _ = registered(config)
    result = claw.run(config, "models", "set", primary)
    assert result.returncode == 0, result.stderr[-2000:]
    migrated = loads(config.read_text())
    assert isinstance(migrated["agents"]["defaults"]["modelPolicy"]["allow"], list)

    chutes.body = live_catalog(NEW_MODEL)
    onboard_key(genesis_bin, user_env)
    data = loads(config.read_text())
    assert f"chutes/{NEW_MODEL}" in data["agents"]["defaults"]["models"]
    policy = data["agents"]["defaults"]["modelPolicy"]["allow"]
    assert f"chutes/{NEW_MODEL}" in policy or "chutes/*" in policy
    assert_reads(claw, config)
    assert_agent_answers(claw, config, chutes, lambda: API_KEY)
    assert_clean(claw, config, API_KEY)


COMMENTED = """\
// ~/.openclaw/openclaw.json, written by hand
{
  /* the gateway this machine runs */
  gateway: { mode: 'local', port: 18789, bind: 'loopback', },
  agents: {
    defaults: {
      workspace: '~/agents', // where agents write
      model: { primary: 'chutes/zai-org/GLM-5.2-TEE' },
    },
  },
  models: {
    mode: 'merge',
    providers: {
      chutes: {
        baseUrl: 'BASE_URL', // the Chutes API
        api: 'openai-completions',
        models: [
          // my own name: genesis must keep it
          { id: 'zai-org/GLM-5.2-TEE', name: 'GLM 5.2 (mine)' },
        ],
      },
    },
  },
  tools: { profile: 'coding' }, // keep
}
"""


@BOTH
def test_a_commented_json5_config(version, genesis_bin, user_env, chutes, tmp_path) -> None:
    claw = claw_for(version, user_env, tmp_path / "openclaw")
    config = config_of(user_env)
    config.parent.mkdir(mode=0o700, parents=True)
    config.write_text(COMMENTED.replace("BASE_URL", chutes.base_url))
    onboard_key(genesis_bin, user_env)
    text = config.read_text()
    for comment in (
        "// ~/.openclaw/openclaw.json, written by hand",
        "/* the gateway this machine runs */",
        "// where agents write",
        "// the Chutes API",
        "// my own name: genesis must keep it",
        "// keep",
    ):
        assert comment in text
    assert_reads(claw, config)
    assert_agent_answers(claw, config, chutes, lambda: API_KEY)
    assert_clean(claw, config, API_KEY)


# opencode: `genesis exec` hands it the credential in CHUTES_API_KEY.


def opencode_run(genesis_bin: Path, env: dict[str, str], root: Path, model: str) -> str:
    launcher = openclaw.find_opencode()
    if launcher is None:
        missing(f"opencode (npm opencode-ai@{openclaw.OPENCODE})")
        raise AssertionError("unreachable")
    work = root / "project"
    work.mkdir(parents=True)
    model_id = model.removeprefix("chutes/")
    (work / "opencode.json").write_text(
        json.dumps(
            {
                "$schema": "https://opencode.ai/config.json",
                "model": model,
                "provider": {
                    "chutes": {
                        "options": {"baseURL": env["CHUTES_BASE_URL"]},
                        "models": {model_id: {"name": model_id}},
                    }
                },
            }
        )
    )
    xdg = {
        f"XDG_{kind}_HOME": str(root / "xdg" / kind.lower())
        for kind in ("CONFIG", "DATA", "CACHE", "STATE")
    }
    full = {
        **env,
        **xdg,
        "OPENCODE_DISABLE_AUTOUPDATE": "1",
        "OPENCODE_DISABLE_MODELS_FETCH": "1",
        "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
        "OPENCODE_DISABLE_SHARE": "1",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    result = subprocess.run(
        [str(genesis_bin), "exec", "--", launcher, "run", "say pong"],
        cwd=work,
        env=full,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    run_output = result.stdout + result.stderr
    if helpers.GUARD is not None:
        helpers.GUARD.record("opencode output", run_output)
    assert result.returncode == 0, run_output[-3000:]
    return result.stdout


def test_opencode_through_genesis_exec_with_an_api_key(
    genesis_bin, user_env, chutes, tmp_path
) -> None:
    onboard_key(genesis_bin, user_env)
    primary, _ = registered(config_of(user_env))
    output = opencode_run(genesis_bin, user_env, tmp_path / "opencode", primary)
    assert ANSWER in output
    assert chutes.chats and {c["authorization"] for c in chutes.chats} == {f"Bearer {API_KEY}"}


def test_opencode_through_genesis_exec_with_oauth(
    genesis_bin, user_env, idp, chutes, tmp_path
) -> None:
    sign_in(genesis_bin, user_env)
    primary, _ = registered(config_of(user_env))
    signed_in = stored_access(user_env)
    wait_until_expired(idp, signed_in)
    output = opencode_run(genesis_bin, user_env, tmp_path / "opencode", primary)
    assert ANSWER in output
    fresh = current_token(genesis_bin, user_env)
    assert fresh != signed_in
    assert {c["authorization"] for c in chutes.chats} == {f"Bearer {fresh}"}
