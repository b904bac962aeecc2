"""The one place that talks to the terminal: results on stdout, the rest on stderr. Every
string leaves through ``text.terminal_safe`` or JSON escapes, never as rich markup; warnings
(``warning_log.warn``) are printed once each, before whatever is printed next."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from genesis_cli.text import one_line, terminal_safe
from genesis_cli.warning_log import take_warnings, warn

if TYPE_CHECKING:
    import threading

    from rich.console import Console, ConsoleOptions, RenderResult

PIPE_WIDTH = 200  # a pipe gets whole lines rather than rich's 80-column default
_warned: set[str] = set()  # the warnings this command has printed


def new_command() -> None:
    take_warnings()
    _warned.clear()


def print_warnings() -> None:
    """The warnings said since the last output, each once per command."""
    prefix = click.style("warning:", fg="yellow") if color_enabled(sys.stderr) else "warning:"
    for message in take_warnings():
        text = one_line(message)  # one line: a newline from outside cannot forge another
        if text not in _warned:
            _warned.add(text)
            click.echo(f"{prefix} {text}", err=True)


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
        # A stdout that is not UTF-8 (PYTHONIOENCODING=ascii, a C locale) gets '?' for what
        # it cannot hold (rich's '·', a name from the network) instead of a crash.
        encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
        if not encoding.startswith("utf") and hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="replace")

    def info(self, message: str, nl: bool = True) -> None:  # stderr: progress
        print_warnings()
        click.echo(terminal_safe(message), err=True, nl=nl)

    def warn(self, message: str) -> None:
        """A warning of the cli itself, printed now (``warning_log.warn`` below cli)."""
        warn(message)
        print_warnings()

    def error(self, message: str, hint: str | None = None) -> None:
        print_warnings()
        prefix = (
            click.style("error:", fg="red", bold=True) if color_enabled(sys.stderr) else "error:"
        )
        click.echo(f"{prefix} {one_line(message)}", err=True)
        if hint:
            click.echo(f"  {one_line(hint)}", err=True)

    def emit_json(self, document: Any) -> None:
        """One JSON document of records: indented on a terminal, one line otherwise (as gh;
        and json's C encoder only writes unindented). Characters a terminal would act on are
        ``\\uXXXX`` escapes (json escapes C0 itself; DEL, C1, bidi and surrogates are done here)."""
        import json

        from genesis_cli.records import to_json  # its dataclasses: only for --json

        print_warnings()
        indent = 2 if _is_tty(sys.stdout) else None
        text = json.dumps(to_json(document), indent=indent, ensure_ascii=False)
        if not text.replace("\n", "").isprintable():
            text = "".join(  # ASCII json spells a character outside the BMP as two escapes
                ch if ch == "\n" or ch.isprintable() else json.dumps(ch)[1:-1] for ch in text
            )
        click.echo(text)

    def line(self, text: str = "") -> None:
        """One line of a result: a newline from outside cannot start another."""
        print_warnings()
        click.echo(terminal_safe(text).replace("\n", " "))

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

    def plain_pipe(self) -> bool:
        """stdout is a pipe or file where ``console`` draws unstyled UTF-8, as ``line`` does."""
        encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
        return not _is_tty(sys.stdout) and encoding.startswith("utf")

    def console(self) -> Console:
        """A rich console on stdout that reads no markup and passes every renderable's text
        through ``terminal_safe``."""
        print_warnings()
        from rich.console import Console, RenderHook

        class Safe(RenderHook):
            def process_renderables(self, renderables: list[Any]) -> list[Any]:
                return [_Safe(r) for r in renderables]

        class PipeAware(Console):
            def on_broken_pipe(self) -> None:
                self.quiet = True
                raise BrokenPipeError  # ended quietly in one place, the cli entry point

        tty = _is_tty(sys.stdout)
        console = PipeAware(
            file=sys.stdout,
            no_color=not color_enabled(sys.stdout),
            highlight=False,
            markup=False,
            emoji=False,
            width=None if tty else PIPE_WIDTH,
            force_terminal=None if tty else False,
        )
        console.push_render_hook(Safe())
        return console

    def notify(self, text: str) -> None:  # with open_browser and read_line: how sign-in asks
        self.info(text)

    def open_browser(self, url: str) -> bool:
        import webbrowser

        try:
            return bool(webbrowser.open(url, new=1, autoraise=True))
        except (webbrowser.Error, OSError):
            return False

    def read_line(self, prompt: str, stop: threading.Event | None = None) -> str:
        """A line from stdin; ``EOFError`` at its end, or once ``stop`` is set while waiting."""
        self.info(prompt, nl=False)
        sys.stderr.flush()
        if stop is not None:
            import select

            try:
                fd: int | None = sys.stdin.fileno()
            except (AttributeError, ValueError, OSError):
                fd = None  # not a real file (tests' streams): read it as it is
            while fd is not None:
                if stop.is_set():
                    raise EOFError
                if select.select([fd], [], [], 0.2)[0]:
                    break
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line

    @contextlib.contextmanager
    def spinner(self, message: str) -> Iterator[None]:
        """A spinner on stderr while waiting, when stderr is a terminal."""
        print_warnings()
        if self.json_mode or not _is_tty(sys.stderr) or os.environ.get("TERM") == "dumb":
            yield
            return
        from rich.console import Console
        from rich.text import Text

        console = Console(file=sys.stderr, no_color=not color_enabled(sys.stderr))
        with console.status(Text(terminal_safe(message))) as status:
            self._status = status
            try:
                yield
            finally:
                self._status = None

    def confirm(self, question: str, default: bool = False) -> bool:
        """A yes/no question on stderr, pausing the spinner."""
        print_warnings()
        status = self._status
        if status is not None:
            status.stop()
        try:
            return bool(click.confirm(terminal_safe(question), default=default, err=True))
        finally:
            if status is not None:
                status.start()


class _Safe:
    """``inner`` drawn with every segment's text made terminal-safe."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        for segment in console.render(self.inner, options):
            yield Segment(terminal_safe(segment.text), segment.style)
