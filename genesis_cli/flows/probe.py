"""``genesis models test``: one ``max_tokens: 1`` chat completion (one request of quota, never
retried), how fast it answered and, if not, why (docs/models.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from genesis_cli import catalog, http, paths
from genesis_cli.config import config_file
from genesis_cli.errors import ExitCode, NetworkError, UsageError
from genesis_cli.flows.availability import suggest
from genesis_cli.flows.default_model import check_ref, resolve_ref
from genesis_cli.providers import Provider
from genesis_cli.warning_log import collect_warnings

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
_REASON_OF_STATUS = {401: "rejected", 402: "payment_required", 403: "forbidden", 404: "not_found"}


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


def probe(provider: Provider, model_ref: str, secret: str) -> ProbeResult:
    """Send the one-token request for ``model_ref`` (``<provider>/<id>``) with ``secret``."""
    model_id = provider.model_id(model_ref) or model_ref
    messages = [{"role": "user", "content": "ping"}]
    body = {"model": model_id, "messages": messages, "max_tokens": 1, "stream": False}
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"{provider.base_url()}/chat/completions"
    try:
        response = http.request("POST", url, headers=headers, json_body=body, max_bytes=1 << 20)
    except NetworkError as exc:
        return ProbeResult(model_ref, False, reason="network", detail=exc.message)
    status = response.status
    result = ProbeResult(model_ref, False, status=status, latency_ms=round(response.elapsed * 1000))
    if status == 200:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        result.ok = isinstance(answer, dict) and isinstance(answer.get("choices"), list)
        if not result.ok:
            result.reason, result.detail = "bad_response", "HTTP 200 without a 'choices' list"
        return result
    if status == 429:
        result.reason, result.retry_after = "rate_limited", response.retry_after()
    else:
        fallback = "unavailable" if status >= 500 else "bad_response"
        result.reason = _REASON_OF_STATUS.get(status, fallback)
    result.detail = provider.error_text(response, (secret,))
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
    config = config_file.load(paths.config_path()).data
    if text is None:
        configured = config_file.primary_model(config)
        ref = check_ref(provider, configured or provider.default_model_ref(), " (the default)")
    else:
        known = catalog.resolve(provider, None, offline=True).ids()
        ref = resolve_ref(provider, text, config, known)
    if provider.model_id(ref) is None:
        raise UsageError(
            f"{ref} is not a {provider.display_name} model",
            hint=f"pass a {provider.id}/<model> ref or an alias, or pass --provider",
        )
    return ref
