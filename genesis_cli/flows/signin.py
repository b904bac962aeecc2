"""Sign in with the provider (OAuth): the code (loopback callback or pasted URL), the tokens,
then onboarding. The terminal is reached only through the ``Interaction`` the CLI passes in."""

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
        """One line typed or pasted; ``EOFError`` when input has ended, or when ``stop`` is set
        first (the callback won: a later answer must not land in a reader nobody hears)."""
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
    graphical = env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("BROWSER")
    wsl_env = env.get("WSL_DISTRO_NAME") or env.get("WSL_INTEROP")
    if not platform.startswith("linux") or graphical or wsl_env:
        return None
    try:
        wsl = "microsoft" in Path("/proc/version").read_text().lower()
    except OSError:
        wsl = False
    return None if wsl else "there is no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)"


class NoPaste(AuthError):
    """Input ended before a redirect URL was pasted."""


def _paste_loop(
    provider: Provider,
    request: protocol.AuthRequest,
    io: Interaction,
    prompt: str = "Paste the URL you were redirected to: ",
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
            hint = f"; {exc.hint}" if exc.hint else ""
            io.notify(f"Not accepted: {exc.message}{hint}. Try again.")
    raise AssertionError("unreachable")  # the last attempt returns or raises


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

    from genesis_cli.oauth.loopback import CallbackServer, PortInUse  # http.server: local only

    provider = client.provider
    results: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop_reading = threading.Event()
    server = CallbackServer(provider, client.redirect_uri, request.state, results)
    try:
        server.start()
    except PortInUse as exc:
        # Never fall back to pasting: the browser would still be sent to that port, handing
        # the code and state to whichever program holds it.
        raise GenesisError(
            f"{exc.message}: another program holds port {server.port} of the redirect URI, "
            "and the browser would hand it the sign-in",
            hint=f"stop that program, or set {provider.redirect_uri_env} to a redirect URI on "
            "another port that is registered for your app (`genesis auth app create "
            "--redirect-uri URI` registers a new app with it)",
        ) from None

    def read_paste() -> None:  # a pasted URL competes with the callback: whichever comes first
        try:
            prompt = "Waiting for the browser… or paste the URL you were redirected to: "
            results.put(("code", _paste_loop(provider, request, io, prompt, stop_reading)))
        except NoPaste:
            pass  # no terminal input (or it ended): keep waiting for the browser
        except AuthError as exc:
            results.put(("error", exc))

    try:
        opened = io.open_browser(request.url)
        lead = "Opened your browser. If it did not," if opened else "Could not open a browser;"
        io.notify(f"{lead} open this URL to sign in:\n\n  {request.url}\n")
        threading.Thread(target=read_paste, name="genesis-paste", daemon=True).start()
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                kind, value = results.get(timeout=remaining)
            except queue.Empty:
                break
            io.notify("")  # end the waiting prompt's line
            if kind == "error":
                raise value
            if kind == "code":
                return str(value)
            io.notify(str(value))  # a request the callback ignored, said why
        raise AuthError(
            f"no sign-in arrived within {timeout / 60:g} minutes",
            hint="run it again, or use --no-browser to paste the URL",
        )
    finally:
        stop_reading.set()
        server.close()


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
        if not (isinstance(username, str) and _USERNAME.fullmatch(username)):
            username = None
        profile_id = f"{provider.id}:{username}"
        if username is None or profile_id == provider.default_profile:  # that is the API key's
            profile_id = provider.oauth_fallback_profile
        if info is None:
            warn(
                f"could not read your {provider.display_name} username; the profile is "
                + provider.oauth_fallback_profile
            )
        profile = Profile(
            id=profile_id,
            type="oauth",
            provider=provider.id,
            access=tokens.access,
            refresh=tokens.refresh,
            expires_at=tokens.expires_at,
            client_id=client.client_id,
            client_secret=client.client_secret,
            scopes=tokens.scopes,
            username=username,
        )
        return profile, catalog.discover(provider, tokens.access)

    return onboard(provider, choices or Choices(), verify)
