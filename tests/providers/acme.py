"""Acme, an imaginary OpenAI-compatible provider with API keys only.

This module and ``acme.json`` beside it are all genesis needs; an installed package makes
them known through the ``genesis_cli.providers`` entry-point group (the tests fake one).
Its ``/models`` rows use other field names than Chutes: the row mapping says which.
"""

from __future__ import annotations

import re
from pathlib import Path

from genesis_cli.providers import Provider, RowMapping

PROVIDER = Provider(
    id="acme",
    display_name="Acme",
    env_prefix="ACME",
    catalog_path=Path(__file__).with_name("acme.json"),
    api_keys_url="https://acme.example/keys",
    site_url="https://acme.example",
    key_pattern=re.compile(r"ask_[0-9a-f]{40}"),
    key_shape="ask_<40 hex>",
    token_prefixes=("ask",),
    rows=RowMapping(
        context=("context_window",),
        max_tokens=("max_completion_tokens",),
        input="modalities",
        features="capabilities",
        pricing="price_per_million",
        price_input="input",
        price_output="output",
        price_cache_read="cached_input",
    ),
)
