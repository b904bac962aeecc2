"""Command-line entry point: parse, call one flow, render. Errors become exit codes here."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, NoReturn

import click

from genesis_cli import __version__
from genesis_cli.cli.lazy import LazyGroup


def _traceback_if_asked() -> None:
    """With GENESIS_DEBUG set, the traceback on stderr: its messages may quote a server (a
    proxy's status line) or a setting, so it passes the terminal filter and the redaction of
    the provider's key and token shapes like all other output (its lines kept)."""
    if os.environ.get("GENESIS_DEBUG", "") not in ("", "0"):
        import traceback  # ~7 ms: only on the error path

        from genesis_cli.cli.provider import current
        from genesis_cli.providers import lookup
        from genesis_cli.text import terminal_safe, unsecret

        prefixes = lookup.get("chutes").token_prefixes
        with contextlib.suppress(Exception):  # an unknown provider (maybe the error shown)
            prefixes += current().token_prefixes
        text = unsecret(traceback.format_exc(), (), tuple(dict.fromkeys(prefixes)))
        sys.stderr.write(terminal_safe(text))


def _closed_pipe() -> NoReturn:
    """The reader of stdout went away (``genesis auth status | head -1``): end quietly, as
    a program killed by SIGPIPE would. Whatever is still buffered goes to /dev/null, so the
    flush at exit cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests' streams)
        pass
    raise SystemExit(141)


def _usage_error(exc: click.UsageError) -> Exception:
    """click's usage error as genesis prints every error: one ``error:`` line and the next
    step (not click's usage block); exit 2. A bare group (``genesis models``) still shows
    its help."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return exc
    from genesis_cli.cli.ui import UI  # start-up: see GenesisGroup.invoke

    command = exc.ctx.command_path if exc.ctx is not None else "genesis"
    UI().error(exc.format_message(), f"see `{command} --help`")
    return click.exceptions.Exit(exc.exit_code)


class GenesisGroup(LazyGroup):
    """Turns genesis errors and interrupts into one stderr line and the README's exit code."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _usage_error(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        # Here, not at the top: `--help` and `--version` end before invoke, without them.
        from genesis_cli.cli.ui import UI, new_command, print_warnings
        from genesis_cli.errors import ExitCode, GenesisError

        new_command()
        ui = UI()
        try:
            result = super().invoke(ctx)
            print_warnings()
            return result
        except click.UsageError as exc:
            raise _usage_error(exc) from None
        except BrokenPipeError:
            _closed_pipe()
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


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# name: ("module:attribute", the command's short help, shown by `genesis --help` without
# importing the module; tests/test_lazy.py checks it against the command's own).
COMMANDS = {
    "onboard": (
        "genesis_cli.cli.onboard:onboard",
        "Sign in to Chutes, discover the model catalog, and write the config.",
    ),
    "models": (
        "genesis_cli.cli.models:models",
        "Show the model catalog and choose the default model.",
    ),
    "auth": ("genesis_cli.cli.auth:auth", "Inspect, refresh and remove stored credentials."),
    "env": (
        "genesis_cli.cli.handoff:env_command",
        "Print OPENAI_BASE_URL and OPENAI_API_KEY for other tools, as shell assignments.",
    ),
    "exec": (
        "genesis_cli.cli.handoff:exec_command",
        "Run CMD with OPENAI_BASE_URL, OPENAI_API_KEY and CHUTES_API_KEY set to the credential.",
    ),
    "account": (
        "genesis_cli.cli.account:account",
        "Show the signed-in Chutes account: username, balance, subscription and quota use.",
    ),
    "config": ("genesis_cli.cli.config:config", "Where genesis keeps its files."),
    "completion": (
        "genesis_cli.cli.completion:completion_command",
        "Print the shell completion script for bash, zsh or fish.",
    ),
    "doctor": (
        "genesis_cli.cli.doctor:doctor",
        "Check files, credentials, network, clock and proxy settings; exit 1 if any check fails.",
    ),
}


@click.group(cls=GenesisGroup, context_settings=CONTEXT_SETTINGS, lazy=COMMANDS)
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
            sys.stdout.flush()  # here, where a closed pipe can still be handled
    except BrokenPipeError:
        _closed_pipe()
    except KeyboardInterrupt:  # outside any command (e.g. while parsing)
        from genesis_cli.errors import ExitCode

        sys.exit(int(ExitCode.INTERRUPTED))
