"""OAuth sign-in ("Sign in with Chutes"): local or remote mode, the code, tokens, register.

The terminal is reached only through an ``Interaction`` the CLI passes in, so this module
prints nothing and can be driven by tests.
"""

from __future__ import annotations

import os
import queue
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from genesis_cli import catalog
from genesis_cli.errors import AuthError, GenesisError
from genesis_cli.flows.onboard import Choices, OnboardResult, onboard
from genesis_cli.oauth import protocol, redirect
from genesis_cli.providers import Provider
from genesis_cli.records import Catalog
from genesis_cli.store.auth_store import Profile
from genesis_cli.warning_log import warn

CALLBACK_TIMEOUT_SECONDS = 300.0
PASTE_ATTEMPTS = 3
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


class Interaction(Protocol):
    def notify(self, text: str) -> None: ...

    def open_browser(self, url: str) -> bool: ...

    def read_line(self, prompt: str, stop: threading.Event | None = None) -> str:
        """One line typed or pasted by the user; ``EOFError`` when input has ended, or when
        ``stop`` is set first (the browser's callback won: stop reading, so that a later
        question's answer does not land in a reader nobody listens to)."""
        ...


def detect_remote(
    env: dict[str, str] | os._Environ[str] = os.environ, platform: str = sys.platform
) -> str | None:
    """Why a browser on this machine cannot reach the user, or ``None`` when it can."""
    for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"):
        if env.get(name):
            return f"this is an SSH session ({name} is set)"
    if env.get("CODESPACES"):
        return "this is a GitHub Codespace (CODESPACES is set)"
    if env.get("REMOTE_CONTAINERS"):
        return "this is a dev container (REMOTE_CONTAINERS is set)"
    if (
        platform.startswith("linux")
        and not env.get("DISPLAY")
        and not env.get("WAYLAND_DISPLAY")
        and not env.get("BROWSER")
        and not _is_wsl(env)
    ):
        return "there is no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)"
    return None


def _is_wsl(env: Any) -> bool:
    if env.get("WSL_DISTRO_NAME") or env.get("WSL_INTEROP"):
        return True
    try:
        return "microsoft" in Path("/proc/version").read_text().lower()
    except OSError:
        return False


class NoPaste(AuthError):
    """Input ended before a redirect URL was pasted."""


REMOTE_PROMPT = "Paste the URL you were redirected to: "
LOCAL_PROMPT = "Waiting for the browser… or paste the URL you were redirected to: "


def _paste_loop(
    provider: Provider,
    request: protocol.AuthRequest,
    io: Interaction,
    prompt: str = REMOTE_PROMPT,
    stop: threading.Event | None = None,
) -> str:
    for attempt in range(1, PASTE_ATTEMPTS + 1):
        try:
            line = io.read_line(prompt, stop)
        except EOFError:
            raise NoPaste(
                "no redirect URL was pasted",
                hint=f"run `genesis onboard --auth-choice {provider.id}` again",
            ) from None
        try:
            return redirect.parse_pasted(provider, line, request.state)
        except redirect.BadRedirect as exc:
            if attempt == PASTE_ATTEMPTS:
                raise
            io.notify(f"{exc.message}." + (f" {exc.hint}." if exc.hint else "") + " Try again.")
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _paste_reader(
    provider: Provider,
    request: protocol.AuthRequest,
    io: Interaction,
    results: queue.Queue[tuple[str, Any]],
    stop: threading.Event,
) -> None:
    """In local mode, a pasted URL competes with the callback: whichever comes first."""
    try:
        results.put(("code", _paste_loop(provider, request, io, LOCAL_PROMPT, stop)))
    except NoPaste:
        pass  # no terminal input (or it ended): keep waiting for the browser
    except AuthError as exc:
        results.put(("error", exc))


def obtain_code(
    client: protocol.Client,
    request: protocol.AuthRequest,
    *,
    remote: bool,
    io: Interaction,
    timeout: float = CALLBACK_TIMEOUT_SECONDS,
) -> str:
    if remote:
        io.notify(f"Open this URL in a browser on any machine and sign in:\n\n  {request.url}\n")
        io.notify(
            "The browser will then fail to load a 127.0.0.1 page: that is expected. "
            "Copy the whole URL from its address bar."
        )
        return _paste_loop(client.provider, request, io)

    from genesis_cli.oauth.loopback import CallbackServer, PortInUse

    results: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop_reading = threading.Event()
    server = CallbackServer(client.provider, client.redirect_uri, request.state, results)
    try:
        server.start()
    except PortInUse as exc:
        # Never fall back to pasting: the browser would still be sent to that port, handing
        # the code and state to whichever program holds it.
        provider = client.provider
        raise GenesisError(
            f"{exc.message}: another program holds port {server.port} of the redirect URI, "
            "and the browser would hand it the sign-in",
            hint=f"stop that program, or set {provider.redirect_uri_env} to a redirect URI on "
            "another port that is registered for your app (`genesis auth app create "
            "--redirect-uri URI` registers a new app with it)",
        ) from None
    try:
        opened = io.open_browser(request.url)
        lead = "Opened your browser. If it did not," if opened else "Could not open a browser;"
        io.notify(f"{lead} open this URL to sign in:\n\n  {request.url}\n")
        threading.Thread(
            target=_paste_reader,
            args=(client.provider, request, io, results, stop_reading),
            name="genesis-paste",
            daemon=True,
        ).start()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AuthError(
                    f"no sign-in arrived within {timeout / 60:g} minutes",
                    hint="run it again, or use --no-browser to paste the URL",
                )
            try:
                kind, value = results.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            io.notify("")  # end the waiting prompt's line
            if kind == "ignored":
                io.notify(str(value))
                continue
            if kind == "error":
                raise value
            return str(value)
    finally:
        stop_reading.set()
        server.close()


def plain_username(username: Any) -> str | None:
    return username if isinstance(username, str) and _USERNAME.fullmatch(username) else None


def profile_id_for(provider: Provider, username: Any) -> str:
    """``chutes:<username>``; never ``chutes:default``, which is the API key's."""
    name = plain_username(username)
    if name is not None and f"{provider.id}:{name}" != provider.default_profile:
        return f"{provider.id}:{name}"
    return provider.oauth_fallback_profile


def sign_in(
    client: protocol.Client,
    *,
    remote: bool,
    io: Interaction,
    timeout: float = CALLBACK_TIMEOUT_SECONDS,
    choices: Choices | None = None,
) -> OnboardResult:
    """Onboarding with Sign in with the provider: the browser's code, the tokens, the user."""
    provider = client.provider

    def verify() -> tuple[Profile, Catalog]:
        request = protocol.start(client)
        code = obtain_code(client, request, remote=remote, io=io, timeout=timeout)
        io.notify("Signed in; exchanging the code for tokens…")
        tokens = protocol.exchange_code(client, code, request.verifier)
        info = protocol.userinfo(client.base_url, tokens.access)
        username = info.get("username") if info else None
        if info is None:
            warn(
                f"could not read your {provider.display_name} username; the profile is "
                + provider.oauth_fallback_profile
            )
        profile = Profile(
            id=profile_id_for(provider, username),
            type="oauth",
            provider=provider.id,
            access=tokens.access,
            refresh=tokens.refresh,
            expires_at=tokens.expires_at,
            client_id=client.client_id,
            client_secret=client.client_secret,
            scopes=tokens.scopes,
            username=plain_username(username),
        )
        return profile, catalog.discover(provider, tokens.access)

    return onboard(provider, choices or Choices(), verify)
