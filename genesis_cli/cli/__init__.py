"""Command-line entry point: parse, call one flow, render. Errors become exit codes here.
Subcommands' modules are imported when used: `auth token` loads no onboarding code."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Any, NoReturn

import click
import click.formatting

from genesis_cli import __version__
from genesis_cli.text import terminal_columns, terminal_safe, unsecret


class HelpContext(click.Context):
    def make_formatter(self) -> click.HelpFormatter:
        """click's formatter, its width found as click finds it."""
        width = self.terminal_width
        if width is None and click.formatting.FORCED_WIDTH is None:
            most = 80 if self.max_content_width is None else self.max_content_width
            width = max(min(terminal_columns(), most) - 2, 50)
        return self.formatter_class(width=width, max_width=self.max_content_width)


class LazyGroup(click.Group):
    """``lazy`` maps a subcommand to ``("module:attribute", short help)``, the module under
    ``genesis_cli.cli``, imported when the command is looked up; ``--help`` lists the short
    help given here (tests/test_lazy.py checks it is the command's own)."""

    context_class = HelpContext

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = {name: (f"{__name__}.{at}", short) for name, (at, short) in lazy.items()}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name][0].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, with a stand-in for a command not imported yet."""
        listed: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = (
                click.Command(name, help=self.lazy[name][1])
                if name in self.lazy and name not in self.commands
                else self.get_command(ctx, name)
            )
            if command is not None and not command.hidden:
                listed.append((name, command))
        limit = formatter.width - 6 - max(len(name) for name, _ in listed)
        with formatter.section("Commands"):
            formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in listed])


def _traceback_if_asked() -> None:
    """With GENESIS_DEBUG set, the traceback on stderr, filtered and redacted like all output."""
    if os.environ.get("GENESIS_DEBUG", "") not in ("", "0"):
        import traceback  # ~7 ms: only on the error path

        # start-up: --help and --version load neither
        from genesis_cli.cli.params import current
        from genesis_cli.providers import lookup

        prefixes = lookup.get("chutes").token_prefixes
        with contextlib.suppress(Exception):  # an unknown provider (maybe the error shown)
            prefixes += current().token_prefixes
        text = unsecret(traceback.format_exc(), (), tuple(dict.fromkeys(prefixes)))
        sys.stderr.write(terminal_safe(text))


def _stdout_failed(error: OSError) -> NoReturn:
    """stdout's reader went away (``| head -1``): end as SIGPIPE would; stdout refused the
    output otherwise (``>/dev/full``): one error line, exit 1. What is still buffered is sent
    to /dev/null so the flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests' streams)
        pass
    if isinstance(error, BrokenPipeError):
        raise SystemExit(141)
    from genesis_cli.cli.ui import UI  # start-up: see GenesisGroup.invoke

    UI().error(f"cannot write the output: {error.strerror or type(error).__name__}")
    raise SystemExit(1)


def _usage_error(exc: click.UsageError) -> Exception:
    """click's usage error as one ``error:`` line and the next step (a bare group: its help)."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return exc
    from genesis_cli.cli.ui import UI  # start-up: see GenesisGroup.invoke

    command = exc.ctx.command_path if exc.ctx is not None else "genesis"
    UI().error(exc.format_message(), f"see `{command} --help`")
    return click.exceptions.Exit(exc.exit_code)


class GenesisGroup(LazyGroup):
    """Turns genesis errors and interrupts into one stderr line and the README's exit code."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _usage_error(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        # Here, not at the top: `--help` and `--version` end before invoke, without them.
        from genesis_cli.cli.ui import UI, OutputError, new_command, print_warnings
        from genesis_cli.errors import ExitCode, GenesisError

        new_command()
        ui = UI()  # stdout that is not UTF-8 gets '?' for what it cannot hold, in every command
        try:
            result = super().invoke(ctx)
            print_warnings()
            return result
        except click.UsageError as exc:
            raise _usage_error(exc) from None
        except (BrokenPipeError, OutputError) as exc:
            _stdout_failed(exc)
        except GenesisError as exc:
            _traceback_if_asked()
            ui.error(exc.message, exc.hint)
            raise click.exceptions.Exit(int(exc.exit_code)) from None
        except (KeyboardInterrupt, click.exceptions.Abort):
            _traceback_if_asked()
            click.echo("", err=True)
            ui.error("interrupted")
            raise click.exceptions.Exit(int(ExitCode.INTERRUPTED)) from None
        except (click.exceptions.Exit, click.ClickException):
            print_warnings()
            raise
        except Exception as exc:
            _traceback_if_asked()
            # The message of an unexpected exception may quote anything: name the type only.
            ui.error(
                f"unexpected {type(exc).__name__}; this is a bug in genesis",
                "rerun with GENESIS_DEBUG=1 for the traceback and report it",
            )
            raise click.exceptions.Exit(int(ExitCode.ERROR)) from None


# name: ("module:attribute" under genesis_cli.cli, the short help `--help` shows).
COMMANDS = {
    "onboard": (
        "onboard:onboard",
        "Sign in to Chutes, discover the model catalog, and write the config.",
    ),
    "models": ("models:models", "Show the model catalog and choose the default model."),
    "auth": ("auth:auth", "Inspect, refresh and remove stored credentials."),
    "env": (
        "handoff:env_command",
        "Print OPENAI_BASE_URL and OPENAI_API_KEY for other tools, as shell assignments.",
    ),
    "exec": (
        "handoff:exec_command",
        "Run CMD with OPENAI_BASE_URL, OPENAI_API_KEY and CHUTES_API_KEY set to the credential.",
    ),
    "account": (
        "info:account",
        "Show the signed-in Chutes account: username, balance, subscription and quota use.",
    ),
    "config": ("info:config", "Where genesis keeps its files."),
    "completion": ("params:completion", "Print the shell completion script for bash, zsh or fish."),
    "doctor": (
        "info:doctor",
        "Check files, credentials, network, clock and proxy settings; exit 1 if any check fails.",
    ),
}


@click.group(
    cls=GenesisGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    lazy=COMMANDS,
)
@click.version_option(__version__, "-V", "--version", prog_name="genesis")
@click.option(
    "--provider",
    metavar="ID",
    envvar="GENESIS_PROVIDER",
    help="The provider to act on (default: $GENESIS_PROVIDER, else chutes).",
)
def cli(provider: str | None) -> None:
    """Set up LLM providers from the command line, starting with Chutes.

    \b
    Get started:
      genesis onboard --auth-choice chutes          # Sign in with Chutes (browser)
      genesis onboard --auth-choice chutes-api-key  # store an API key
      genesis models list                           # the model catalog
    """


def main() -> None:
    try:
        try:
            cli.main(prog_name="genesis")
        finally:
            if sys.stdout is not None:  # None: started with stdout closed (`>&-`), output dropped
                sys.stdout.flush()  # here, where a closed pipe can still be handled
    except OSError as exc:  # outside a command (--help, --version) or at the last flush
        _stdout_failed(exc)
    except KeyboardInterrupt:  # outside any command (e.g. while parsing)
        from genesis_cli.errors import ExitCode  # start-up: not for --help and --version

        sys.exit(int(ExitCode.INTERRUPTED))
