"""Suggestions that fit and stick: an alias is offered only models that take its inputs, a
suggestion the user accepted is kept and never warned about again, a warning is printed once,
and `models test` reports the request's own latency and only live suggestions."""

from __future__ import annotations

import json
import time

from genesis_cli.config import config_file
from tests.helpers import GOOD_KEY, finish, invoke, spawn_genesis

ENV = {"CHUTES_API_KEY": GOOD_KEY}


def onboard_json() -> dict:
    result = invoke("onboard", "--non-interactive", "--json", env=ENV)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_vision_alias_is_offered_only_models_with_image_input(models_server, state_dir):
    inputs = {row["id"]: row.get("input_modalities", []) for row in models_server.body["data"]}
    (vision,) = [u for u in onboard_json()["unavailable"] if u["role"] == "alias:chutes-vision"]
    assert vision["suggestions"], vision
    for ref in vision["suggestions"]:
        assert "image" in inputs[ref.removeprefix("chutes/")], ref


def aliases(state_dir) -> dict[str, str]:
    data = config_file.load(state_dir / "genesis.json").data
    return {alias: ref for ref, alias in config_file.aliases(data).items()}


def interactive_onboarding(answer: str) -> str:
    child = spawn_genesis("onboard", "--auth-choice", "chutes-api-key", env=ENV)
    child.expect("Use the API key from CHUTES_API_KEY")
    child.sendline("y")
    index = child.expect(["Use the suggested models instead\\? \\[y/N\\]: ", "Connected to"])
    if index == 0:
        child.sendline(answer)
    return finish(child)


def test_an_accepted_suggestion_is_kept_and_never_warned_about_again(models_server, state_dir):
    first = interactive_onboarding("y")
    assert "Use the suggested models instead" in first
    chosen = aliases(state_dir)
    live = {f"chutes/{row['id']}" for row in models_server.body["data"]}
    accepted = [alias for alias, ref in chosen.items() if ref in live]
    assert len(accepted) >= 2, chosen  # the test catalog has suggestions for two of them

    def quiet_about_choices(stderr: str) -> None:
        for alias in accepted:
            assert alias not in stderr, stderr
        assert "default model" not in stderr, stderr

    quiet_about_choices(invoke("models", "list", env=ENV).stderr)
    again = invoke("onboard", "--non-interactive", env=ENV)
    assert again.exit_code == 0
    quiet_about_choices(again.stderr)
    assert aliases(state_dir) == chosen
    third = interactive_onboarding("n")
    assert "Use the suggested models instead" not in third
    assert aliases(state_dir) == chosen
    quiet_about_choices(invoke("models", "list", "--refresh", env=ENV).stderr)


def test_a_warning_is_printed_once_per_command(models_server, state_dir) -> None:
    assert invoke("onboard", "--non-interactive", env=ENV).exit_code == 0
    (state_dir / "auth-profiles.toml").chmod(0o644)
    result = invoke("onboard", "--non-interactive", env=ENV)
    lines = result.stderr.splitlines()
    assert lines and len(lines) == len(set(lines)), result.stderr


def test_models_test_latency_is_the_request_alone(models_server, state_dir, monkeypatch) -> None:
    from genesis_cli import http

    slow_setup = http._body_and_headers

    def body_and_headers(options):  # what happens before the request is sent (say, imports)
        time.sleep(0.5)
        return slow_setup(options)

    monkeypatch.setattr(http, "_body_and_headers", body_and_headers)
    result = invoke("models", "test", "chutes/zai-org/GLM-5-TEE", "--json", env=ENV)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["latencyMs"] < 400


def test_models_test_suggests_only_models_the_live_catalog_lists(models_server, state_dir):
    models_server.body["data"] = [
        {"id": "zai-org/GLM-9-TEE", "input_modalities": ["text"]},
        {"id": "other/thing", "input_modalities": ["text"]},
    ]
    models_server.chat_mode = "404"
    result = invoke("models", "test", "chutes/zai-org/GLM-4.7-TEE", "--json", env=ENV)
    assert result.exit_code == 5
    suggestions = json.loads(result.stdout)["suggestions"]
    assert suggestions and set(suggestions) <= {"chutes/zai-org/GLM-9-TEE", "chutes/other/thing"}


def test_a_suggestion_accepted_in_a_later_onboarding_moves_the_alias(models_server, state_dir):
    assert invoke("onboard", "--non-interactive", env=ENV).exit_code == 0
    before = aliases(state_dir)
    interactive_onboarding("y")
    after = aliases(state_dir)
    live = {f"chutes/{row['id']}" for row in models_server.body["data"]}
    moved = [alias for alias in after if after[alias] != before[alias]]
    assert "chutes-vision" in moved and after["chutes-vision"] in live, after
    assert "chutes-fast" in moved and after["chutes-fast"] in live, after
    data = config_file.load(state_dir / "genesis.json").data
    assert config_file.primary_model(data) in live
    quiet = invoke("models", "list", env=ENV).stderr
    assert "chutes-vision" not in quiet and "chutes-fast" not in quiet, quiet
