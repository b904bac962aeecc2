"""``genesis models ...``"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from genesis_cli.errors import AuthError, UsageError
from genesis_cli.providers import chutes
from genesis_cli.ui import UI

if TYPE_CHECKING:
    from genesis_cli.records import Catalog, Model

PROVIDERS = (chutes.ID,)


@click.group()
def models() -> None:
    """Show the model catalog and choose the default model."""


@models.command("list")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--refresh", is_flag=True, help="Fetch the live catalog now, skipping the cache.")
@click.option("--offline", is_flag=True, help="Never touch the network (cache, else bundled).")
@click.option(
    "--provider",
    type=click.Choice(PROVIDERS),
    default=chutes.ID,
    show_default=True,
    help="Which provider's catalog.",
)
def list_command(json_mode: bool, refresh: bool, offline: bool, provider: str) -> None:
    """List the models genesis knows, with aliases and the default model.

    \b
    Examples:
      genesis models list
      genesis models list --refresh --json | jq '.models[].ref'
    """
    from genesis_cli.flows import credentials
    from genesis_cli.flows.models import list_models

    if refresh and offline:
        raise UsageError("--refresh and --offline contradict each other", hint="pass one of them")
    ui = UI(json_mode)
    credential = None if offline else credentials.active(warn=ui.warn)
    with ui.spinner("Fetching the Chutes model catalog…"):
        listing = list_models(
            credential.secret if credential else None, refresh=refresh, offline=offline
        )
    for warning in listing.warnings:  # the fallback reason, when there is one, comes first
        ui.warn(warning)
    if json_mode:
        ui.emit_json(listing.to_json())
        return
    _render_table(ui, listing.catalog, listing.default, listing.aliases)


def _price(value: float | None) -> str:
    """At least two decimals, more when the price has them: 0.40, 2.00, 0.475, 0.0245."""
    if value is None:
        return "-"
    text = f"{value:.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _row(model: Model, default: str, aliases: dict[str, list[str]]) -> list[str]:
    model_ref = chutes.ref(model.id)
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
        return f"cache, fetched {_age(age)} ago"
    return f"bundled, {result.reason}" if result.reason else "bundled"


def _age(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds}s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    if seconds < 172800:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


def _render_table(ui: UI, result: Catalog, default: str, aliases: dict[str, list[str]]) -> None:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for title, justify in (
        ("MODEL", "left"),
        ("ALIASES", "left"),
        ("CONTEXT", "right"),
        ("MAX OUT", "right"),
        ("INPUT", "left"),
        ("REASONING", "center"),
        ("TOOLS", "center"),
        ("TEE", "center"),
        ("$/1M IN / OUT", "right"),
    ):
        table.add_column(title, justify=justify, no_wrap=title == "MODEL")  # type: ignore[arg-type]
    for model in result.models:
        table.add_row(*_row(model, default, aliases))
    console = ui.console()
    console.print(table)
    count = len(result.models)
    console.print(
        f"* default model {default} · {count} model{'s' if count != 1 else ''} · "
        f"source: {describe_source(result)}"
    )


@models.command("test")
@click.argument("ref_or_alias", required=False)
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def test_command(ref_or_alias: str | None, json_mode: bool) -> None:
    """Ask a model for one token: does it answer, how fast, and if not, why.

    Uses the active credential and one request of quota (max_tokens 1); the default model
    when none is named. Exits 0 when it answered, 3 when the credential was refused, 5 when
    Chutes refused for another reason (payment, no such model, rate limit, no capacity).

    \b
    Examples:
      genesis models test
      genesis models test chutes-pro --json
    """
    from genesis_cli.flows import credentials
    from genesis_cli.flows.model_test import resolve_target, test_model

    ui = UI(json_mode)
    target = resolve_target(ref_or_alias)
    credential = credentials.active(warn=ui.warn)
    if credential is None:
        raise AuthError(
            "no Chutes credential to test with", hint="run `genesis onboard` or set CHUTES_API_KEY"
        )
    with ui.spinner(f"Asking {target} for one token…"):
        result = test_model(target, credential.secret)
    if json_mode:
        ui.emit_json(result.to_json())
    elif result.ok:
        ui.line(f"ok: {target} answered in {result.latency_ms} ms")
    else:
        status = f"HTTP {result.status}" if result.status else "no answer"
        ui.line(f"failed: {target}: {result.reason} ({status}): {result.detail}")
        if result.retry_after is not None:
            ui.line(f"  retry after {result.retry_after}s")
        if result.suggestions:
            ui.line(f"  served now: {', '.join(result.suggestions)}")
        ui.info(f"  {result.hint}")
    if not result.ok:
        raise click.exceptions.Exit(int(result.exit_code))


@models.command("default")
@click.argument("ref_or_alias")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def default_command(ref_or_alias: str, json_mode: bool) -> None:
    """Set the default model (agents.defaults.model.primary) to a ref or an alias.

    \b
    Examples:
      genesis models default chutes-pro
      genesis models default chutes/zai-org/GLM-5-TEE
    """
    from genesis_cli.flows.default_model import set_default

    ui = UI(json_mode)
    result = set_default(ref_or_alias)
    for warning in result.warnings:
        ui.warn(warning)
    if json_mode:
        ui.emit_json(result.to_json())
    elif result.changed:
        ui.line(f"Default model: {result.default} (was {result.previous or 'unset'})")
    else:
        ui.line(f"Default model: {result.default} (unchanged)")
