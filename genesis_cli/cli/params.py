"""What several commands share: the chosen provider, their options, and what the options'
values complete to (completion runs genesis on every <TAB>: local files only, no network)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from genesis_cli.cli.ui import UI, echo
from genesis_cli.text import shell_word

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from genesis_cli.providers import Provider

FC = TypeVar("FC", bound=Callable[..., Any])


def chosen_id(ctx: click.Context | None = None) -> str:
    """``genesis --provider ID``, ``$GENESIS_PROVIDER``, else Chutes."""
    from genesis_cli.providers import DEFAULT_ID  # start-up: not for --help or `completion`

    ctx = ctx or click.get_current_context(silent=True)
    value = ctx.find_root().params.get("provider") if ctx is not None else None
    return str(value or os.environ.get("GENESIS_PROVIDER", "").strip() or DEFAULT_ID)


def current(ctx: click.Context | None = None) -> Provider:
    from genesis_cli.providers import lookup  # start-up: as in chosen_id

    return lookup.get(chosen_id(ctx))


def complete_models(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    """Aliases and model refs: from the config, else what onboarding would register."""
    from click.shell_completion import CompletionItem  # only on <TAB>, not in every command

    try:
        # only on <TAB>, not in every command
        from genesis_cli import catalog, paths
        from genesis_cli.config import config_file

        provider = current(ctx)
        config = config_file.load(paths.config_path()).data
        aliases = {alias: ref for ref, alias in config_file.aliases(config).items()}
        aliases = aliases or provider.default_aliases()
        refs = [provider.ref(m.id) for m in catalog.resolve(provider, None, offline=True).models]
    except Exception:  # completion must never print a traceback into the shell
        return []
    items = [CompletionItem(a, help=f"alias of {r}") for a, r in aliases.items()]
    return _offered(items + [CompletionItem(r) for r in refs], incomplete)


def complete_profiles(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem  # only on <TAB>, not in every command

    try:
        from genesis_cli.store import auth_store  # only on <TAB>, not in every command

        profiles = auth_store.load().profiles
    except Exception:
        return []
    return _offered([CompletionItem(p.id, help=p.type) for p in profiles.values()], incomplete)


def _offered(items: list[CompletionItem], incomplete: str) -> list[CompletionItem]:
    """The candidates starting with ``incomplete`` made of plain words (``text.shell_word``)."""
    return [
        i
        for i in items
        if i.value.startswith(incomplete)
        and shell_word(i.value)
        and (i.help is None or all(shell_word(word) for word in i.help.split(" ")))
    ]


def profile_option(help: str) -> Callable[[FC], FC]:
    return click.option(
        "--profile", "profile_id", metavar="ID", shell_complete=complete_profiles, help=help
    )


def secret_store_option(help: str) -> Callable[[FC], FC]:
    return click.option(
        "--secret-store", type=click.Choice(["file", "keyring"]), default=None, help=help
    )


# A command's `--json` arrives as its UI (``ui.json_mode`` says which was asked for).
ui_option = click.option(
    "--json",
    "ui",
    is_flag=True,
    callback=lambda ctx, param, value: UI(value),
    help="Print one JSON document on stdout (indented on a terminal).",
)
model_argument = click.argument("ref_or_alias", required=False, shell_complete=complete_models)


class ShellChoice(click.Choice):  # type: ignore[type-arg]  # generic from click 8.2
    """A shell genesis has a script for; another one is one line naming the choices."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in self.choices:
            return value
        *first, last = self.choices
        raise click.UsageError(
            f"unknown shell {value!r}: choose {', '.join(map(str, first))} or {last}", ctx
        )


@click.command("completion")
@click.argument("shell", type=ShellChoice(("bash", "zsh", "fish")))
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    \b
    Install it:
      genesis completion bash > ~/.local/share/bash-completion/completions/genesis
      genesis completion zsh  > "${fpath[1]}/_genesis"
      genesis completion fish > ~/.config/fish/completions/genesis.fish
    """
    from click.shell_completion import get_completion_class  # only `completion` prints a script

    cls = get_completion_class(shell)
    assert cls is not None
    root = click.get_current_context().find_root().command
    echo(cls(root, {}, "genesis", "_GENESIS_COMPLETE").source())
