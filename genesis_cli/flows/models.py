"""``genesis models list``: the catalog joined with the config's aliases and default."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from genesis_cli import catalog, paths
from genesis_cli.config import config_file
from genesis_cli.providers import Provider
from genesis_cli.records import Catalog, Model, to_json


@dataclass
class ModelListing:
    catalog: Catalog
    default: str
    aliases: dict[str, list[str]]  # model ref -> alias names
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.catalog.provider,
            "source": self.catalog.source,
            "default": self.default,
            "warnings": self.warnings,
            "models": [self._model_json(m) for m in self.catalog.models],
        }

    def _model_json(self, model: Model) -> dict[str, Any]:
        model_ref = f"{self.catalog.provider}/{model.id}"
        fields = to_json(model)
        return {
            "ref": model_ref,
            "id": fields.pop("id"),
            "aliases": self.aliases.get(model_ref, []),
            **fields,
        }


def list_models(
    provider: Provider,
    credential: str | None,
    *,
    refresh: bool,
    offline: bool,
    fetching: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> ModelListing:
    config = config_file.load(paths.config_path()).data
    result = catalog.resolve(
        provider, credential, refresh=refresh, offline=offline, fetching=fetching
    )
    default = config_file.primary_model(config) or provider.default_model_ref()
    by_ref: dict[str, list[str]] = {}
    for model_ref, alias in config_file.aliases(config).items():
        by_ref.setdefault(model_ref, []).append(alias)
    if not config:
        # Not onboarded yet: show what onboarding would register.
        for alias, model_ref in provider.default_aliases().items():
            by_ref.setdefault(model_ref, []).append(alias)
    warnings = list(result.warnings)
    refs = {provider.ref(model_id) for model_id in result.ids()}
    if default not in refs:
        warnings.append(f"default model {default} is not in the {result.source} catalog")
    for model_ref, names in sorted(by_ref.items()):
        if provider.model_id(model_ref) is not None and model_ref not in refs:
            warnings.append(
                f"alias {', '.join(names)} points to {model_ref}, "
                f"which is not in the {result.source} catalog"
            )
    return ModelListing(catalog=result, default=default, aliases=by_ref, warnings=warnings)
