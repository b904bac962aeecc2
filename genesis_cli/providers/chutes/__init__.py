"""Chutes (chutes.ai), as data; its catalog is ``catalogs/chutes.json``, its app registration
and account APIs are ``apps`` and ``account`` beside this module."""

from __future__ import annotations

import re
from typing import Any

from genesis_cli.providers import Attestation, Provider, RowMapping, SignIn
from genesis_cli.providers.catalog_file import bundled_catalog_path


def error_detail(body: Any) -> str | None:
    """FastAPI-style: ``{"detail": "..."}``, ``{"detail": {"message": ...}}`` or, for
    validation, ``{"detail": [{"msg": ...}]}``."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return str(detail["message"])
    if isinstance(detail, list):
        messages = [
            d["msg"] for d in detail[:5] if isinstance(d, dict) and isinstance(d.get("msg"), str)
        ]
        return "; ".join(messages) or None
    return None


PROVIDER = Provider(
    id="chutes",
    display_name="Chutes",
    env_prefix="CHUTES",
    catalog_path=bundled_catalog_path("chutes.json"),
    api_keys_url="https://chutes.ai/settings/api-keys",
    site_url="https://chutes.ai",
    key_pattern=re.compile(r"cpk_[0-9a-f]{32}\.[0-9a-f]{32}\.[0-9A-Za-z]{32}"),
    key_shape="cpk_<32 hex>.<32 hex>.<32 letters/digits>",
    # API keys, access tokens, client secrets, client ids.
    token_prefixes=("cpk", "cak", "csc", "cid"),
    rows=RowMapping(
        context=("context_length", "max_model_len"),
        max_tokens=("max_output_length",),
        input="input_modalities",
        features="supported_features",
        pricing="pricing",
        price_input="prompt",
        price_output="completion",
        price_cache_read="input_cache_read",
        confidential="confidential_compute",
        deployment_id="chute_id",
    ),
    sign_in=SignIn(
        default_redirect_uri="http://127.0.0.1:1456/oauth-callback",
        scopes=("openid", "profile", "chutes:invoke"),
        docs_url="https://chutes.ai/docs/sign-in-with-chutes/overview",
        access_token_prefix="cak_",
    ),
    api_base_url_default="https://api.chutes.ai",
    attestation=Attestation(
        instances="/e2e/instances/{id}",
        evidence="/chutes/{id}/evidence",
        measurements="/servers/tee/measurements",
    ),
    error_detail=error_detail,
    apps_module="genesis_cli.providers.chutes.apps",
    account_module="genesis_cli.providers.chutes.account",
)
