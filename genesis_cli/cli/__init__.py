"""Command-line entry point: parse, call one flow, render. Errors become exit codes here."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from genesis_cli import __version__
from genesis_cli.cli.ui import UI
from genesis_cli.errors import ExitCode, GenesisError


def _debug() -> bool:
    return os.environ.get("GENESIS_DEBUG", "") not in ("", "0")


def _print_traceback() -> None:
    import traceback  # ~7 ms: only on the error path

    traceback.print_exc()


class GenesisGroup(click.Group):
    """Turns genesis errors and interrupts into one stderr line and the README's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        ui = UI()
        try:
            return super().invoke(ctx)
        except GenesisError as exc:
            if _debug():
                _print_traceback()
            ui.error(exc.message, exc.hint)
            raise click.exceptions.Exit(int(exc.exit_code)) from None
        except (KeyboardInterrupt, click.exceptions.Abort):
            if _debug():
                _print_traceback()
            click.echo("", err=True)
            ui.error("interrupted")
            raise click.exceptions.Exit(int(ExitCode.INTERRUPTED)) from None
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:
            if _debug():
                _print_traceback()
            # The message of an unexpected exception may quote anything: name the type only.
            ui.error(
                f"unexpected {type(exc).__name__}; this is a bug in genesis",
                "rerun with GENESIS_DEBUG=1 for the traceback and report it",
            )
            raise click.exceptions.Exit(int(ExitCode.ERROR)) from None


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=GenesisGroup, context_settings=CONTEXT_SETTINGS)
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


def _register() -> None:
    from genesis_cli.cli import (
        account,
        apps,
        auth,
        completion,
        config,
        doctor,
        handoff,
        models,
        onboard,
    )

    cli.add_command(onboard.onboard)
    cli.add_command(models.models)
    auth.auth.add_command(onboard.onboard, name="login")  # `gh auth login` habits
    auth.auth.add_command(handoff.token_command)
    auth.auth.add_command(apps.app)
    cli.add_command(auth.auth)
    cli.add_command(handoff.env_command)
    cli.add_command(handoff.exec_command)
    cli.add_command(account.account)
    cli.add_command(config.config)
    cli.add_command(completion.completion_command)
    cli.add_command(doctor.doctor)


_register()


def main() -> None:
    try:
        cli.main(prog_name="genesis")
    except KeyboardInterrupt:  # outside any command (e.g. while parsing)
        sys.exit(int(ExitCode.INTERRUPTED))
