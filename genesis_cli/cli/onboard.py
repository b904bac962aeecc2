"""``genesis onboard`` (also ``auth login``): the questions at the terminal, the OAuth
client's id and secret, local or paste sign-in, and the summary."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

import click

from genesis_cli.cli.params import (
    chosen_id,
    complete_models,
    current,
    secret_store_option,
    ui_option,
)
from genesis_cli.cli.ui import UI
from genesis_cli.errors import GenesisError, UsageError
from genesis_cli.text import mask
from genesis_cli.warning_log import collect_warnings

if TYPE_CHECKING:
    from collections.abc import Callable

    from genesis_cli.flows.availability import Unavailable
    from genesis_cli.flows.onboard import Choices, OnboardResult
    from genesis_cli.providers import Provider

_MAX_KEY_LINE = 4096


@click.command()
@click.option(
    "--auth-choice",
    metavar="CHOICE",
    help="chutes: Sign in with Chutes (OAuth). chutes-api-key: store an API key. "
    "Other providers: <id> and <id>-api-key.",
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
    help="Keep an existing default model instead of setting the catalog's default.",
)
@click.option(
    "--default",
    "default_model",
    metavar="REF_OR_ALIAS",
    shell_complete=complete_models,
    help="Use this model of the catalog as the default (e.g. chutes/zai-org/GLM-5.2-TEE).",
)
@secret_store_option(
    "Where the secrets go: the auth store file (default) or the OS keyring "
    "(default: $GENESIS_SECRET_STORE, else file)."
)
@click.option(
    "--probe",
    is_flag=True,
    help="At the end, ask the default model for one token (as `genesis models test`).",
)
@ui_option
@click.option(
    "--browser/--no-browser",
    "browser",
    default=None,
    help="Force the local browser flow, or the paste flow for SSH and containers "
    "(default: detected).",
)
def onboard(
    auth_choice: str | None,
    api_key_stdin: bool,
    non_interactive: bool,
    keep_default: bool,
    default_model: str | None,
    secret_store: str | None,
    probe: bool,
    ui: UI,
    browser: bool | None,
) -> None:
    """Sign in to Chutes, discover the model catalog, and write the config.

    \b
    Examples:
      genesis onboard                                   # asks how to sign in
      genesis onboard --auth-choice chutes              # browser sign-in
      genesis onboard --auth-choice chutes-api-key      # hidden prompt for a key
      printf %s "$KEY" | genesis onboard --auth-choice chutes-api-key \\
          --api-key-stdin --non-interactive             # CI
      genesis onboard --default chutes/zai-org/GLM-5.2-TEE --probe
    """
    # start-up: the whole onboarding (HTTP, config writer, store) is not for `onboard --help`
    from genesis_cli.flows.onboard import Choices, onboard_api_key, preflight
    from genesis_cli.store.vault import chosen_store

    if keep_default and default_model is not None:
        raise UsageError(
            "--default and --keep-default contradict each other", hint="pass one of them"
        )
    provider, choice = _provider_for(auth_choice)
    interactive = not non_interactive and sys.stdin.isatty()
    choices = Choices(
        keep_default=keep_default,
        default=default_model,
        substitute=_substitute(provider, ui) if interactive else None,
        probe=probe,
        secret_store=chosen_store(secret_store),
    )
    choice = choice or _choose(provider, interactive, api_key_stdin)
    if choice == provider.id:
        if not interactive:
            if (
                os.environ.get(provider.client_id_env, "").strip()
                and not os.environ.get(provider.client_secret_env, "").strip()
            ):
                raise _missing_secret(provider)
            raise UsageError(
                f"Sign in with {provider.display_name} needs a browser or a terminal to paste "
                "into, and this run is non-interactive",
                hint=f"use --auth-choice {provider.api_key_choice} with {provider.api_key_env}, "
                f"or set {provider.oauth_token_env} to a ready access token",
            )
        result = _sign_in(provider, ui, browser, choices)
    else:
        if interactive and not api_key_stdin:  # a key typed is not lost to a config in the way
            with collect_warnings(pass_on=False):  # said by the onboarding itself
                preflight(provider, choices)
        raw_key = _read_api_key(provider, api_key_stdin, interactive, ui)
        with ui.spinner(f"Checking the key with {provider.display_name}…"):
            result = onboard_api_key(provider, raw_key, choices)
    _report(provider, ui, result)


def _provider_for(auth_choice: str | None) -> tuple[Provider, str | None]:
    """The provider an ``--auth-choice`` names (``<id>`` or ``<id>-api-key``), else the one
    ``--provider`` picks; and the choice itself."""
    from genesis_cli.providers import DEFAULT_ID, lookup  # start-up: not for `onboard --help`

    if auth_choice is None:
        return current(), None
    choice = auth_choice.strip()
    provider_id = choice.removesuffix("-api-key")
    try:
        provider = lookup.get(provider_id)
    except UsageError:
        known = [f"{p}, {p}-api-key" for p in lookup.known()]
        raise UsageError(
            f"--auth-choice {choice!r} names no known provider",
            hint=f"choose one of {', '.join(known)}",
        ) from None
    # The choice names the provider; one picked otherwise (not the default) must agree.
    if chosen_id() not in (provider_id, DEFAULT_ID):
        raise UsageError(
            f"--auth-choice {choice} is for {provider_id}, but the provider chosen with "
            f"--provider or GENESIS_PROVIDER is {chosen_id()}",
            hint="pass one of them",
        )
    if choice == provider.id:
        provider.require_sign_in()
    return provider, choice


def _substitute(provider: Provider, ui: UI) -> Callable[[list[Unavailable]], bool]:
    """The one question asked when the live catalog lacks the default or alias targets."""

    def ask(missing: list[Unavailable]) -> bool:
        ui.info(f"{provider.display_name} does not list some models genesis would set up:")
        for item in missing:
            role = "default" if item.role == "primary" else item.role.removeprefix("alias:")
            ui.info(f"  {role:<13} {item.ref} -> suggested: {item.suggestions[0]}")
        return ui.confirm("Use the suggested models instead?", default=False)

    return ask


def _choose(provider: Provider, interactive: bool, api_key_stdin: bool) -> str:
    has_key = api_key_stdin or bool(os.environ.get(provider.api_key_env, "").strip())
    if (not interactive and has_key) or provider.sign_in is None:
        return provider.api_key_choice
    if not interactive:
        raise UsageError(
            "--auth-choice is required in a non-interactive run",
            hint=f"pass --auth-choice {provider.api_key_choice} (with {provider.api_key_env} or "
            "--api-key-stdin)",
        )
    click.echo(f"How do you want to connect to {provider.display_name}?", err=True)
    click.echo(f"  1) Sign in with {provider.display_name} (browser)", err=True)
    click.echo("  2) Paste an API key", err=True)
    number = click.prompt("Choice", type=click.IntRange(1, 2), default=1, err=True)
    return (provider.id, provider.api_key_choice)[number - 1]


def _read_api_key(provider: Provider, from_stdin: bool, interactive: bool, ui: UI) -> str:
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
    env_key = os.environ.get(provider.api_key_env, "").strip()
    if not interactive:
        if env_key:
            return env_key
        raise UsageError(
            "no API key given in a non-interactive run",
            hint=f"set {provider.api_key_env} or pipe the key with --api-key-stdin",
        )
    if env_key and ui.confirm(
        f"Use the API key from {provider.api_key_env} ({mask(env_key)})?", default=True
    ):
        return env_key
    ui.info(f"Create an API key at {provider.api_keys_url}")
    key: str = click.prompt(
        f"{provider.display_name} API key (input hidden)", hide_input=True, err=True
    )
    return key


def _report(provider: Provider, ui: UI, result: OnboardResult) -> None:
    if ui.json_mode:
        ui.emit_json(result)
        return
    if result.expires_at:
        minutes = max(0, round((result.expires_at - time.time()) / 60))
        ui.info(f"Access token valid for {minutes} min; genesis refreshes it when needed.")
    who = f" as {result.username}" if result.username else ""
    name = provider.display_name
    kind = "API key" if result.type == "api_key" else f"Sign in with {name}"
    found = result.found
    source = found.source if not found.fell_back else f"bundled: {found.reason}"
    rows = [
        ("profile", f"{result.profile} ({result.masked})"),
        ("catalog", f"{len(found.models)} models ({source})"),
        ("default", result.default),
    ]
    rows += [("alias", f"{alias} -> {target}") for alias, target in result.aliases.items()]
    rows += [("skipped", f"{s['alias']}: {s['reason']}") for s in result.skipped_aliases]
    changes = result.models
    kept = f", {len(changes.kept)} kept because something names them" if changes.kept else ""
    done = f"{changes.added} added, {changes.updated} updated, {changes.removed} removed{kept}"
    rows.append(("models", done))
    probe = result.probe
    if probe is not None:
        said = f"failed: {probe['reason']} ({probe['detail']})"
        rows.append(("probe", f"ok in {probe['latencyMs']} ms" if probe["ok"] else said))
    state = "updated" if result.config_changed else "already up to date"
    rows.append(("config", f"{result.config_path} ({state})"))
    ui.summary(f"Connected to {name}{who} ({kind})", rows)


def _missing_secret(provider: Provider) -> UsageError:
    return UsageError(
        f"{provider.client_id_env} is set but {provider.client_secret_env} is not: "
        f"{provider.display_name} refuses every sign-in without the client secret",
        hint=f"set {provider.client_secret_env} to your app's secret (csc_...), or unset "
        f"{provider.client_id_env} and run `genesis auth app create`",
    )


def _client_credentials(provider: Provider, ui: UI) -> tuple[str, str, str | None]:
    """(client id, client secret, the stored app's redirect URI), before anything opens: from
    the environment, else the stored app, else a new app made with an API key, else prompts
    (the token endpoint refuses an exchange without the secret)."""
    from genesis_cli.flows import apps  # start-up: API-key onboarding needs no app

    client_id = os.environ.get(provider.client_id_env, "").strip()
    client_secret = os.environ.get(provider.client_secret_env, "").strip()
    stored = apps.stored_app(provider)
    if client_id:
        same = stored if stored is not None and stored.client_id == client_id else None
        redirect = same.redirect_uri if same else None
        client_secret = client_secret or (same.client_secret if same else "")
    elif stored is not None:
        client_id, client_secret = stored.client_id, stored.client_secret
        redirect = stored.redirect_uri
    else:
        created = _offer_new_app(provider, ui)
        if created is not None:
            return created
        uri = (
            os.environ.get(provider.redirect_uri_env)
            or provider.require_sign_in().default_redirect_uri
        )
        ui.info(
            f"Sign in with {provider.display_name} needs an OAuth app of your own "
            f"({provider.display_name} has no shared CLI client). `genesis auth app create` "
            "makes one with your API key; or enter an existing app's client id and secret "
            f"(its redirect URI must be {uri}).\n"
            f"(Set {provider.client_id_env} and {provider.client_secret_env} to skip these "
            "questions.)"
        )
        client_id = click.prompt("Client ID (cid_...)", err=True).strip()
        redirect = None
    if not client_id:
        raise UsageError("an OAuth client id is required", hint=f"set {provider.client_id_env}")
    if not client_secret:
        client_secret = click.prompt(
            "Client secret (csc_..., input hidden)", hide_input=True, err=True
        ).strip()
        if not client_secret:
            raise _missing_secret(provider)
    return client_id, client_secret, redirect


def _offer_new_app(provider: Provider, ui: UI) -> tuple[str, str, str | None] | None:
    """With an API key at hand, offer to register an app now (interactive onboarding)."""
    # start-up: the auth commands' module only when an app is offered; neither for --help
    from genesis_cli.cli.auth import create_app
    from genesis_cli.flows import credentials

    if provider.api_base_url_default is None:
        return None  # no management API to register an app with
    key = credentials.api_key(provider)
    if not key or not click.confirm(
        f"You have no Sign in with {provider.display_name} app yet. Create one now with your "
        "API key?",
        default=True,
        err=True,
    ):
        return None
    try:
        app = create_app(provider, ui, None, None, key)
    except GenesisError as exc:
        # Said as what it is: onboarding stopped because the app could not be created.
        failed = GenesisError(
            f"could not create a Sign in with {provider.display_name} app: {exc.message}",
            hint=f"{exc.hint + '; then ' if exc.hint else ''}run `genesis auth app create`, or "
            f"set {provider.client_id_env} and {provider.client_secret_env} to an existing "
            f"app's, and onboard again",
        )
        failed.exit_code = exc.exit_code
        raise failed from None
    return app.client_id, app.client_secret, app.redirect_uri


def _sign_in(provider: Provider, ui: UI, browser: bool | None, choices: Choices) -> OnboardResult:
    # start-up: the OAuth modules (hashlib, secrets) are not for API-key onboarding
    from genesis_cli.flows.signin import detect_remote, sign_in
    from genesis_cli.oauth import protocol

    client = protocol.client_from_env(provider, *_client_credentials(provider, ui))
    if browser is None:
        reason = detect_remote()
        remote = reason is not None
        if remote:
            ui.info(
                f"Using the paste flow because {reason}. "
                "Pass --browser to open a browser here instead."
            )
    else:
        remote = not browser
    return sign_in(client, remote=remote, io=ui, choices=choices)
