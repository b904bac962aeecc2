"""Hostile input: every shape gets a one-line error with its exit code (README), never a
traceback, and nothing is overwritten."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genesis_cli import catalog
from genesis_cli.catalog.rows import DEFAULT_CONTEXT_WINDOW
from genesis_cli.config.json5_doc import loads
from genesis_cli.errors import GenesisError
from genesis_cli.oauth import protocol, redirect
from tests.helpers import CHUTES, GOOD_KEY, genesis_command, invoke, snapshot
from tests.stub_http import Stub

stub = Stub()  # one server for the module; each example gets fresh routes
URL = stub.url("/v1/models")
IDP = stub.url("/idp")
FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=25,
)
row_fields = st.sampled_from(
    [
        "id",
        "context_length",
        "max_model_len",
        "max_output_length",
        "input_modalities",
        "supported_features",
        "confidential_compute",
        "pricing",
    ]
)
rows = st.dictionaries(row_fields, json_values | st.text(max_size=10), max_size=8)


def one_line(result) -> None:
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) <= 1


# --- /v1/models bodies -------------------------------------------------------------------


@FAST
@given(
    body=st.one_of(
        json_values.map(lambda v: json.dumps(v).encode()),
        st.builds(lambda r: json.dumps({"data": r}).encode(), st.lists(rows, max_size=6)),
        st.binary(max_size=200),
    )
)
def test_any_models_body_gives_a_catalog(body: bytes) -> None:
    with stub.routes() as rsps, patch.dict(os.environ, {"CHUTES_BASE_URL": stub.url("/v1")}):
        rsps.get(URL, body=body)
        result = catalog.resolve(CHUTES, "cpk_x", refresh=True)
    assert result.models
    for model in result.models:
        assert isinstance(model.id, str) and model.id
        assert isinstance(model.context_window, int) and model.context_window > 0
        for price in (model.cost.input, model.cost.output, model.cost.cache_read):
            assert price is None or (math.isfinite(price) and price >= 0)


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": [{"id": "a", "context_length": NaN, "pricing": {"prompt": Infinity}}]}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"data": "\xff\xfe\xfa"}',
        b"<!doctype html><title>Chutes</title>",
        b"",
    ],
)
def test_pathological_bodies(body: bytes) -> None:
    with stub.routes() as rsps, patch.dict(os.environ, {"CHUTES_BASE_URL": stub.url("/v1")}):
        rsps.get(URL, body=body)
        result = catalog.resolve(CHUTES, "cpk_x", refresh=True)
    assert result.source in ("live", "bundled")
    if body.startswith(b'{"data": [{"id"'):
        assert result.source == "live"
        assert result.models[0].context_window == DEFAULT_CONTEXT_WINDOW
        assert result.models[0].cost.input is None


# --- token responses ---------------------------------------------------------------------


token_bodies = st.fixed_dictionaries(
    {},
    optional={
        "access_token": st.one_of(st.text(max_size=30), st.integers(), st.none()),
        "refresh_token": st.one_of(st.text(max_size=30), st.integers(), st.none()),
        "expires_in": st.one_of(
            st.integers(), st.floats(), st.text(max_size=8), st.none(), st.booleans()
        ),
        "token_type": st.one_of(st.just("Bearer"), st.just("bearer"), st.text(max_size=8)),
        "scope": st.one_of(st.text(max_size=30), st.lists(st.text(max_size=5))),
        "extra": json_values,
    },
)


@FAST
@given(body=token_bodies, status=st.sampled_from([200, 200, 200, 400, 401, 500]))
def test_any_token_response_gives_tokens_or_a_genesis_error(body, status) -> None:
    client = protocol.Client(CHUTES, "cid", "csc_secret_value", "", ("openid",), IDP)
    with stub.routes() as rsps:
        rsps.post(f"{IDP}/token", status=status, body=json.dumps(body))
        try:
            tokens = protocol.refresh(client, "crt_refresh_value")
        except GenesisError as exc:
            assert "\n" not in exc.message
            return
    assert tokens.access and isinstance(tokens.access, str)
    assert time.time() - 5 <= tokens.expires_at <= time.time() + protocol.MAX_EXPIRES_IN + 5


# --- pasted redirect URLs ----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=120),
        st.text(alphabet="?&=#:/.%abcdeorstz0123456789_-", max_size=80),
        st.builds(
            lambda q: f"http://127.0.0.1:1456/oauth-callback?{q}",
            st.text(alphabet="&=%abcdeorstz01_", max_size=60),
        ),
    )
)
def test_any_pasted_text_gives_a_code_or_an_auth_error(text: str) -> None:
    try:
        code = redirect.parse_pasted(CHUTES, text, "the-state")
    except protocol.AuthError as exc:
        assert exc.exit_code == 3 and "\n" not in exc.message
    else:
        assert code and "state=the-state" in text.replace("%", "")


# --- config files ------------------------------------------------------------------------


def onboard():
    return invoke("onboard", "--non-interactive", "--json", env={"CHUTES_API_KEY": GOOD_KEY})


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.dictionaries(
        st.sampled_from(["agents", "models", "auth", "ui", "x y", "n"]), json_values, max_size=4
    )
)
def test_random_configs_are_onboarded_or_refused_with_exit_4(data, state_dir) -> None:
    state_dir.mkdir(mode=0o700, exist_ok=True)
    config = state_dir / "genesis.json"
    for leftover in state_dir.iterdir():
        if leftover.is_file():
            leftover.unlink()
    text = json.dumps(data, indent=2)
    config.write_text(text)
    result = onboard()
    one_line(result)
    assert result.exit_code in (0, 4), result.stderr
    if result.exit_code == 4:
        assert config.read_text() == text
        return
    after = loads(config.read_text())
    for key, value in data.items():
        if key not in ("agents", "models", "auth"):
            assert json.dumps(after[key], sort_keys=True) == json.dumps(value, sort_keys=True)


@FAST
@given(junk=st.binary(min_size=1, max_size=300))
def test_binary_junk_config_is_refused_and_kept(junk: bytes, state_dir) -> None:
    state_dir.mkdir(mode=0o700, exist_ok=True)
    config = state_dir / "genesis.json"
    config.write_bytes(junk)
    result = onboard()
    one_line(result)
    if result.exit_code != 0:
        assert result.exit_code == 4
        assert config.read_bytes() == junk


def test_a_directory_in_place_of_the_config(state_dir) -> None:
    (state_dir / "genesis.json").mkdir(parents=True)
    result = onboard()
    assert result.exit_code == 4
    assert "is a directory" in result.stderr
    assert not (state_dir / "auth-profiles.toml").exists()


def test_a_symlinked_config_is_written_through(state_dir, tmp_path) -> None:
    real = tmp_path / "dotfiles" / "genesis.json5"
    real.parent.mkdir()
    real.write_text("// managed by my dotfiles\n{}\n")
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").symlink_to(real)
    assert onboard().exit_code == 0
    assert (state_dir / "genesis.json").is_symlink()
    assert real.read_text().startswith("// managed by my dotfiles\n{\n  agents:")
    assert (real.parent / "genesis.json5.bak").exists()


def test_a_symlink_loop_is_an_unreadable_config(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").symlink_to(state_dir / "genesis.json")
    result = onboard()
    assert result.exit_code == 4
    one_line(result)


# --- permissions: real ones. Root ignores file modes, so when the tests run as root genesis
# runs without the capabilities that let it (setpriv, from util-linux).


def run_without_override(args: list[str], state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GENESIS_STATE_DIR": str(state), "CHUTES_API_KEY": GOOD_KEY}
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to test permissions as root"
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    return subprocess.run(
        [*prefix, *genesis_command(*args)],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_an_unreadable_config_exits_4(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    config = state_dir / "genesis.json"
    config.write_text("{}")
    config.chmod(0o000)
    result = run_without_override(["onboard", "--non-interactive"], state_dir)
    assert result.returncode == 4, result.stderr
    assert "permission denied" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (state_dir / "auth-profiles.toml").exists()


def test_a_read_only_state_dir_exits_4_and_changes_nothing(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    config = state_dir / "genesis.json"
    config.write_text("{ mine: true }\n")
    state_dir.chmod(0o500)
    try:
        result = run_without_override(["onboard", "--non-interactive"], state_dir)
        assert result.returncode == 4, result.stderr
        assert "cannot write" in result.stderr and "Traceback" not in result.stderr
        assert config.read_text() == "{ mine: true }\n"
        assert sorted(p.name for p in state_dir.iterdir()) == ["genesis.json"]
    finally:
        state_dir.chmod(0o700)


# --- auth stores -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b'version = 1\n[profiles."chutes:default"]\ntype = "api_key"\nprovider = "chu',
        b'version = 1\n[profiles."chutes:default"]\ntype = "api_key"\nprovider = 7\nkey = "k"\n',
        b"\x00\x01\x02binary",
        b"version = [1, 2]\n",
    ],
)
@pytest.mark.parametrize(
    ("command", "key"),
    [
        (["auth", "status"], None),
        (["onboard", "--non-interactive"], GOOD_KEY),
        (["auth", "refresh"], None),
        (["models", "list"], None),
        (["auth", "logout"], None),
    ],
)
def test_a_broken_store_exits_4_for_every_command(state_dir, content, command, key) -> None:
    state_dir.mkdir(mode=0o700)
    store = state_dir / "auth-profiles.toml"
    store.write_bytes(content)
    store.chmod(0o600)
    before = snapshot(state_dir)
    result = invoke(*command, env={"CHUTES_API_KEY": key})
    assert result.exit_code == 4, (command, result.stderr)
    one_line(result)
    assert snapshot(state_dir) == before
