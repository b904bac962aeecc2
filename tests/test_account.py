"""`genesis account` and doctor's account check, against a local management API."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers import GOOD_KEY, doctor_checks, invoke

ENV = {"CHUTES_API_KEY": GOOD_KEY}


def account(**env: str):
    return invoke("account", "--json", env={**ENV, **env})


def test_the_account_with_balance_and_quota(chutes_api) -> None:
    result = account()
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["username"] == "alice"
    assert document["balance"] == 4.25
    assert document["subscription"] is None
    assert document["teeReady"] is True
    (quota,) = document["quotas"]
    assert quota["chuteId"] == "*" and quota["quota"] == 300 and quota["used"] == 12
    assert quota["resetsAt"].endswith("T00:00:00Z")
    assert document["problems"] == []
    assert "GET /users/me/quota_usage/%2A" in chutes_api.paths()


def test_a_subscription_is_shown_with_its_windows(chutes_api) -> None:
    chutes_api.subscription = {
        "subscription": True, "custom": False, "monthly_price": 20, "anchor_date": "2026-11-01",
        "four_hour": {"usage": 3, "cap": 50, "remaining": 47, "reset_at": "2026-12-01T04:00:00Z"},
        "monthly": {"uncapped": True},
    }  # fmt: skip
    document = json.loads(account().stdout)
    assert document["subscription"] == {
        "monthlyPrice": 20,
        "fourHour": {"usage": 3, "cap": 50, "remaining": 47, "resetAt": "2026-12-01T04:00:00Z"},
        "monthly": {"uncapped": True},
    }


def test_no_subscription_and_no_balance_is_said_plainly(chutes_api) -> None:
    chutes_api.balance = 0.0
    result = account()
    assert json.loads(result.stdout)["teeReady"] is False
    human = invoke("account", env=ENV)
    assert "TEE models need an active subscription or a positive balance" in human.stderr
    doctor = invoke("doctor", "--json", env=ENV)
    check = doctor_checks(doctor)["account"]
    assert check["status"] == "fail" and "TEE models need" in check["detail"]
    assert doctor.exit_code == 1


def test_a_hanging_endpoint_costs_one_timeout_not_more(chutes_api) -> None:
    chutes_api.hang = {"/users/me/subscription_usage"}
    chutes_api.hang_seconds = 6
    started = time.monotonic()
    result = account(GENESIS_HTTP_TIMEOUT="1.5")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["username"] == "alice"
    assert any("subscription" in p for p in document["problems"])
    assert elapsed < 1.5 + 1.0, elapsed


def test_wrong_types_everywhere_are_problems_not_crashes(chutes_api) -> None:
    chutes_api.balance = "lots"
    chutes_api.quotas = {}
    chutes_api.subscription = ["?"]
    result = account()
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["balance"] is None and document["quotas"] == []
    assert document["teeReady"] is None


def test_refused_everywhere_exits_3(chutes_api) -> None:
    chutes_api.limited_keys.add(GOOD_KEY)
    result = account()
    assert result.exit_code == 3
    assert "the API key was refused" in result.stderr and "scope" not in result.stderr
    assert result.stdout == ""


def test_no_network_with_an_api_key_names_the_network_not_a_scope() -> None:
    result = account()  # the management API of the tests' environment does not answer
    assert result.exit_code == 1
    assert "could not connect to 127.0.0.1:9" in result.stderr
    assert "scope" not in result.stderr and "check the network" in result.stderr


def test_a_chute_id_that_is_not_an_id_never_reaches_a_url(chutes_api) -> None:
    chutes_api.quotas = [{"chute_id": "../../idp/apps", "quota": 1}]
    result = account()
    assert result.exit_code == 0
    assert json.loads(result.stdout)["quotas"] == []
    assert not any("idp" in p for p in chutes_api.paths())


@pytest.mark.parametrize("status", [404, 500])
def test_an_http_error_everywhere_is_no_network_trouble(chutes_api, status: int) -> None:
    chutes_api.account_status = status
    result = account()
    assert result.exit_code == 5, result.stderr
    assert f"HTTP {status}" in result.stderr and "check the network" not in result.stderr
    assert result.stdout == ""


def test_doctor_names_the_account_once_and_gives_a_next_step(chutes_api) -> None:
    chutes_api.account_status = 404
    doctor = invoke("doctor", "--json", env=ENV)
    check = doctor_checks(doctor)["account"]
    assert check["status"] == "warn" and "HTTP 404" in check["detail"]
    assert check["detail"].count("account") == 1, check["detail"]
    assert check["fix"]
