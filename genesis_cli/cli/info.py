"""``genesis account``, ``config path`` and ``doctor``: the account, the files, the machine."""

from __future__ import annotations

import sys
from typing import Any

import click

from genesis_cli.cli.params import current, ui_option
from genesis_cli.cli.ui import UI, color_enabled
from genesis_cli.errors import ExitCode


@click.command()
@ui_option
def account(ui: UI) -> None:
    """Show the signed-in Chutes account: username, balance, subscription and quota use.

    Each part is read at once and best effort, within one GENESIS_HTTP_TIMEOUT. Says plainly
    when the account can run no TEE model (one with -TEE in its name).

    \b
    Examples:
      genesis account
      genesis account --json | jq .balance
    """
    from genesis_cli.flows import credentials  # start-up: not for `config path`

    provider = current()
    account = provider.account()  # a provider without an account API says so before anything
    credential = credentials.required(provider, None, "to read the account with")
    with ui.spinner(f"Reading your {provider.display_name} account…"):
        found = account.read(provider, credential.secret, oauth=credential.type != "api_key")
    if found.answered == 0:
        for problem in found.problems[1:]:
            ui.warn(problem)
        raise account.unreadable(provider, found)
    if ui.json_mode:
        for problem in found.problems:
            ui.warn(problem)
        ui.emit_json(found)
        return
    money = "unknown" if found.balance is None else f"${found.balance:,.2f}"
    rows = [("balance", money), ("plan", _plan(found))]
    rows += [(("quota" if i == 0 else ""), _quota(q)) for i, q in enumerate(found.quotas)]
    ui.summary(f"{provider.display_name} account {found.username or ''}".strip(), rows)
    for problem in found.problems:
        ui.warn(problem)
    if found.tee_ready is False:
        why = "this account can run no TEE model now (add balance or subscribe)"
        ui.warn(f"{account.TEE_SENTENCE}: {why}")


def _plan(found: Any) -> str:
    subscription = found.subscription
    if subscription is None:
        return "no subscription" if found.subscribed is False else "unknown"
    parts = []
    for label, key in (("4 h", "fourHour"), ("month", "monthly")):
        window = subscription.get(key)
        if isinstance(window, dict) and window.get("uncapped"):
            parts.append(f"{label}: uncapped")
        elif isinstance(window, dict) and window.get("cap") is not None:
            parts.append(f"{label}: {window.get('usage')} of {window.get('cap')} used")
    return "subscription" + (f" ({'; '.join(parts)})" if parts else "")


def _quota(quota: dict[str, Any]) -> str:
    scope = "all chutes" if quota["chuteId"] == "*" else quota["chuteId"]
    used = "?" if quota["used"] is None else f"{quota['used']:g}"
    total = "?" if quota["quota"] is None else f"{quota['quota']:g}"
    return f"{used} of {total} requests today ({scope}; resets {quota['resetsAt']})"


@click.group("config")
def config() -> None:
    """Where genesis keeps its files."""


@config.command("path")
@ui_option
def path_command(ui: UI) -> None:
    """Print where the config, the auth store and the catalog cache live.

    \b
    Examples:
      genesis config path
      $EDITOR "$(genesis config path --json | jq -r .config)"
    """
    # start-up: the store for `config path` alone (account with an env credential reads none)
    from genesis_cli import paths
    from genesis_cli.store import auth_store, vault

    where = [  # (JSON key, label, path)
        ("stateDir", "state dir", paths.state_dir()),
        ("config", "config", paths.config_path()),
        ("store", "auth store", paths.auth_store_path()),
        ("cache", "cache", paths.catalog_cache_path(current().id)),
    ]
    absolute = {key: str(path.expanduser().absolute()) for key, _, path in where}
    # Where each stored secret lives: the store file, the OS keyring or an env variable.
    secrets = {p.id: vault.where(p) for p in auth_store.load().profiles.values()}
    if ui.json_mode:
        ui.emit_json({**absolute, "secrets": secrets})
        return
    for key, label, _ in where:
        ui.line(f"{label:<11}{absolute[key]}")
    for profile_id, fields in secrets.items():
        places = ", ".join(f"{field} in {place}" for field, place in fields.items())
        ui.line(f"{'secrets':<11}{profile_id}: {places}")


_MARK = {"ok": ("ok", "green"), "warn": ("warn", "yellow"), "fail": ("FAIL", "red")}


@click.command()
@ui_option
def doctor(ui: UI) -> None:
    """Check files, credentials, network, clock and proxy settings; exit 1 if any check fails.

    \b
    Examples:
      genesis doctor
      genesis doctor --json | jq '.checks[] | select(.status == "fail")'
    """
    # start-up: doctor's checks (http, tee, OpenClaw's) are not for `config path`
    from genesis_cli.flows.doctor import run_checks

    provider = current()
    with ui.spinner("Checking…"):
        report = run_checks(provider)
    if ui.json_mode:
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
