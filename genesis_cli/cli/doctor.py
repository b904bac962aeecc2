"""``genesis doctor``"""

from __future__ import annotations

import click

from genesis_cli.cli.ui import UI, color_enabled
from genesis_cli.errors import ExitCode

_MARK = {"ok": ("ok", "green"), "warn": ("warn", "yellow"), "fail": ("FAIL", "red")}


@click.command()
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def doctor(json_mode: bool) -> None:
    """Check files, credentials, network, clock and proxy settings; exit 1 if any check fails.

    \b
    Examples:
      genesis doctor
      genesis doctor --json | jq '.checks[] | select(.status == "fail")'
    """
    import sys

    from genesis_cli.cli.provider import current
    from genesis_cli.flows.doctor import run_checks

    ui = UI(json_mode)
    provider = current()
    with ui.spinner("Checking…"):
        report = run_checks(provider)
    if json_mode:
        ui.emit_json(report)
    else:
        colour = color_enabled(sys.stdout)
        for check in report.checks:
            label, fg = _MARK[check.status]
            mark = click.style(f"{label:<4}", fg=fg) if colour else f"{label:<4}"
            ui.line(f"{mark}  {check.name:<14} {check.detail}")
            if check.fix and check.status != "ok":
                ui.line(f"{'':<4}  {'':<14} fix: {check.fix}")
    if not report.ok:
        raise click.exceptions.Exit(int(ExitCode.ERROR))
