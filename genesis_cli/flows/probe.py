"""Probing a model (``genesis models test``): does it answer one token, how fast, if not why.

One ``POST <base>/chat/completions`` with ``max_tokens: 1`` (one request of quota), bounded by
``GENESIS_HTTP_TIMEOUT`` and never retried. Chutes' answers are mapped to a reason (docs/models.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genesis_cli import catalog, http
from genesis_cli.errors import ExitCode, NetworkError, UsageError
from genesis_cli.flows.availability import suggest
from genesis_cli.providers import Provider
from genesis_cli.warning_log import collect_warnings

PROMPT = "ping"

# reason -> (exit code, what to do next); the text is formatted with the provider's names.
REASONS: dict[str, tuple[ExitCode, str]] = {
    "rejected": (
        ExitCode.AUTH,
        "{name} refused the credential: sign in again (`genesis onboard`) or check {key_env}",
    ),
    "forbidden": (
        ExitCode.AUTH,
        "the credential may not call models: an OAuth token needs the invoke scope, an "
        "API key the invoke permission",
    ),
    "payment_required": (
        ExitCode.PROVIDER,
        "this model needs an active subscription or a positive balance: add balance or "
        "subscribe at {site} (see `genesis account`)",
    ),
    "not_found": (
        ExitCode.PROVIDER,
        "{name} does not serve this model now: pick another with `genesis models default`",
    ),
    "rate_limited": (ExitCode.PROVIDER, "{name} is rate limiting or at capacity: try again later"),
    "unavailable": (
        ExitCode.PROVIDER,
        "no instance of this model is up right now: try again in a few minutes, or another model",
    ),
    "network": (ExitCode.ERROR, "check the network, HTTPS_PROXY / NO_PROXY and {base_env}"),
    "bad_response": (ExitCode.ERROR, "{name} answered with something that is not a completion"),
}


def next_step(provider: Provider, reason: str) -> str:
    return REASONS[reason][1].format(
        name=provider.display_name,
        key_env=provider.api_key_env,
        base_env=provider.env("BASE_URL"),
        site=provider.site_url,
    )


@dataclass
class ProbeResult:
    ref: str
    ok: bool
    status: int | None = None
    latency_ms: int | None = None
    reason: str | None = None  # a key of REASONS when it failed
    detail: str | None = None
    retry_after: int | None = None
    suggestions: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.ok else REASONS[self.reason or "bad_response"][0]


_REASON_OF_STATUS = {
    401: "rejected",
    402: "payment_required",
    403: "forbidden",
    404: "not_found",
    429: "rate_limited",
}


def probe(provider: Provider, model_ref: str, secret: str) -> ProbeResult:
    """Send the one-token request for ``model_ref`` (``<provider>/<id>``) with ``secret``."""
    model_id = provider.model_id(model_ref) or model_ref
    body = {
        "model": model_id,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": 1,
        "stream": False,
    }
    url = f"{provider.base_url()}/chat/completions"
    try:
        response = http.request(
            "POST",
            url,
            headers={"Authorization": f"Bearer {secret}"},
            json_body=body,
            max_bytes=1024 * 1024,
        )
    except NetworkError as exc:
        return ProbeResult(model_ref, False, reason="network", detail=exc.message)
    latency = round(response.elapsed * 1000)
    result = ProbeResult(model_ref, False, status=response.status, latency_ms=latency)
    if response.status == 200:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and isinstance(answer.get("choices"), list):
            result.ok = True
            return result
        result.reason = "bad_response"
        result.detail = "HTTP 200 without a 'choices' list"
        return result
    fallback = "unavailable" if response.status >= 500 else "bad_response"
    result.reason = _REASON_OF_STATUS.get(response.status, fallback)
    result.detail = provider.error_text(response, (secret,))
    if result.reason == "rate_limited":
        result.retry_after = response.retry_after()
    if result.reason == "not_found":
        # Only what is served now: the live catalog (no cache, no bundled stand-in); what
        # went wrong fetching it is no news about the model, so not said.
        with collect_warnings(pass_on=False):
            live = catalog.discover(provider, secret)
        if live.source == "live":
            result.suggestions = suggest(provider, model_id, [m.id for m in live.models])
    return result


def resolve_target(provider: Provider, text: str | None) -> str:
    """The ref to test: ``text`` (a ref, an alias or a bare id), else the configured default."""
    from genesis_cli import paths
    from genesis_cli.config import config_file
    from genesis_cli.flows.default_model import resolve_ref

    config = config_file.load(paths.config_path()).data
    if text is None:
        return config_file.primary_model(config) or provider.default_model_ref()
    known = {m.id for m in catalog.resolve(provider, None, offline=True).models}
    ref = resolve_ref(provider, text, config, known)
    if provider.model_id(ref) is None:
        raise UsageError(
            f"{ref} is not a {provider.display_name} model",
            hint=f"pass a {provider.id}/<model> ref or an alias, or pass --provider",
        )
    return ref
