"""`genesis models test`: one token from the model, with Chutes' real error answers."""

from __future__ import annotations

import json

import pytest

from tests.helpers import GOOD_KEY, invoke, onboard

ENV = {"CHUTES_API_KEY": GOOD_KEY}


def run(*args: str):
    return invoke("models", "test", "--json", *args, env=ENV)


def test_an_answer_is_ok_with_its_latency_and_the_documented_body(models_server) -> None:
    result = run("chutes/zai-org/GLM-5-TEE")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["status"] == 200
    assert isinstance(document["latencyMs"], int) and document["latencyMs"] >= 0
    assert document["reason"] is None and document["retryAfter"] is None
    assert document["suggestions"] == []
    (chat,) = models_server.chats
    assert chat["authorization"] == f"Bearer {GOOD_KEY}"
    assert chat["body"] == {
        "model": "zai-org/GLM-5-TEE",
        "messages": [{"role": "user", "content": "ping"}],
        "max_tokens": 1,
        "stream": False,
    }


def test_no_argument_tests_the_default_and_an_alias_names_its_target(models_server) -> None:
    assert json.loads(run().stdout)["ref"] == "chutes/zai-org/GLM-4.7-TEE"
    assert json.loads(run("chutes-pro").stdout)["ref"] == "chutes/deepseek-ai/DeepSeek-V3.2-TEE"


def test_no_argument_refuses_a_configured_default_that_is_no_ref(models_server, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text('{agents: {defaults: {model: {primary: "x"}}}}')
    result = run()
    assert result.exit_code == 2, result.output
    assert "'x' (the default) is not a valid Chutes model ref" in result.stderr
    assert models_server.chats == []


@pytest.mark.parametrize(
    ("mode", "code", "reason", "words"),
    [
        ("401", 3, "rejected", "Invalid token"),
        ("403", 3, "forbidden", "permission"),
        ("402", 5, "payment_required", "TEE models require"),
        ("402-quota", 5, "payment_required", "Quota exceeded"),
        ("404", 5, "not_found", "model not found"),
        ("429", 5, "rate_limited", "maximum capacity"),
        ("503", 5, "unavailable", "No instances available"),
        ("nochoices", 1, "bad_response", "choices"),
        ("html", 1, "bad_response", "choices"),
    ],
)
def test_each_refusal_maps_to_its_reason_and_exit_code(
    models_server, mode, code, reason, words
) -> None:
    models_server.chat_mode = mode
    result = run("chutes/zai-org/GLM-5-TEE")
    assert result.exit_code == code
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["reason"] == reason
    assert words in document["detail"]
    assert len(models_server.chats) == 1  # never retried


def test_not_found_suggests_served_models(models_server) -> None:
    models_server.chat_mode = "404"
    document = json.loads(run("chutes/zai-org/GLM-4.7-TEE").stdout)
    assert document["suggestions"][0].startswith("chutes/zai-org/")


def test_retry_after_is_reported(models_server) -> None:
    models_server.chat_mode = "429-retry"
    assert json.loads(run("chutes/zai-org/GLM-5-TEE").stdout)["retryAfter"] == 17


def test_a_network_failure_exits_1(state_dir) -> None:
    result = run("chutes/zai-org/GLM-5-TEE")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["reason"] == "network"


def test_the_human_form_says_what_to_do(models_server) -> None:
    models_server.chat_mode = "402"
    result = invoke("models", "test", "chutes/zai-org/GLM-5-TEE", env=ENV)
    assert result.exit_code == 5
    assert "payment_required (HTTP 402)" in result.stdout
    assert "subscription or a positive balance" in result.stderr


def test_no_credential_exits_3(models_server) -> None:
    result = invoke("models", "test")
    assert result.exit_code == 3
    assert models_server.chats == []


def test_onboard_probe_records_the_result_and_never_fails(models_server, state_dir) -> None:
    models_server.chat_mode = "402"
    result = onboard("--json", "--probe")
    assert result.exit_code == 0
    probe = json.loads(result.stdout)["probe"]
    assert probe["ref"] == "chutes/zai-org/GLM-4.7-TEE"
    assert probe["reason"] == "payment_required"
