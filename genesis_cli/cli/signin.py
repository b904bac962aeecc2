"""Sign-in at the terminal, for ``genesis onboard``: the OAuth client's id and secret (env,
stored app, a new app, or prompts), local or paste mode, and how the flow reaches the user."""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING

import click

from genesis_cli.cli.ui import UI
from genesis_cli.errors import GenesisError, UsageError

if TYPE_CHECKING:
    from genesis_cli.flows.onboard import Choices, OnboardResult
    from genesis_cli.providers import Provider


class TerminalInteraction:
    """How the sign-in flow reaches the user: messages on stderr, lines from stdin."""

    def __init__(self, ui: UI) -> None:
        self.ui = ui

    def notify(self, text: str) -> None:
        self.ui.info(text)

    def open_browser(self, url: str) -> bool:
        import webbrowser

        try:
            return bool(webbrowser.open(url, new=1, autoraise=True))
        except (webbrowser.Error, OSError):
            return False

    def read_line(self, prompt: str, stop: threading.Event | None = None) -> str:
        self.ui.info(prompt, nl=False)
        sys.stderr.flush()
        if stop is not None:
            _wait_for_input(stop)
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line


def _wait_for_input(stop: threading.Event) -> None:
    """Until a line can be read from stdin, or ``stop`` is set (then ``EOFError``)."""
    import select

    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return  # not a real file (tests' streams): read it as it is
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            return
    raise EOFError


def missing_secret(provider: Provider) -> UsageError:
    return UsageError(
        f"{provider.client_id_env} is set but {provider.client_secret_env} is not: "
        f"{provider.display_name} refuses every sign-in without the client secret",
        hint=f"set {provider.client_secret_env} to your app's secret (csc_...), or unset "
        f"{provider.client_id_env} and run `genesis auth app create`",
    )


def _client_credentials(provider: Provider, ui: UI) -> tuple[str, str, str | None]:
    """(client id, client secret, the stored app's redirect URI), all before anything opens.

    From ``CHUTES_CLIENT_ID`` + ``CHUTES_CLIENT_SECRET``, else the stored app, else a new app
    made now with an API key at hand, else prompts. The Chutes token endpoint refuses an
    exchange without the secret, so a missing one is asked for (hidden).
    """
    from genesis_cli.flows import apps

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
            raise missing_secret(provider)
    return client_id, client_secret, redirect


def _offer_new_app(provider: Provider, ui: UI) -> tuple[str, str, str | None] | None:
    """With an API key at hand, offer to register an app now (interactive onboarding)."""
    from genesis_cli.cli.apps import create_app
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


def sign_in_at_terminal(
    provider: Provider, ui: UI, browser: bool | None, choices: Choices
) -> OnboardResult:
    """Sign in with the provider (OAuth) from ``genesis onboard``, on a terminal."""
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
    return sign_in(client, remote=remote, io=TerminalInteraction(ui), choices=choices)
