"""``genesis auth app create|show|delete``: the user's own Sign in app, through the provider's
app API (``Provider.apps``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from genesis_cli.errors import GenesisError
from genesis_cli.flows import credentials
from genesis_cli.providers import Provider
from genesis_cli.store import auth_store, vault
from genesis_cli.store.auth_store import OAuthApp
from genesis_cli.text import mask
from genesis_cli.warning_log import warn


def redirect_uri(provider: Provider, explicit: str | None) -> str:
    """``--redirect-uri`` beats ``<PREFIX>_OAUTH_REDIRECT_URI``, which beats the default."""
    from genesis_cli.oauth.protocol import check_redirect_uri  # oauth: only where needed

    env = os.environ.get(provider.redirect_uri_env, "").strip()
    default = provider.require_sign_in().default_redirect_uri
    return check_redirect_uri(provider, explicit or env or default)


def stored_app(provider: Provider) -> OAuthApp | None:
    """The stored app, its secret read from the keyring when it is kept there."""
    app = auth_store.load().clients.get(provider.id)
    if app is None or not app.secret_ref:
        return app
    secret = vault.resolve_ref(f"[clients.{provider.id}]", "client_secret", app.secret_ref)
    return app._replace(client_secret=secret)


def create(
    provider: Provider, api_key: str, *, name: str | None, uri: str, secret_store: str
) -> OAuthApp:
    """Register an app (a taken name is retried once, with a new random one) and store it at
    once: its secret is shown only now, so a keyring that fails afterwards leaves it in the file."""
    apps = provider.apps()
    auth_store.load()  # an unreadable store fails (exit 4) before the provider is asked
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
        provider.id, created.client_id, created.client_secret, created.app_id, uri, created.name
    )
    stored = app
    if secret_store == "keyring":
        entry = vault.entry_name(f"clients.{provider.id}", "client_secret")
        try:
            vault.put(entry, created.client_secret)
            stored = app._replace(client_secret="", secret_ref=vault.SecretRef.keyring(entry))
        except vault.KeyringUnavailable as exc:
            warn(f"{exc.message}; kept the app's secret in the auth store file instead")
    try:
        auth_store.set_client(provider.id, stored)
    except GenesisError as exc:
        raise GenesisError(
            f"{provider.display_name} created the app {created.app_id}, but genesis could not "
            f"store it: {exc.message}",
            hint=f"fix that, delete the app {created.app_id} with the {provider.display_name} "
            "API and run `genesis auth app create` again",
        ) from None
    return app


@dataclass
class AppReport:
    """The stored app as ``auth app show`` tells it, its secret masked."""

    name: str | None
    app_id: str | None
    client_id: str
    masked: str | None
    redirect_uri: str | None
    remote: str  # present | gone | unknown

    @classmethod
    def of(cls, app: OAuthApp, remote: str) -> AppReport:
        secret = mask(app.client_secret)
        return cls(app.name, app.app_id, app.client_id, secret, app.redirect_uri, remote)


def show(provider: Provider) -> AppReport | None:
    app = stored_app(provider)
    if app is None:
        return None
    remote = "unknown"
    if app.app_id:
        remote = provider.apps().remote_state(provider, credentials.api_key(provider), app.app_id)
    return AppReport.of(app, remote)


def delete(provider: Provider, api_key: str, app: OAuthApp) -> bool:
    """Delete the app at the provider, then the stored client. ``False`` when it had none."""
    existed = provider.apps().delete(provider, api_key, app.app_id) if app.app_id else False
    auth_store.set_client(provider.id, None)
    if app.secret_ref:
        vault.forget_ref(app.secret_ref)
    return existed
