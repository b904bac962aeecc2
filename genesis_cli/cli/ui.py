"""The one place that talks to the terminal: results on stdout, the rest on stderr. Every
string leaves through ``text.terminal_safe`` or JSON escapes, all of it plain text through
click; warnings (``warning_log.warn``) are printed once each, before whatever is printed next."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from genesis_cli.text import one_line, terminal_columns, terminal_safe
from genesis_cli.warning_log import take_warnings, warn

if TYPE_CHECKING:
    import threading

PIPE_WIDTH = 200  # the width of a result in a pipe or file: whole lines, not 80 columns
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


class OutputError(OSError):
    """stdout refused a result (a full disk, an I/O error): no bug of genesis (``cli.main``)."""


def echo(text: str, **kwargs: Any) -> None:
    """``click.echo`` of a result; stdout failing (but for a closed pipe) is an ``OutputError``."""
    try:
        click.echo(text, **kwargs)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(exc.errno, exc.strerror) from None


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
        # A stdout that is not UTF-8 (PYTHONIOENCODING=ascii, a C locale) gets '?' for what
        # it cannot hold (the table's '─', a name from the network) instead of a crash.
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
        import json  # start-up: `auth token` and `env` write no JSON

        from genesis_cli.records import to_json  # its dataclasses: only for --json

        print_warnings()
        indent = 2 if _is_tty(sys.stdout) else None
        text = json.dumps(to_json(document), indent=indent, ensure_ascii=False)
        if not text.replace("\n", "").isprintable():
            text = "".join(  # ASCII json spells a character outside the BMP as two escapes
                ch if ch == "\n" or ch.isprintable() else json.dumps(ch)[1:-1] for ch in text
            )
        echo(text)

    def line(self, text: str = "", bold: bool = False) -> None:
        """One line of a result: a newline from outside cannot start another; ``bold`` only
        where colour is enabled."""
        print_warnings()
        text = terminal_safe(text).replace("\n", " ")
        text = click.style(text, bold=True) if bold and color_enabled(sys.stdout) else text
        echo(text, file=sys.stdout)  # not click's UTF-8 stand-in for an ASCII stdout

    def width(self) -> int:
        """The columns a result line may fill: the terminal's, or ``PIPE_WIDTH`` in a pipe."""
        return terminal_columns() if _is_tty(sys.stdout) else PIPE_WIDTH

    def summary(self, title: str, rows: list[tuple[str, str]]) -> None:
        """A titled block of label/value rows, as plain lines."""
        self.line(title, bold=True)
        for label, value in rows:
            self.line(f"  {label:<9} {value}")

    def notify(self, text: str) -> None:  # with open_browser and read_line: how sign-in asks
        self.info(text)

    def open_browser(self, url: str) -> bool:
        import webbrowser  # ~3 ms (subprocess, shutil): only a sign-in opens a browser

        try:
            return bool(webbrowser.open(url, new=1, autoraise=True))
        except (webbrowser.Error, OSError):
            return False

    def read_line(self, prompt: str, stop: threading.Event | None = None) -> str:
        """A line from stdin; ``EOFError`` at its end, or once ``stop`` is set while waiting."""
        self.info(prompt, nl=False)
        sys.stderr.flush()
        if stop is not None:
            import select  # a C extension to load: only sign-in waits with a stop

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
        """While waiting: ``message`` once on stderr, when stderr is a terminal (not --json)."""
        print_warnings()
        if not self.json_mode and _is_tty(sys.stderr) and os.environ.get("TERM") != "dumb":
            self.info(message)
        yield

    def confirm(self, question: str, default: bool = False) -> bool:
        """A yes/no question on stderr."""
        print_warnings()
        return bool(click.confirm(terminal_safe(question), default=default, err=True))
