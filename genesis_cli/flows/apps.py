"""``genesis auth app create|show|delete``: the user's own "Sign in with Chutes" app.

Chutes shows a new app's client secret only in the answer that creates it, so the app is
stored in the auth store (``[clients.chutes]``, mode 0600) the moment Chutes says 200.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from genesis_cli.errors import GenesisError
from genesis_cli.flows import credentials
from genesis_cli.oauth import apps
from genesis_cli.providers import Provider
from genesis_cli.store import auth_store, vault
from genesis_cli.store.auth_store import OAuthApp
from genesis_cli.text import mask

Warn = Callable[[str], None]


def redirect_uri(provider: Provider, explicit: str | None) -> str:
    """``--redirect-uri`` beats ``CHUTES_OAUTH_REDIRECT_URI``, which beats the default."""
    from genesis_cli.oauth.protocol import check_redirect_uri

    env = os.environ.get(provider.redirect_uri_env, "").strip()
    return check_redirect_uri(
        provider, explicit or env or provider.require_sign_in().default_redirect_uri
    )


def stored_app(provider: Provider, warn: Warn | None = None) -> OAuthApp | None:
    """The stored app, its secret read from the keyring when it is kept there."""
    app = auth_store.load().clients.get(provider.id)
    if app is None or not app.secret_ref:
        return app
    secret = vault.resolve_ref(f"[clients.{provider.id}]", "client_secret", app.secret_ref)
    return replace(app, client_secret=secret)


def create(
    provider: Provider,
    api_key: str,
    *,
    name: str | None,
    uri: str,
    warn: Warn | None = None,
    secret_store: str = "file",
) -> OAuthApp:
    """Register an app with Chutes and store it. On 409 (the name is taken by some Chutes
    user) it tries once more with a new random name. With ``secret_store="keyring"`` the
    client secret goes to the OS keyring, which is checked before Chutes is asked; if it
    fails after Chutes answered, the secret is kept in the file (Chutes shows it only once)."""
    auth_store.load()  # an unreadable store fails (exit 4) before Chutes is asked
    if secret_store == "keyring":
        vault.probe()
    try:
        created = apps.create(provider, api_key, name or apps.new_name(), uri)
    except apps.NameTaken:
        try:
            created = apps.create(provider, api_key, apps.new_name(), uri)
        except apps.NameTaken:
            raise GenesisError(
                f"{provider.display_name} says the app name is taken, twice",
                hint="pass another name with --name",
            ) from None
    app = OAuthApp(
        provider=provider.id,
        client_id=created.client_id,
        client_secret=created.client_secret,
        app_id=created.app_id,
        redirect_uri=uri,
        name=created.name,
    )
    stored = app
    if secret_store == "keyring":
        entry = vault.entry_name(f"clients.{provider.id}", "client_secret")
        try:
            vault.put(entry, created.client_secret)
            stored = replace(app, client_secret="", secret_ref=vault.SecretRef.keyring(entry))
        except vault.KeyringUnavailable as exc:
            if warn:
                warn(f"{exc.message}; kept the app's secret in the auth store file instead")
    try:
        auth_store.set_client(provider.id, stored)
    except GenesisError as exc:
        raise GenesisError(
            f"{provider.display_name} created the app {created.app_id}, but genesis could not "
            "store it: "
            f"{exc.message}",
            hint=f"fix that, delete the app (DELETE /idp/apps/{created.app_id}) and run "
            "`genesis auth app create` again",
        ) from None
    return app


@dataclass
class AppReport:
    app: OAuthApp
    remote: str  # present | gone | unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.app.name,
            "appId": self.app.app_id,
            "clientId": self.app.client_id,
            "masked": mask(self.app.client_secret),
            "redirectUri": self.app.redirect_uri,
            "remote": self.remote,
        }


def show(provider: Provider, warn: Warn | None = None) -> AppReport | None:
    app = stored_app(provider, warn)
    if app is None:
        return None
    remote = "unknown"
    if app.app_id:
        remote = apps.remote_state(provider, credentials.api_key(provider), app.app_id)
    return AppReport(app, remote)


def delete(provider: Provider, api_key: str, app: OAuthApp, warn: Warn | None = None) -> bool:
    """Delete the app at Chutes, then the stored client. ``False`` when Chutes had none."""
    existed = apps.delete(provider, api_key, app.app_id) if app.app_id else False
    auth_store.set_client(provider.id, None)
    if app.secret_ref:
        vault.forget_ref(app.secret_ref)
    return existed
