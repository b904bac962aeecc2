"""Resolver order: live -> cache -> bundled, with a stub models server on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from genesis_cli import catalog
from tests import LIVE_SNAPSHOT
from tests.helpers import CHUTES, bundled_count
from tests.stub_http import GET, Recorded, Stub

stub = Stub()  # one server for the module; each test gets fresh routes
BASE = stub.url("/v1")
URL = f"{BASE}/models"
BUNDLED_COUNT = bundled_count()


@pytest.fixture
def mocked(monkeypatch) -> Iterator[Stub]:
    monkeypatch.setenv("CHUTES_BASE_URL", BASE)
    with stub.routes(assert_all_used=False):
        yield stub


def cache_file(state: Path) -> Path:
    return state / "cache" / "chutes-models.json"


def test_live_answer_is_used_and_cached(mocked, sample_body, state_dir) -> None:
    mocked.get(URL, json=sample_body)
    result = catalog.resolve(CHUTES, "cpk_test", refresh=False)
    assert result.source == "live"
    assert [m.id for m in result.models][:2] == ["zai-org/GLM-5-TEE", "moonshotai/Kimi-K2.5-TEE"]
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer cpk_test"
    assert mocked.calls[0].request.headers["User-Agent"].startswith("genesis/")
    cached = json.loads(cache_file(state_dir).read_text())
    assert cached["baseUrl"] == BASE
    assert abs(cached["fetchedAt"] - time.time()) < 60
    assert [m["id"] for m in cached["models"]] == [m.id for m in result.models]
    assert oct(cache_file(state_dir).stat().st_mode & 0o777) == "0o600"


def test_fresh_cache_answers_without_a_request(mocked, sample_body) -> None:
    mocked.get(URL, json=sample_body)
    catalog.resolve(CHUTES, "cpk_test", refresh=True)
    result = catalog.resolve(CHUTES, "cpk_test")
    assert result.source == "cache"
    assert len(mocked.calls) == 1
    assert len(result.models) == 3


def test_refresh_skips_a_fresh_cache(mocked, sample_body) -> None:
    mocked.get(URL, json=sample_body)
    catalog.resolve(CHUTES, None, refresh=True)
    result = catalog.resolve(CHUTES, None, refresh=True)
    assert result.source == "live"
    assert len(mocked.calls) == 2


def test_stale_cache_is_refetched(mocked, sample_body, state_dir) -> None:
    mocked.get(URL, json=sample_body)
    catalog.resolve(CHUTES, None, refresh=True)
    data = json.loads(cache_file(state_dir).read_text())
    data["fetchedAt"] -= catalog.CACHE_TTL_SECONDS + 5
    cache_file(state_dir).write_text(json.dumps(data))
    assert catalog.resolve(CHUTES, "cpk_test").source == "live"
    assert len(mocked.calls) == 2


def test_cache_from_another_base_url_is_ignored(mocked, sample_body, monkeypatch) -> None:
    mocked.get(URL, json=sample_body)
    catalog.resolve(CHUTES, None, refresh=True)
    monkeypatch.setenv("CHUTES_BASE_URL", "http://127.0.0.1:8/v1")
    result = catalog.resolve(CHUTES, None)
    assert result.source == "bundled"


def test_no_credential_and_no_refresh_lists_bundled_without_network(mocked) -> None:
    result = catalog.resolve(CHUTES, None)
    assert result.source == "bundled"
    assert result.fell_back is False
    assert len(result.models) == BUNDLED_COUNT
    assert len(mocked.calls) == 0


def test_offline_makes_no_request_even_with_a_credential(mocked) -> None:
    result = catalog.resolve(CHUTES, "cpk_test", offline=True, refresh=False)
    assert result.source == "bundled"
    assert "offline" in (result.reason or "")
    assert len(mocked.calls) == 0


def test_offline_uses_a_cache_of_any_age(mocked, sample_body, state_dir) -> None:
    mocked.get(URL, json=sample_body)
    catalog.resolve(CHUTES, None, refresh=True)
    data = json.loads(cache_file(state_dir).read_text())
    data["fetchedAt"] -= 86400
    cache_file(state_dir).write_text(json.dumps(data))
    result = catalog.resolve(CHUTES, None, offline=True)
    assert result.source == "cache"
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"status": 500, "json": {"detail": "boom"}}, "HTTP 500"),
        ({"status": 503, "body": "down"}, "HTTP 503"),
        ({"status": 200, "body": "<html>not json</html>"}, "did not answer with JSON"),
        ({"status": 200, "json": {"data": []}}, "no usable model"),
        ({"status": 200, "json": {"object": "list"}}, "no 'data' list"),
        ({"status": 200, "json": {"data": [{"id": 5}]}}, "no usable model"),
        ({"fault": "stall"}, "did not answer within"),
        ({"fault": "close"}, "could not connect"),
        ({"fault": "tls"}, "TLS"),
    ],
)
def test_failed_discovery_falls_back_to_bundled_with_the_reason(
    mocked, state_dir, monkeypatch, kwargs, reason
) -> None:
    if kwargs.get("fault") == "stall":
        monkeypatch.setenv("GENESIS_HTTP_TIMEOUT", "1")
    if kwargs.get("fault") == "tls":  # HTTPS to a plain HTTP server: the handshake fails
        kwargs = {}
        monkeypatch.setenv("CHUTES_BASE_URL", BASE.replace("http:", "https:"))
    mocked.get(URL, **kwargs)
    result = catalog.resolve(CHUTES, "cpk_test", refresh=True)
    assert result.source == "bundled"
    assert result.fell_back is True
    assert reason in (result.reason or "")
    assert len(result.models) == BUNDLED_COUNT
    assert not cache_file(state_dir).exists()


def test_rejected_credential_retries_once_without_it(mocked, sample_body) -> None:
    mocked.get(
        URL,
        status=401,
        json={"detail": "Invalid token or user not found"},
        match_headers={"Authorization": "Bearer stale"},
    )
    mocked.get(URL, json=sample_body)
    result = catalog.resolve(CHUTES, "stale", refresh=True)
    assert result.source == "live"
    assert len(mocked.calls) == 2
    assert "Authorization" not in mocked.calls[1].request.headers
    assert any("rejected the credential" in w for w in result.warnings)


def test_bundled_catalog_has_the_product_pages_models_and_the_2026_08_snapshot() -> None:
    ids = {m.id for m in catalog.bundled_catalog(CHUTES, "test").models}
    snapshot = json.loads(LIVE_SNAPSHOT.read_text())
    assert ids >= {row["id"] for row in snapshot["data"]}
    assert ids >= {
        "zai-org/GLM-4.7-TEE",
        "zai-org/GLM-5-TEE",
        "deepseek-ai/DeepSeek-V3.2-TEE",
        "deepseek-ai/DeepSeek-R1-0528-TEE",
        "moonshotai/Kimi-K2.5-TEE",
        "chutesai/Mistral-Small-3.2-24B-Instruct-2506",
        "Qwen/Qwen3-Coder-Next-TEE",
        "openai/gpt-oss-120b-TEE",
        "zai-org/GLM-4.7-FP8",
    }
    assert CHUTES.default_model_ref() == "chutes/zai-org/GLM-4.7-TEE"
    for target in CHUTES.default_aliases().values():
        assert target.removeprefix("chutes/") in ids


def test_bundled_values_match_the_published_facts() -> None:
    by_id = {m.id: m for m in catalog.bundled_catalog(CHUTES, "test").models}
    glm = by_id["zai-org/GLM-4.7-TEE"]
    assert (glm.context_window, glm.max_tokens) == (202752, 65535)
    assert (glm.cost.input, glm.cost.output, glm.cost.cache_read) == (0.40, 2.00, 0.20)
    mistral = by_id["chutesai/Mistral-Small-3.2-24B-Instruct-2506"]
    assert mistral.input == ("text", "image")
    assert (mistral.reasoning, mistral.confidential) == (False, False)
    assert by_id["Qwen/Qwen3-Coder-Next-TEE"].reasoning is False


def test_the_fallback_warning_comes_first_and_is_worded_once(mocked) -> None:
    def answer(request: Recorded) -> tuple[int, dict[str, str], str]:
        if request.headers.get("Authorization"):  # the stale credential is refused ...
            return 401, {}, '{"detail": "Invalid token or user not found"}'
        return 500, {}, '{"detail": "Internal Server Error"}'  # ... and the retry fails

    mocked.add_callback(GET, URL, callback=answer)
    result = catalog.resolve(CHUTES, "stale", refresh=True)
    assert result.source == "bundled" and result.fell_back
    assert result.warnings == [
        f"live catalog unavailable ({URL} answered HTTP 500); using the bundled catalog",
        "Chutes rejected the credential in use; listed models without it",
    ]
    # Onboarding's discovery is the same path, with the same words.
    assert catalog.discover(CHUTES, "stale").warnings == result.warnings
