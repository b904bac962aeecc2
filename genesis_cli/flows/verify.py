"""``genesis models verify``: fetch a TEE model's evidence for a nonce chosen here (through
genesis's HTTP layer, Intel's collateral from ``GENESIS_PCCS_URL`` or Intel), check it with
``genesis_cli.tee`` and report."""

from __future__ import annotations

import datetime
import os
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote as urlquote

from genesis_cli import catalog, http, tee, urls
from genesis_cli.errors import AuthError, GenesisError, ProviderError, UnverifiedError, UsageError
from genesis_cli.flows import availability
from genesis_cli.providers import Provider
from genesis_cli.records import Model
from genesis_cli.warning_log import warn

PCCS_ENV = "GENESIS_PCCS_URL"
MAX_INSTANCES = 256
# An id genesis may show next to a verdict: anything else (a newline and "verified", markup) not.
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,80}\Z")
# The key of an instance listed twice with two keys: which one the quote binds says nothing.
_CONFLICTING_KEYS = tee.fail(
    "the instance was listed more than once with different end-to-end keys"
)
# What a pass proves and what it does not; printed after the instances.
PROVES = (
    "A pass proves that a genuine Intel TDX guest with NVIDIA confidential computing, running "
    "an image {name} lists, made this instance's key just now (for this run's nonce)."
)
DOES_NOT_PROVE = (
    "It does not prove which model weights answer (they are in no measurement), that the image "
    "is trustworthy (only {name} publishes its measurements), or full GPU attestation (that "
    "needs NVIDIA's online service; here the GPUs' nonce, signatures and certificate chains "
    "were checked offline). Instances come and go: this holds for these instances, now."
)


@dataclass
class VerifyReport:
    ref: str
    chute_id: str | None
    nonce: str
    verified_at: float
    instances: list[tee.InstanceResult] = field(default_factory=list)
    failed_instance_ids: list[str] = field(default_factory=list)
    reason: str | None = None  # why no evidence was checked (no TEE model, no instance)

    @property
    def ok(self) -> bool:
        """At least one instance passed every check, and none failed one."""
        return any(i.verified for i in self.instances) and not any(
            i.contradicted for i in self.instances
        )

    def to_json(self) -> dict[str, Any]:
        when = datetime.datetime.fromtimestamp(self.verified_at, datetime.UTC)
        return {
            "ref": self.ref,
            "chuteId": self.chute_id,
            "nonce": self.nonce,
            "verifiedAt": when.isoformat().replace("+00:00", "Z"),
            "instances": [
                {
                    "instanceId": i.instance_id,
                    "verified": i.verified,
                    "tcbStatus": i.tcb_status,
                    "measurement": i.measurement,
                    "checks": {
                        name: i.checks.get(name, tee.not_run("")).ok for name in tee.CHECK_NAMES
                    },
                    "reason": i.reason,
                    # every check that did not pass, with its reason
                    "reasons": {n: c.reason for n, c in i.checks.items() if c.ok is not True},
                }
                for i in self.instances
            ],
            "failedInstanceIds": self.failed_instance_ids,
            "reason": self.reason,
            "ok": self.ok,
        }


class NothingVerified(UnverifiedError):
    """An early exit 6, with the report as far as it got (for ``--json``)."""

    def __init__(self, error: UnverifiedError, report: VerifyReport) -> None:
        super().__init__(error.message, error.hint)
        self.report = report


def require_verifier() -> None:
    missing = tee.missing_verifier()
    if missing is not None:
        raise UsageError(
            f"the TEE verifier is not installed (no module {missing!r})",
            hint=f"install it: {tee.INSTALL_LINE}",
        )


def find_model(provider: Provider, ref: str, secret: str) -> Model:
    """The catalog entry of ``ref``, fetched live when the cached or bundled catalog lacks its
    deployment id. Exit 2 (with suggestions) when the catalog lacks it, 6 for no TEE model."""
    model_id = provider.model_id(ref) or ref
    found = catalog.resolve(provider, secret)
    model = next((m for m in found.models if m.id == model_id), None)
    if (model is None or model.deployment_id is None) and found.source != "live":
        found = catalog.resolve(provider, secret, refresh=True)
        model = next((m for m in found.models if m.id == model_id), None)
    if (model is None or model.deployment_id is None) and found.fell_back:
        raise GenesisError(
            f"could not fetch the live catalog to find the deployment of {ref}: {found.reason}",
            hint="check the network and the credential (`genesis doctor`)",
        )
    if model is None:
        raise UsageError(
            f"{ref} is not in the {found.source} {provider.display_name} catalog",
            hint=availability.hint(provider, ref, [m.id for m in found.models]),
        )
    if not model.confidential:
        raise UnverifiedError(
            f"{ref} is not a TEE model: {provider.display_name} publishes no "
            "confidential-computing evidence for it",
            hint="pick a TEE model (`genesis models list` marks them)",
        )
    if model.deployment_id is None:
        raise UnverifiedError(
            f"the {found.source} catalog gives no deployment id for {ref}",
            hint="run `genesis models list --refresh`, then try again",
        )
    return model


def verify_model(
    provider: Provider, ref: str, secret: str, *, nonce: str | None = None
) -> VerifyReport:
    """Fetch and check the evidence of ``ref``'s running instances. An exit 6 before any
    evidence is checked is a ``NothingVerified`` carrying the report so far."""
    require_verifier()
    routes = provider.attestation
    if routes is None:
        raise UsageError(
            f"{provider.display_name} publishes no TEE evidence genesis knows",
            hint="this command works with providers that do, such as Chutes",
        )
    report = VerifyReport(ref, None, nonce or secrets.token_hex(32), time.time())
    api = provider.api_base_url()
    try:
        report.chute_id = str(find_model(provider, ref, secret).deployment_id)
        chute = urlquote(report.chute_id, safe="")
        what = "the instances' keys"
        body = _get(provider, ref, api + routes.instances.format(id=chute), what, secret)
        keys: dict[str, Any] = {}  # instance id -> its listed end-to-end key (untrusted)
        for row in _rows(provider, body, "instances", what, f"no instance of {ref} is running now"):
            key, instance_id = row.get("e2e_pubkey"), row["instance_id"]
            keys[instance_id] = _CONFLICTING_KEYS if keys.get(instance_id, key) != key else key
        # A quote binds a nonce and a key, not an instance id: one key is one TEE at most.
        shared = Counter(key for key in keys.values() if isinstance(key, str))
        for instance_id, key in keys.items():
            if isinstance(key, str) and shared[key] > 1:
                keys[instance_id] = tee.fail(
                    f"the same end-to-end key is listed for {shared[key]} instances"
                )
        url = f"{api}{routes.evidence.format(id=chute)}?nonce={report.nonce}"
        body = _get(provider, ref, url, "the evidence", secret)
        none = f"{provider.display_name} returned no evidence for any instance of {ref}"
        evidence = _rows(provider, body, "evidence", "the evidence", none)
    except UnverifiedError as exc:
        report.reason = exc.message
        raise NothingVerified(exc, report) from None
    failed = body.get("failed_instance_ids")
    failed = failed[:MAX_INSTANCES] if isinstance(failed, list) else []
    failed = _plain_ids(failed, "the failed instances")
    report.failed_instance_ids = list(dict.fromkeys(filter(None, failed)))
    entries, problem = _measurements(api + routes.measurements)
    base = os.environ.get(PCCS_ENV, "").strip()
    base = urls.check_service_url(base, PCCS_ENV) if base else tee.INTEL_PCS_URL
    # Intel's collateral per platform (FMSPC, CA): fetched once, a network failure is exit 1.
    platforms = [tee.platform_of(item.get("quote")) for item in evidence]
    collaterals = {p: _fetch_collateral(base, *p) for p in dict.fromkeys(filter(None, platforms))}
    now = report.verified_at = time.time()
    results: dict[str, tee.InstanceResult] = {}  # an instance counts once: its worst row
    for item, platform in zip(evidence, platforms, strict=True):
        key, collateral = keys.get(item["instance_id"]), platform and collaterals[platform]
        result = tee.check_instance(
            item, report.nonce, key, entries, collateral, now, measurement_problem=problem
        )
        # A failed check is worse than one not run, which is worse than a pass.
        earlier = results.get(result.instance_id, result)
        worst = max(earlier, result, key=lambda r: (r.contradicted, not r.verified))
        results[result.instance_id] = worst
    said = f"{provider.display_name} also lists it as one it could not get evidence from"
    for instance_id in report.failed_instance_ids:  # evidence and no evidence: neither holds
        if instance_id in results:
            results[instance_id].checks["evidence"] = tee.fail(said)
    report.instances = list(results.values())
    seen = Counter(item["instance_id"] for item in evidence)
    if repeated := [i for i, n in seen.items() if n > 1]:
        warn(
            f"the evidence lists {len(repeated)} instance(s) more than once "
            f"({', '.join(repeated)}): each counts once, and verifies only if all its rows pass"
        )
    absent = tee.not_run("no evidence was returned for this instance")
    report.instances += [
        tee.InstanceResult(i, dict.fromkeys(tee.CHECK_NAMES, absent)) for i in keys if i not in seen
    ]
    return report


def _get(provider: Provider, ref: str, url: str, what: str, secret: str) -> Any:
    """A 200 answer's JSON; exit 3 for a refused credential, 6 for no such deployment, 5 else."""
    response = http.request("GET", url, headers={"Authorization": f"Bearer {secret}"})
    status, name = response.status, provider.display_name
    if status == 200:
        return _json(response)
    if status in (401, 403):
        raise AuthError(
            f"{name} refused the credential when asked for {what} (HTTP {status})",
            hint=f"sign in again (`genesis onboard`) or check {provider.api_key_env}",
        )
    if status == 404:
        raise UnverifiedError(
            f"no running instance of {ref} ({name} answered HTTP 404 for {what})",
            hint="try again when the model is served (`genesis models test`)",
        )
    raise ProviderError(
        f"{name} did not give {what} (HTTP {status}: {provider.error_text(response, (secret,))})",
        hint="try again in a minute" if status in (429, 503) else None,
    )


def _json(response: http.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _plain_ids(values: list[Any], what: str) -> list[str | None]:
    """Each of ``values`` in lower case (ids are UUIDs: equal but for case is one instance), or
    None where it is not a plain id; a warning counts those."""
    ids = [v.lower() if isinstance(v, str) and _PLAIN_ID.match(v) else None for v in values]
    if left_out := ids.count(None):
        warn(
            f"{left_out} instance id(s) in {what} are not plain ids "
            "([A-Za-z0-9._:-], at most 80 characters); left out"
        )
    return ids


def _rows(provider: Provider, body: Any, key: str, what: str, none: str) -> list[dict[str, Any]]:
    """The rows of ``body[key]`` naming an instance by a plain id; exit 6 saying ``none`` when
    there is none. A list longer than MAX_INSTANCES is refused whole: a row past a cut could
    contradict one before it."""
    rows = body.get(key) if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise ProviderError(f"{provider.display_name} answered {what} with something unexpected")
    if len(rows) > MAX_INSTANCES:
        raise UnverifiedError(
            f"{provider.display_name} listed more than {MAX_INSTANCES} rows in {what}; "
            "nothing was checked",
            hint="try again later",
        )
    rows = [row for row in rows if isinstance(row, dict)]
    ids = _plain_ids([row.get("instance_id") for row in rows], what)
    rows = [{**row, "instance_id": i} for row, i in zip(rows, ids, strict=True) if i]
    if not rows:
        raise UnverifiedError(none, hint="try again later")
    return rows


def _measurements(url: str) -> tuple[list[tee.Measurement], str]:
    """The listed images, and why the list is unusable (a failed check: it is evidence too)."""
    response = http.request("GET", url)
    if response.status != 200:
        return [], f"the measurement list is unavailable (HTTP {response.status})"
    body = _json(response)
    if not isinstance(body, list):
        return [], "the measurement list is not a list"
    return [m for m in map(measurement_entry, body[:1000]) if m is not None], ""


def measurement_entry(row: Any) -> tee.Measurement | None:
    """One entry ``{"name", "mrtd", "runtime_rtmrs": {"RTMR0".."RTMR3"}}`` (hex, any case);
    None for any other shape (another TEE type, a missing register)."""
    if not isinstance(row, dict) or not isinstance(row.get("runtime_rtmrs"), dict):
        return None
    registers = {str(k).lower(): v for k, v in row["runtime_rtmrs"].items()}
    values = [row.get("mrtd"), *(registers.get(f"rtmr{i}") for i in range(4))]
    try:
        raw = [bytes.fromhex(v) for v in values if isinstance(v, str)]
    except ValueError:
        return None
    if len(raw) != 5 or any(len(v) != 48 for v in raw):
        return None
    name = row.get("name")
    name = name if isinstance(name, str) and _PLAIN_ID.match(name) else "unnamed"
    return tee.Measurement(name, raw[0], tuple(raw[1:]))


def _fetch_collateral(base: str, fmspc: str, ca: str) -> Any:
    """A ``QuoteCollateralV3``, or why it could not be had."""
    answers = []
    for url in tee.collateral_urls(base, fmspc, ca):
        response = http.request("GET", url, headers={"Accept": "*/*"}, max_bytes=1024 * 1024)
        if response.status != 200:
            where = url.split("?", 1)[0].rsplit("/", 2)[-1]
            return f"Intel's collateral ({where}) is unavailable (HTTP {response.status})"
        answers.append((response.headers, response.body))
    try:
        return tee.collateral_for(answers)
    except tee.Bad as exc:
        return str(exc)
