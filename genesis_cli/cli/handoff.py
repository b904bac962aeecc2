"""Handing the credential to other tools: ``auth token``, ``env``, ``exec``. They print only
what was asked for on stdout and start fast: with a fresh credential, no HTTP client."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from genesis_cli.cli.params import ShellChoice, current, profile_option
from genesis_cli.cli.ui import UI, echo, print_warnings
from genesis_cli.errors import UsageError

if TYPE_CHECKING:
    from genesis_cli.providers import Provider

# How each shell genesis prints for assigns NAME to an already quoted VALUE.
ASSIGNMENTS = {
    "sh": "export {}={}",
    "bash": "export {}={}",
    "zsh": "export {}={}",
    "fish": "set -gx {} {}",
    "powershell": "$env:{} = {}",
    "dotenv": "{}={}",
}
# Every character PowerShell ends a single-quoted string with: ' and the curly quotes.
_POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"


def quote(shell: str, value: str) -> str:
    """``value`` in single quotes, the only quoting none of these shells looks inside of, with
    each shell's own escape for the quote: any printable value comes back exactly."""
    if shell in ("sh", "bash", "zsh"):  # POSIX: nothing is special inside '...'; a ' ends it
        return "'" + value.replace("'", "'\\''") + "'"
    if shell in ("fish", "dotenv"):  # fish and python-dotenv read only \\ and \' inside '...'
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    # PowerShell: each quote character is written twice
    return "'" + "".join(ch * 2 if ch in _POWERSHELL_QUOTES else ch for ch in value) + "'"


PROFILE_OPTION = profile_option("This stored profile instead of the active credential.")


def _secret(provider: Provider, profile_id: str | None) -> str:
    """The secret to hand on; exit 3 (stdout untouched) when there is none."""
    from genesis_cli.flows import credentials  # start-up: not for the commands' --help

    return credentials.required(provider, profile_id).secret


def _handed(provider: Provider, secret: str, provider_vars: bool = False) -> dict[str, str]:
    """The base URL and credential for OpenAI-compatible tools; with ``provider_vars``, the
    provider's own key variable too (``CHUTES_API_KEY``: opencode, LiteLLM)."""
    handed = {"OPENAI_BASE_URL": provider.base_url(), "OPENAI_API_KEY": secret}
    if provider_vars:
        handed[provider.api_key_env] = secret
    return handed


@click.command("token")
@PROFILE_OPTION
def token_command(profile_id: str | None) -> None:
    """Print the active credential alone on stdout (an OAuth token is refreshed first when due).

    Exits 3, printing nothing on stdout, when there is none.

    \b
    Examples:
      curl -H "Authorization: Bearer $(genesis auth token)" https://llm.chutes.ai/v1/models
      genesis auth token --profile chutes:alice
    """
    echo(_secret(current(), profile_id))


@click.command("env")
@click.option(
    "--shell",
    type=ShellChoice(list(ASSIGNMENTS)),
    default="sh",
    show_default=True,
    help="Whose syntax to print.",
)
@click.option(
    "--provider-vars",
    is_flag=True,
    help="Also print the provider's own key variable (CHUTES_API_KEY), which tools such as "
    "opencode read.",
)
@PROFILE_OPTION
def env_command(shell: str, provider_vars: bool, profile_id: str | None) -> None:
    """Print OPENAI_BASE_URL and OPENAI_API_KEY for other tools, as shell assignments.

    \b
    Examples:
      eval "$(genesis env)"                     # sh, bash, zsh
      eval "$(genesis env --provider-vars)"     # CHUTES_API_KEY too
      genesis env --shell fish | source
      genesis env --shell powershell | Invoke-Expression
      genesis env --shell dotenv > .env
    """
    provider = current()
    secret = _secret(provider, profile_id)
    for name, value in _handed(provider, secret, provider_vars).items():
        echo(ASSIGNMENTS[shell].format(name, quote(shell, value)))


class ExecCommand(click.Command):
    """``exec`` takes everything after ``--`` as the command, untouched; ``--`` is required,
    so an option meant for the command is never read as genesis's own."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" not in args and not set(args) & set(ctx.help_option_names):
            raise click.UsageError(
                "put the command after --: genesis exec [--profile ID] -- CMD [ARG...]", ctx
            )
        split = args.index("--") if "--" in args else len(args)
        ctx.meta["genesis_exec_command"] = args[split + 1 :]
        return super().parse_args(ctx, args[:split])

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*super().collect_usage_pieces(ctx), "--", "CMD", "[ARG]..."]


@click.command("exec", cls=ExecCommand)
@PROFILE_OPTION
def exec_command(profile_id: str | None) -> None:
    """Run CMD with OPENAI_BASE_URL, OPENAI_API_KEY and CHUTES_API_KEY set to the credential.

    CMD replaces genesis (its exit code and signals are its own); nothing else in the
    environment changes, except that those variables are overridden if set.

    \b
    Examples:
      genesis exec -- aider --model openai/zai-org/GLM-5.2-TEE
      genesis exec -- opencode run "explain this repository"
      genesis exec --profile chutes:alice -- python my_script.py
    """
    command: list[str] = click.get_current_context().meta["genesis_exec_command"]
    if not command:
        raise UsageError("no command after --", hint="genesis exec [--profile ID] -- CMD [ARG...]")
    provider = current()
    secret = _secret(provider, profile_id)
    import shutil  # ~2 ms (bz2, lzma): only exec looks a program up

    program = shutil.which(command[0]) if os.sep not in command[0] else command[0]
    if program is None or not os.path.exists(program):
        UI().error(f"{command[0]}: command not found")
        raise click.exceptions.Exit(127)
    env: dict[str, Any] = {**os.environ, **_handed(provider, secret, provider_vars=True)}
    print_warnings()  # now: genesis is gone once CMD runs
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None: genesis started with it closed (`>&-`)
            stream.flush()
    try:
        os.execve(program, command, env)
    except OSError as exc:
        UI().error(f"cannot run {command[0]}: {exc.strerror}")
        code = 127 if isinstance(exc, FileNotFoundError) else 126
        raise click.exceptions.Exit(code) from None
