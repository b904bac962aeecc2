"""A number from outside that does not fit a float, or is not finite, makes that field absent:
it never crashes a command."""

from __future__ import annotations

import json

import pytest

from genesis_cli.catalog.rows import map_row
from genesis_cli.coerce import finite_number
from tests.helpers import CHUTES, GOOD_KEY, invoke

HUGE = 10**309  # 310 digits: a valid JSON number, too big for a float


@pytest.mark.parametrize("value", [HUGE, -HUGE, str(HUGE), "1e999", "nan", "-inf", float("inf")])
def test_a_number_that_does_not_fit_a_float_is_absent(value) -> None:
    assert finite_number(value) is None


def test_numbers_that_fit_are_kept() -> None:
    assert finite_number(10**300) == 10**300
    assert finite_number("0.5") == 0.5
    assert finite_number(3) == 3


def test_a_huge_price_makes_only_that_field_absent() -> None:
    model = map_row(
        {"id": "m/a", "context_length": HUGE, "pricing": {"prompt": HUGE, "completion": 2}},
        CHUTES.rows,
    )
    assert model is not None
    assert model.cost.input is None and model.cost.output == 2.0


@pytest.fixture
def huge_prices(models_server):
    for row in models_server.body["data"]:
        row["pricing"] = {"prompt": HUGE, "completion": HUGE, "input_cache_read": HUGE}
        row["context_length"] = HUGE
    return models_server


def test_models_list_refresh_with_huge_numbers(huge_prices, state_dir) -> None:
    result = invoke("models", "list", "--refresh", "--json", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0, result.output
    models = json.loads(result.stdout)["models"]
    assert models and all(m["cost"]["input"] is None for m in models)
    assert invoke("models", "list").exit_code == 0  # from the cache it wrote


def test_onboarding_with_huge_numbers_registers_the_live_catalog(huge_prices, state_dir) -> None:
    result = invoke("onboard", "--non-interactive", "--json", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["catalog"]["source"] == "live"


def test_onboarding_falls_back_when_the_catalog_is_unusable(models_server, state_dir) -> None:
    models_server.raw_body = b'{"data": [{"id": "m/a", "context_length": 1' + b"0" * 5000 + b"}]}"
    result = invoke("onboard", "--non-interactive", "--json", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["catalog"]["source"] == "bundled"


def test_account_and_doctor_with_a_huge_balance(chutes_api, state_dir) -> None:
    chutes_api.balance = HUGE
    env = {"CHUTES_API_KEY": GOOD_KEY}
    result = invoke("account", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["balance"] is None
    assert "unexpected" not in invoke("account", env=env).stderr
    doctor = invoke("doctor", env=env)
    assert "unexpected" not in doctor.stderr and "bug" not in doctor.stderr
