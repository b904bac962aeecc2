"""``genesis models list``: the catalog joined with the config's aliases and default."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from genesis_cli import catalog, paths
from genesis_cli.config import config_file
from genesis_cli.providers import Provider
from genesis_cli.records import Catalog, to_json
from genesis_cli.warning_log import collect_warnings, warn


@dataclass
class ModelListing:
    catalog: Catalog
    default: str
    aliases: dict[str, list[str]]  # model ref -> alias names
    warnings: list[str]

    def to_json(self) -> dict[str, object]:
        provider = self.catalog.provider
        return {
            "provider": provider,
            "source": self.catalog.source,
            "default": self.default,
            "warnings": self.warnings,
            "models": [
                {
                    "ref": f"{provider}/{model.id}",
                    "id": model.id,
                    "aliases": self.aliases.get(f"{provider}/{model.id}", []),
                    **to_json(model),  # its "id" keeps its place, second
                }
                for model in self.catalog.models
            ],
        }


def list_models(
    provider: Provider,
    *,
    refresh: bool,
    offline: bool,
    fetching: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> ModelListing:
    def secret() -> str | None:  # asked only with the network: a fresh cache spends nothing
        from genesis_cli.flows import credentials  # start-up: nor is it loaded for one

        credential = credentials.active(provider)
        return credential.secret if credential else None

    config = config_file.load(paths.config_path()).data
    default = config_file.primary_model(config) or provider.default_model_ref()
    by_ref: dict[str, list[str]] = {}
    # Not onboarded yet (no config): show what onboarding would register.
    registered = [(ref, alias) for alias, ref in provider.default_aliases().items()]
    for model_ref, alias in config_file.aliases(config).items() if config else registered:
        by_ref.setdefault(model_ref, []).append(alias)
    with collect_warnings() as warnings:
        found = catalog.resolve(
            provider, secret, refresh=refresh, offline=offline, fetching=fetching
        )
        refs = {provider.ref(model_id) for model_id in found.ids()}
        if default not in refs:
            warn(f"default model {default} is not in the {found.source} catalog")
        for model_ref, names in sorted(by_ref.items()):
            if provider.model_id(model_ref) is not None and model_ref not in refs:
                warn(
                    f"alias {', '.join(names)} points to {model_ref}, "
                    f"which is not in the {found.source} catalog"
                )
    return ModelListing(catalog=found, default=default, aliases=by_ref, warnings=warnings)
