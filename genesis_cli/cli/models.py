"""``genesis models list|test|default|verify``"""

from __future__ import annotations

import math
import time
import unicodedata
from typing import TYPE_CHECKING

import click

from genesis_cli.cli.params import current, model_argument, ui_option
from genesis_cli.cli.ui import UI
from genesis_cli.errors import ExitCode, UsageError
from genesis_cli.text import terminal_safe

if TYPE_CHECKING:
    from genesis_cli.records import Catalog, Model


@click.group()
def models() -> None:
    """Show the model catalog and choose the default model."""


@models.command("list")
@ui_option
@click.option("--refresh", is_flag=True, help="Fetch the live catalog now, skipping the cache.")
@click.option("--offline", is_flag=True, help="Never touch the network (cache, else bundled).")
@click.option("--wide", is_flag=True, help="Every column, however wide the terminal.")
def list_command(ui: UI, refresh: bool, offline: bool, wide: bool) -> None:
    """List the models genesis knows, with aliases and the default model.

    The table fits the terminal: at 80 columns it shows the ref, aliases, context window and
    price, and drops the other columns (--wide shows them all).

    \b
    Examples:
      genesis models list
      genesis models list --wide
      genesis models list --refresh --json | jq '.models[].ref'
    """
    from genesis_cli.flows.models import list_models  # start-up: not for `models --help`

    if refresh and offline:
        raise UsageError("--refresh and --offline contradict each other", hint="pass one of them")
    provider = current()
    listing = list_models(
        provider,
        refresh=refresh,
        offline=offline,
        # Drawn only while the network is really asked (not for a cache or --offline).
        fetching=lambda: ui.spinner(f"Fetching the {provider.display_name} model catalog…"),
    )
    if ui.json_mode:
        ui.emit_json(listing.to_json())
        return
    _render_table(ui, listing.catalog, listing.default, listing.aliases, wide=wide)


def _price(value: float | None) -> str:
    """At least two decimals, more when the price has them: 0.40, 2.00, 0.475, 0.0245."""
    if value is None:
        return "-"
    text = f"{value:.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _row(provider_id: str, model: Model, default: str, aliases: dict[str, list[str]]) -> list[str]:
    model_ref = f"{provider_id}/{model.id}"
    return [
        ("* " if model_ref == default else "  ") + model_ref,
        ", ".join(aliases.get(model_ref, [])),
        f"{model.context_window:,}",
        f"{model.max_tokens:,}",
        "+".join(model.input),
        "yes" if model.reasoning else "-",
        "yes" if model.tools else "-",
        "yes" if model.confidential else "-",
        f"{_price(model.cost.input)} / {_price(model.cost.output)}",
    ]


def describe_source(result: Catalog) -> str:
    if result.source == "live":
        return "live"
    if result.source == "cache" and result.fetched_at is not None:
        age = max(0, int(time.time() - result.fetched_at))
        steps = ((90, 1, "s"), (5400, 60, " min"), (172800, 3600, " h"), (math.inf, 86400, " days"))
        unit, name = next((unit, name) for below, unit, name in steps if age < below)
        return f"cache, fetched {round(age / unit)}{name} ago"
    return f"bundled, {result.reason}" if result.reason else "bundled"


# (title, justify), in table order; KEEP says which survive a narrow terminal, first first.
COLUMNS = (
    ("MODEL", "left"),
    ("ALIASES", "left"),
    ("CONTEXT", "right"),
    ("MAX OUT", "right"),
    ("INPUT", "left"),
    ("REASONING", "center"),
    ("TOOLS", "center"),
    ("TEE", "center"),
    ("$/1M IN / OUT", "right"),
)
KEEP = (0, 1, 2, 8, 4, 3, 6, 5, 7)
GAP = 3  # between columns: padding on each side and the separator
MIN_MODEL_WIDTH = 24


def width_of(text: str) -> int:
    """The terminal columns ``text`` (terminal-safe) takes: 2 for a wide or fullwidth
    character, 0 for a combining mark or a Hangul vowel or final jamo, 1 for any other."""
    return sum(
        0
        if unicodedata.category(ch) in ("Mn", "Me") or "\u1160" <= ch <= "\u11ff"
        else 2
        if unicodedata.east_asian_width(ch) in "WF"
        else 1
        for ch in text
    )


def _start(text: str, width: int) -> str:
    """The longest start of ``text`` at most ``width`` columns wide."""
    used = 0
    for index, ch in enumerate(text):
        used += width_of(ch)
        if used > width:
            return text[:index]
    return text


def middle(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns in the middle, where model refs differ least."""
    if width_of(text) <= width:
        return text
    head = (width - 1) // 2
    return _start(text, head) + "…" + _start(text[::-1], width - 1 - head)[::-1]


def fit_columns(widths: list[int], available: int, wide: bool) -> tuple[list[int], int, int]:
    """Which columns fit in ``available`` columns (by KEEP priority; the first four always;
    all when ``wide``), and how wide MODEL and ALIASES may be: what the first four lack is
    taken from the wider of the two first."""
    if wide:
        return list(range(len(COLUMNS))), widths[0], widths[1]
    kept = list(KEEP[:4])
    used = sum(widths[i] for i in kept) + GAP * (len(kept) - 1)
    for index in KEEP[4:]:
        if used + GAP + widths[index] <= available:
            kept.append(index)
            used += GAP + widths[index]
    room = widths[0] + widths[1] - max(0, used - available)  # for MODEL and ALIASES
    aliases = max(min(widths[1], max(room - widths[0], room // 2)), len(COLUMNS[1][0]))
    return sorted(kept), max(room - aliases, MIN_MODEL_WIDTH), aliases


def _render_table(
    ui: UI, result: Catalog, default: str, aliases: dict[str, list[str]], *, wide: bool = False
) -> None:
    """Plain lines as wide as ``ui.width()``, on a terminal and in a pipe alike. Cells are made
    terminal-safe before they are measured, and measured in columns (``width_of``)."""
    cells = (_row(result.provider, model, default, aliases) for model in result.models)
    rows = [[terminal_safe(cell).replace("\n", " ") for cell in row] for row in cells]
    titles = [title for title, _ in COLUMNS]
    widths = [max(map(width_of, column)) for column in zip(titles, *rows, strict=True)]
    kept, model_width, aliases_width = fit_columns(widths, ui.width(), wide)
    rows = [[middle(row[0], model_width), middle(row[1], aliases_width), *row[2:]] for row in rows]
    sizes = [max(map(width_of, [titles[i], *(r[i] for r in rows)])) for i in kept]

    def line(cells: list[str]) -> str:
        out = []
        for index, size, cell in zip(kept, sizes, cells, strict=True):
            excess = size - width_of(cell)
            justify = COLUMNS[index][1]
            left = excess if justify == "right" else excess // 2 if justify == "center" else 0
            out.append(" " * left + cell + " " * (excess - left))
        return "   ".join(out)

    ui.line(line([titles[i] for i in kept]), bold=True)
    ui.line("─" * (sum(sizes) + GAP * (len(kept) - 1)))
    for row in rows:
        ui.line(line([row[i] for i in kept]))
    count = len(result.models)
    ui.line(
        f"* default model {default} · {count} model{'s' if count != 1 else ''} · "
        f"source: {describe_source(result)}"
    )


@models.command("test")
@model_argument
@ui_option
def test_command(ref_or_alias: str | None, ui: UI) -> None:
    """Ask a model for one token: does it answer, how fast, and if not, why.

    Uses the active credential and one request of quota (max_tokens 1); the default model
    when none is named. Exits 0 when it answered, 3 when the credential was refused, 5 when
    Chutes refused for another reason (payment, no such model, rate limit, no capacity).

    \b
    Examples:
      genesis models test
      genesis models test chutes-pro --json
    """
    # start-up: the probe's modules are not for `models list`
    from genesis_cli.flows import credentials
    from genesis_cli.flows.probe import next_step, probe, resolve_target

    provider = current()
    target = resolve_target(provider, ref_or_alias)
    credential = credentials.required(provider, None, "to test with")
    with ui.spinner(f"Asking {target} for one token…"):
        result = probe(provider, target, credential.secret)
    if ui.json_mode:
        ui.emit_json(result)
    elif result.ok:
        ui.line(f"ok: {target} answered in {result.latency_ms} ms")
    else:
        status = f"HTTP {result.status}" if result.status else "no answer"
        ui.line(f"failed: {target}: {result.reason} ({status}): {result.detail}")
        if result.retry_after is not None:
            ui.line(f"  retry after {result.retry_after}s")
        if result.suggestions:
            ui.line(f"  served now: {', '.join(result.suggestions)}")
        ui.info(f"  {next_step(provider, result.reason or 'bad_response')}")
    if not result.ok:
        raise click.exceptions.Exit(int(result.exit_code))


@models.command("default")
@model_argument
@ui_option
def default_command(ref_or_alias: str | None, ui: UI) -> None:
    """Print the default model, or set it (agents.defaults.model.primary) to a ref or alias.

    \b
    Examples:
      genesis models default                 # print it
      genesis models default chutes-pro
      genesis models default chutes/zai-org/GLM-5-TEE
    """
    # start-up: the config writer's modules are not for `models list`
    from genesis_cli.flows.default_model import set_default

    provider = current()
    if ref_or_alias is None:
        # start-up: not at the top, for `models --help` (set_default's module loaded them)
        from genesis_cli import paths
        from genesis_cli.config import config_file

        configured = config_file.primary_model(config_file.load(paths.config_path()).data)
        default = configured or provider.default_model_ref()
        if ui.json_mode:
            ui.emit_json({"default": default, "configured": configured is not None})
        else:
            ui.line(default if configured else f"{default} (not set yet: onboarding sets it)")
        return
    result = set_default(provider, ref_or_alias)
    if ui.json_mode:
        ui.emit_json(result)
    elif result.changed:
        ui.line(f"Default model: {result.default} (was {result.previous or 'unset'})")
    else:
        ui.line(f"Default model: {result.default} (unchanged)")


@models.command("verify")
@model_argument
@ui_option
def verify_command(ref_or_alias: str | None, ui: UI) -> None:
    """Check a TEE model's running instances against a nonce chosen now.

    Per instance: the Intel TDX quote is genuine (Intel's root, TCB status) and not a debug
    TD; it binds the instance's end-to-end key and TLS key for this run's nonce; its
    measurements are an image Chutes lists; its GPUs' evidence carries the nonce, signed
    under NVIDIA's root. Needs the verifier extra: pip install 'genesis-cli[verify]'.

    Exits 0 when at least one instance passed every check and none failed one, 6 when
    nothing verified (or the model is no TEE model, or has no running instance), 2 when the
    catalog lacks the model, 3 when the credential was refused, 1 for network trouble.

    \b
    Examples:
      genesis models verify
      genesis models verify chutes/zai-org/GLM-5-TEE --json
    """
    # start-up: the verifier's flow (HTTP, TEE checks) is for `models verify` alone
    from genesis_cli.flows import credentials, verify
    from genesis_cli.flows.probe import resolve_target

    verify.require_verifier()  # before any network: exit 2 with the install line
    provider = current()
    target = resolve_target(provider, ref_or_alias)
    credential = credentials.required(provider, None, "to fetch the instances' keys")
    with ui.spinner(f"Fetching and checking the evidence of {target}…"):
        try:
            report = verify.verify_model(provider, target, credential.secret)
        except verify.NothingVerified as exc:
            if ui.json_mode:  # still the one document --json promises; the error goes to stderr
                ui.emit_json(exc.report.to_json())
            raise
    if ui.json_mode:
        ui.emit_json(report.to_json())
    else:
        ui.line(f"{target}  (deployment {report.chute_id}, nonce {report.nonce[:16]}…)")
        for instance in report.instances:
            status = "verified" if instance.verified else f"not verified: {instance.reason}"
            ui.line(f"  {instance.instance_id}  {status}")
            ui.line(f"    TCB {instance.tcb_status or '-'} · image {instance.measurement or '-'}")
        if report.failed_instance_ids:
            ui.line(f"  {provider.display_name} could not get evidence from: "
                    f"{', '.join(report.failed_instance_ids)}")  # fmt: skip
        passed = sum(i.verified for i in report.instances)
        ui.line(f"{passed} of {len(report.instances)} instance(s) verified.")
        ui.line(verify.PROVES.format(name=provider.display_name))
        ui.line(verify.DOES_NOT_PROVE.format(name=provider.display_name))
    if not report.ok:
        raise click.exceptions.Exit(int(ExitCode.UNVERIFIED))
