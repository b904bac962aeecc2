"""Chutes (chutes.ai), as data. Catalog-shaped facts (base URL, default model, aliases, the
starter models) are in ``catalogs/chutes.json``; the rest is here."""

from __future__ import annotations

import re

from genesis_cli.providers import Attestation, Provider, SignIn, bundled_catalog_path

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
)
