"""``genesis account``"""

from __future__ import annotations

from typing import Any

import click

from genesis_cli.cli.provider import current
from genesis_cli.cli.ui import UI


@click.command()
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
def account(json_mode: bool) -> None:
    """Show the signed-in Chutes account: username, balance, subscription and quota use.

    Each part is read at once and best effort, within one GENESIS_HTTP_TIMEOUT. Says plainly
    when the account can run no TEE model (every Chutes model is TEE now).

    \b
    Examples:
      genesis account
      genesis account --json | jq .balance
    """
    from genesis_cli.flows import credentials  # flows: loaded when a command runs

    ui = UI(json_mode)
    provider = current()
    account = provider.account()  # a provider without an account API says so before anything
    credential = credentials.required(provider, None, "to read the account with")
    with ui.spinner(f"Reading your {provider.display_name} account…"):
        found = account.read(provider, credential.secret, oauth=credential.type != "api_key")
    if found.answered == 0:
        for problem in found.problems[1:]:
            ui.warn(problem)
        raise account.unreadable(provider, found)
    if json_mode:
        for problem in found.problems:
            ui.warn(problem)
        ui.emit_json(found)
        return
    rows = [("balance", _money(found.balance)), ("plan", _plan(found))]
    rows += [(("quota" if i == 0 else ""), _quota(q)) for i, q in enumerate(found.quotas)]
    ui.summary(f"{provider.display_name} account {found.username or ''}".strip(), rows)
    for problem in found.problems:
        ui.warn(problem)
    if found.tee_ready is False:
        why = "this account can run no TEE model now (add balance or subscribe)"
        ui.warn(f"{account.TEE_SENTENCE}: {why}")


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.2f}"


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
