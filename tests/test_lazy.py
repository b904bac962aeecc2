"""The lazy command tables: `--help` lists every command with its own short help, without
importing any command module."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from genesis_cli.cli import HelpContext, LazyGroup, cli
from genesis_cli.cli.auth import auth
from genesis_cli.text import terminal_columns


@pytest.mark.parametrize("group", [cli, auth], ids=["genesis", "auth"])
def test_declared_short_help_is_the_commands_own(group: LazyGroup) -> None:
    ctx = click.Context(group)
    for name, (_, declared) in group.lazy.items():
        command = group.get_command(ctx, name)
        assert command is not None
        stand_in = click.Command(name, help=declared)
        for limit in range(20, 130, 7):
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), name
        assert " ".join((command.help or "").split("\n\n")[0].split()) == declared, name


HELP_AND_IMPORTS = """
import json, sys, click
from click.testing import CliRunner
from genesis_cli.cli import cli
before = set(sys.modules)
lazy = CliRunner().invoke(cli, [*sys.argv[1:], "--help"], prog_name="genesis")
imported = sorted(m for m in set(sys.modules) - before if m.startswith("genesis_cli.cli."))
group = cli.get_command(click.Context(cli), sys.argv[1]) if sys.argv[1:] else cli
for name in group.list_commands(click.Context(group)):
    group.get_command(click.Context(group), name)  # every command loaded: click's own listing
loaded = CliRunner().invoke(cli, [*sys.argv[1:], "--help"], prog_name="genesis")
assert lazy.exit_code == loaded.exit_code == 0, (lazy.output, loaded.output)
print(json.dumps([lazy.output == loaded.output, imported]))
"""


@pytest.mark.parametrize(("argv", "group"), [([], cli), (["auth"], auth)], ids=["genesis", "auth"])
def test_help_imports_no_command_module_and_lists_the_same(
    argv: list[str], group: LazyGroup
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HELP_AND_IMPORTS, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    same, imported = json.loads(done.stdout)
    assert same
    listed = {target.partition(":")[0] for target, _ in group.lazy.values()}
    assert imported and not listed & set(imported) if argv else not imported


@pytest.mark.parametrize("columns", ["40", "79", "120", "300", "0", "-3", "wide", None])
def test_help_width_is_clicks_without_shutil(monkeypatch, columns: str | None) -> None:
    import shutil

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setattr(click.formatting, "FORCED_WIDTH", None)
    assert terminal_columns() == shutil.get_terminal_size().columns
    for most in (None, 60, 100):
        ours = HelpContext(cli, max_content_width=most).make_formatter()
        assert ours.width == click.HelpFormatter(max_width=most).width
