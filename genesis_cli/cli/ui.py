"""The one place that writes to the terminal: stdout for results, stderr for the rest.

Knows about TTYs, ``NO_COLOR`` and ``--json``. rich is imported only when a table, panel or
spinner is actually drawn.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def color_enabled(stream: Any) -> bool:
    return _is_tty(stream) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


class UI:
    def __init__(self, json_mode: bool = False) -> None:
        self.json_mode = json_mode
        self._status: Any = None  # the spinner being drawn, if any

    # stderr: progress, warnings, errors
    def info(self, message: str) -> None:
        click.echo(message, err=True)

    def warn(self, message: str) -> None:
        prefix = click.style("warning:", fg="yellow") if color_enabled(sys.stderr) else "warning:"
        click.echo(f"{prefix} {message}", err=True)

    def error(self, message: str, hint: str | None = None) -> None:
        prefix = (
            click.style("error:", fg="red", bold=True) if color_enabled(sys.stderr) else "error:"
        )
        click.echo(f"{prefix} {message}", err=True)
        if hint:
            click.echo(f"  {hint}", err=True)

    # stdout: results
    def emit_json(self, document: dict[str, Any]) -> None:
        import json

        click.echo(json.dumps(document, indent=2, ensure_ascii=False))

    def line(self, text: str = "") -> None:
        click.echo(text)

    def summary(self, title: str, rows: list[tuple[str, str]]) -> None:
        """A titled block of label/value rows: a panel on a terminal, plain lines otherwise."""
        if not _is_tty(sys.stdout):
            self.line(title)
            for label, value in rows:
                self.line(f"  {label:<9} {value}")
            return
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        for label, value in rows:
            grid.add_row(Text(label), Text(value))  # values may hold text from the network
        panel = Panel(grid, title=Text(title), title_align="left", expand=False)
        self.console().print(panel)

    def console(self) -> Console:
        from rich.console import Console

        tty = _is_tty(sys.stdout)
        return Console(
            file=sys.stdout,
            no_color=not color_enabled(sys.stdout),
            highlight=False,
            emoji=False,
            # A pipe gets whole lines rather than rich's 80-column default.
            width=None if tty else 200,
            force_terminal=None if tty else False,
        )

    @contextlib.contextmanager
    def spinner(self, message: str) -> Iterator[None]:
        """A spinner on stderr while waiting, only when stderr is a terminal."""
        if self.json_mode or not _is_tty(sys.stderr) or os.environ.get("TERM") == "dumb":
            yield
            return
        from rich.console import Console
        from rich.text import Text

        console = Console(file=sys.stderr, no_color=not color_enabled(sys.stderr))
        with console.status(Text(message)) as status:
            self._status = status
            try:
                yield
            finally:
                self._status = None

    def confirm(self, question: str, default: bool = False) -> bool:
        """A yes/no question on stderr; a spinner being drawn is paused while it is asked."""
        status = self._status
        if status is not None:
            status.stop()
        try:
            return bool(click.confirm(question, default=default, err=True))
        finally:
            if status is not None:
                status.start()
