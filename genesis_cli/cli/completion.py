"""Shell completion: ``genesis completion bash|zsh|fish`` and what arguments complete to.

Completion runs genesis itself for every <TAB>, so it reads only local files (the config,
the catalog cache or the bundled catalog, the auth store) and never the network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

COMPLETION_SHELLS = ("bash", "zsh", "fish")
FC = TypeVar("FC", bound=Callable[..., Any])


def complete_models(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    """Aliases and model refs: from the config, else what onboarding would register."""
    from click.shell_completion import CompletionItem  # only on <TAB>, not in every command

    try:
        from genesis_cli import catalog, paths
        from genesis_cli.cli.provider import current
        from genesis_cli.config import config_file

        provider = current(ctx)
        config = config_file.load(paths.config_path()).data
        aliases = {alias: ref for ref, alias in config_file.aliases(config).items()}
        aliases = aliases or provider.default_aliases()
        refs = [provider.ref(m.id) for m in catalog.resolve(provider, None, offline=True).models]
    except Exception:  # completion must never print a traceback into the shell
        return []
    items = [CompletionItem(a, help=f"alias of {r}") for a, r in aliases.items()]
    items += [CompletionItem(r) for r in refs]
    return offered(items, incomplete)


def complete_profiles(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem  # only on <TAB>, not in every command

    try:
        from genesis_cli.store import auth_store

        profiles = auth_store.load().profiles
    except Exception:
        return []
    return offered([CompletionItem(p.id, help=p.type) for p in profiles.values()], incomplete)


def offered(items: list[CompletionItem], incomplete: str) -> list[CompletionItem]:
    """The candidates that start with ``incomplete`` and that a shell can take as one plain
    word (``text.shell_word``), with a help made of such words: a value from the config,
    the store or the network that holds anything else (``$(...)``, quotes) is never offered."""
    from genesis_cli.text import shell_word

    return [
        i
        for i in items
        if i.value.startswith(incomplete)
        and shell_word(i.value)
        and (i.help is None or all(shell_word(word) for word in i.help.split(" ")))
    ]


def profile_option(help: str) -> Callable[[FC], FC]:
    """``--profile ID``, completing to the stored profile ids."""
    return click.option(
        "--profile", "profile_id", metavar="ID", shell_complete=complete_profiles, help=help
    )


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
@click.argument("shell", type=ShellChoice(COMPLETION_SHELLS))
def completion_command(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    \b
    Install it:
      genesis completion bash > ~/.local/share/bash-completion/completions/genesis
      genesis completion zsh  > "${fpath[1]}/_genesis"
      genesis completion fish > ~/.config/fish/completions/genesis.fish
    """
    from click.shell_completion import get_completion_class

    from genesis_cli.cli import cli

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(cli, {}, "genesis", "_GENESIS_COMPLETE").source())
