"""``genesis onboard``"""

from __future__ import annotations

import os
import sys

import click

from genesis_cli.errors import GenesisError, UsageError
from genesis_cli.providers import chutes
from genesis_cli.records import mask
from genesis_cli.ui import UI

AUTH_CHOICES = ("chutes", "chutes-api-key")
_MAX_KEY_LINE = 4096


@click.command()
@click.option(
    "--auth-choice",
    type=click.Choice(AUTH_CHOICES),
    help="chutes: Sign in with Chutes (OAuth). chutes-api-key: store an API key.",
)
@click.option(
    "--api-key-stdin", is_flag=True, help="Read the API key from standard input (one line)."
)
@click.option(
    "--non-interactive",
    is_flag=True,
    help="Never prompt; fail with exit 2 when a value is missing.",
)
@click.option(
    "--keep-default",
    is_flag=True,
    help="Keep an existing default model instead of setting chutes/zai-org/GLM-4.7-TEE.",
)
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def onboard(
    auth_choice: str | None,
    api_key_stdin: bool,
    non_interactive: bool,
    keep_default: bool,
    json_mode: bool,
) -> None:
    """Sign in to Chutes, discover the model catalog, and write the config.

    \b
    Examples:
      genesis onboard                                   # asks how to sign in
      genesis onboard --auth-choice chutes              # browser sign-in
      genesis onboard --auth-choice chutes-api-key      # hidden prompt for a key
      printf %s "$KEY" | genesis onboard --auth-choice chutes-api-key \\
          --api-key-stdin --non-interactive             # CI
    """
    ui = UI(json_mode)
    interactive = not non_interactive and sys.stdin.isatty()
    choice = auth_choice or _choose(interactive, api_key_stdin)
    if choice == "chutes":
        if not interactive:
            raise UsageError(
                "Sign in with Chutes needs a browser or a terminal to paste into, and this run "
                "is non-interactive",
                hint="use --auth-choice chutes-api-key with CHUTES_API_KEY, or set "
                "CHUTES_OAUTH_TOKEN to a ready access token",
            )
        raise GenesisError(
            "Sign in with Chutes is not yet available in this version",
            hint="use --auth-choice chutes-api-key for now",
        )
    if api_key_stdin and choice != "chutes-api-key":
        raise UsageError("--api-key-stdin goes with --auth-choice chutes-api-key")
    from genesis_cli.flows.onboard import onboard_api_key

    raw_key = _read_api_key(api_key_stdin, interactive, ui)
    with ui.spinner("Checking the key with Chutes…"):
        result = onboard_api_key(raw_key, keep_default=keep_default, warn=ui.warn)
    _report(ui, result)


def _choose(interactive: bool, api_key_stdin: bool) -> str:
    has_key = api_key_stdin or bool(os.environ.get(chutes.API_KEY_ENV, "").strip())
    if not interactive and has_key:
        return "chutes-api-key"
    if not interactive:
        raise UsageError(
            "--auth-choice is required in a non-interactive run",
            hint="pass --auth-choice chutes-api-key (with CHUTES_API_KEY or --api-key-stdin)",
        )
    click.echo("How do you want to connect to Chutes?", err=True)
    click.echo("  1) Sign in with Chutes (browser)", err=True)
    click.echo("  2) Paste an API key", err=True)
    number = click.prompt("Choice", type=click.IntRange(1, 2), default=1, err=True)
    return AUTH_CHOICES[number - 1]


def _read_api_key(from_stdin: bool, interactive: bool, ui: UI) -> str:
    if from_stdin:
        if sys.stdin.isatty():
            raise UsageError(
                "--api-key-stdin reads a piped key, but standard input is a terminal",
                hint='pipe it (printf %s "$KEY" | genesis onboard ...) or drop the flag '
                "to be prompted",
            )
        line = sys.stdin.readline(_MAX_KEY_LINE)
        if not line.strip():
            raise UsageError(
                "--api-key-stdin got nothing on standard input", hint="pipe the key into genesis"
            )
        return line
    env_key = os.environ.get(chutes.API_KEY_ENV, "").strip()
    if not interactive:
        if env_key:
            return env_key
        raise UsageError(
            "no API key given in a non-interactive run",
            hint="set CHUTES_API_KEY or pipe the key with --api-key-stdin",
        )
    if env_key and click.confirm(
        f"Use the API key from {chutes.API_KEY_ENV} ({mask(env_key)})?", default=True, err=True
    ):
        return env_key
    ui.info(f"Create an API key at {chutes.API_KEYS_URL}")
    key: str = click.prompt("Chutes API key (input hidden)", hide_input=True, err=True)
    return key


def _report(ui: UI, result: object) -> None:
    from genesis_cli.flows.onboard import OnboardResult

    assert isinstance(result, OnboardResult)
    for warning in result.warnings:
        ui.warn(warning)
    if ui.json_mode:
        ui.emit_json(result.to_json())
        return
    who = f" as {result.username}" if result.username else ""
    kind = "API key" if result.type == "api_key" else "Sign in with Chutes"
    ui.line(f"Connected to Chutes{who} ({kind}, profile {result.profile}, {result.masked})")
    found = result.catalog
    source = found.source if not found.fell_back else f"bundled: {found.reason}"
    ui.line(f"  catalog   {len(found.models)} models ({source})")
    ui.line(f"  default   {result.registration.default}")
    for alias, target in result.registration.aliases.items():
        ui.line(f"  alias     {alias} -> {target}")
    for skipped in result.registration.skipped:
        ui.line(f"  skipped   {skipped['alias']}: {skipped['reason']}")
    state = "updated" if result.config_changed else "already up to date"
    ui.line(f"  config    {result.config_path} ({state})")
