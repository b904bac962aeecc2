"""A click group whose subcommands are imported when used: `genesis auth token` loads the
token command's module, not onboarding's (start-up matters: other tools run it in loops)."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click
import click.formatting


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` without importing shutil (with bz2 and lzma,
    ~2 ms of ``--help``): ``$COLUMNS``, else the terminal on stdout, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", 0))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class HelpContext(click.Context):
    def make_formatter(self) -> click.HelpFormatter:
        """click's formatter, its width found as click finds it (``terminal_columns``)."""
        width = self.terminal_width
        if width is None and click.formatting.FORCED_WIDTH is None:
            most = 80 if self.max_content_width is None else self.max_content_width
            width = max(min(terminal_columns(), most) - 2, 50)
        return self.formatter_class(width=width, max_width=self.max_content_width)


class LazyGroup(click.Group):
    """``lazy`` maps a subcommand's name to ``("module:attribute", short help)``; the module
    is imported the first time the command is looked up (to run or complete it). The help
    listing shows the short help given here, so ``--help`` imports no command module
    (tests/test_lazy.py checks each matches its command's own)."""

    context_class = HelpContext

    def __init__(
        self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name][0].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, with a stand-in holding the declared short help for a command
        not imported yet."""
        listed: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = (
                click.Command(name, help=self.lazy[name][1])
                if name in self.lazy and name not in self.commands
                else self.get_command(ctx, name)
            )
            if command is not None and not command.hidden:
                listed.append((name, command))
        if listed:
            limit = formatter.width - 6 - max(len(name) for name, _ in listed)
            with formatter.section("Commands"):
                formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in listed])
