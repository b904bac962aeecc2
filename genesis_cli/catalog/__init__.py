"""The model catalog: live ``GET <base>/models`` -> on-disk cache -> bundled file. A row
becomes a ``Model`` in ``catalog.rows``; what went wrong is warned and kept on the result."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from genesis_cli import paths
from genesis_cli.catalog.rows import CatalogUnavailable, models_from_dicts, parse_models_body
from genesis_cli.coerce import finite_number, structure_problem
from genesis_cli.errors import GenesisError, NetworkError
from genesis_cli.fsutil import atomic_write, ensure_private_dir, read_if_present
from genesis_cli.providers import Provider
from genesis_cli.records import Catalog, Model, to_json
from genesis_cli.warning_log import collect_warnings, warn

CACHE_TTL_SECONDS = 600
CACHE_VERSION = 1
Fetching = Callable[[], AbstractContextManager[None]]


class CredentialRejected(GenesisError):
    """The models endpoint answered 401/403 to the credential we sent."""


def bundled_catalog(provider: Provider, reason: str, *, fell_back: bool = False) -> Catalog:
    models = models_from_dicts(provider.bundled_data().get("models"))
    return Catalog(provider.id, "bundled", models, reason=reason, fell_back=fell_back)


def fetch_live(provider: Provider, credential: str | None) -> list[Model]:
    """``GET <base>/models``: ``CredentialRejected`` on 401/403, else ``CatalogUnavailable``
    saying why no usable catalog came back."""
    from genesis_cli import http  # start-up: not for a fresh cache or --offline (~4 ms)

    url = f"{provider.base_url()}/models"
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    try:
        response = http.request("GET", url, headers=headers)
    except NetworkError as exc:
        raise CatalogUnavailable(exc.message) from exc
    if response.status in (401, 403) and credential:
        raise CredentialRejected(
            f"{provider.display_name} answered {response.status} to the credential"
        )
    if response.status == 429:
        retry = response.retry_after()
        later = f", retry after {retry}s" if retry is not None else ""
        raise CatalogUnavailable(f"{url} is rate limiting (HTTP 429{later})")
    if response.status != 200:
        raise CatalogUnavailable(f"{url} answered HTTP {response.status}")
    try:
        body = response.json()
    except ValueError as exc:
        raise CatalogUnavailable(f"{url} did not answer with JSON") from exc
    return parse_models_body(body, provider.rows)


def read_cache(provider: Provider, *, max_age: float | None) -> Catalog | None:
    """The cached catalog of the current base URL, if young enough. Anything odd about the
    file (a link, a FIFO, bad JSON, a NaN time) means no cache and a warning."""
    path = paths.catalog_cache_path(provider.id)
    try:
        raw = read_if_present(path, follow=False)
        data = json.loads(raw) if raw is not None else None
        problem = structure_problem(data)
    except GenesisError as exc:
        problem = exc.message
    except (ValueError, RecursionError):
        problem = f"{path} is not JSON genesis wrote"
    if problem is not None:
        where = "" if str(path) in problem else f"{path} "
        warn(f"ignored the catalog cache: {where}{problem}")
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return None
    fetched_at = finite_number(data.get("fetchedAt"))
    if fetched_at is None or data.get("baseUrl") != provider.base_url():
        return None
    age = time.time() - fetched_at
    if age < -60 or (max_age is not None and age > max_age):
        return None
    models = models_from_dicts(data.get("models"))
    return Catalog(provider.id, "cache", models, float(fetched_at)) if models else None


def save_cache(provider: Provider, models: list[Model], fetched_at: float) -> None:
    """Best effort: a cache that cannot be written (a link there, a full disk) is a warning."""
    path = paths.catalog_cache_path(provider.id)
    document = {
        "version": CACHE_VERSION,
        "provider": provider.id,
        "baseUrl": provider.base_url(),
        "fetchedAt": int(fetched_at),
        "models": to_json(models),
    }
    try:
        ensure_private_dir(path.parent)
        atomic_write(path, json.dumps(document, separators=(",", ":")) + "\n")
    except GenesisError as exc:
        warn(f"did not write the catalog cache: {exc.message}")
    except OSError as exc:
        warn(f"did not write the catalog cache: {exc.strerror or exc}")


def _told(find: Callable[[], Catalog]) -> Catalog:
    """What ``find`` found with the warnings said meanwhile, a fallback's first (it explains
    what follows), each said on to the command."""
    with collect_warnings(pass_on=False) as said:
        found = find()
    if found.fell_back:
        said.insert(0, f"live catalog unavailable ({found.reason}); using the bundled catalog")
    found.warnings = said
    for message in said:
        warn(message)
    return found


def _discover(
    provider: Provider, credential: str | None, reject_is_fatal: bool, fetching: Fetching
) -> Catalog:
    try:
        with fetching():
            try:
                models = fetch_live(provider, credential)
            except CredentialRejected:
                if reject_is_fatal:
                    raise
                name = provider.display_name
                warn(f"{name} rejected the credential in use; listed models without it")
                models = fetch_live(provider, None)
    except CatalogUnavailable as exc:
        return bundled_catalog(provider, exc.message, fell_back=True)
    return Catalog(provider.id, "live", models, time.time())


def discover(
    provider: Provider, credential: str | None, *, reject_is_fatal: bool = False
) -> Catalog:
    """The live catalog fetched with ``credential``, else the bundled one (``fell_back``). A
    401/403 raises ``CredentialRejected`` if ``reject_is_fatal`` (a key being onboarded),
    else is a warning and the (public) list is fetched again without the credential."""
    return _told(lambda: _discover(provider, credential, reject_is_fatal, nullcontext))


def resolve(
    provider: Provider,
    credential: str | Callable[[], str | None] | None,
    *,
    refresh: bool = False,
    offline: bool = False,
    fetching: Fetching = nullcontext,
) -> Catalog:
    """The catalog to show or register (docs/models.md); never raises for network trouble.
    A function ``credential`` is called only when the network is asked (a fresh cache
    answers without a refresh token being spent)."""

    def find() -> Catalog:
        if offline:
            cached = read_cache(provider, max_age=None)
            return cached or bundled_catalog(provider, "--offline and no cached catalog")
        cached = None if refresh else read_cache(provider, max_age=CACHE_TTL_SECONDS)
        if cached is not None:
            return cached
        secret = credential() if callable(credential) else credential
        if secret is None and not refresh:
            return bundled_catalog(
                provider, "no credential; run `genesis models list --refresh` to fetch"
            )
        found = _discover(provider, secret, False, fetching)
        if found.source == "live" and found.fetched_at is not None:
            save_cache(provider, found.models, found.fetched_at)
        return found

    return _told(find)
