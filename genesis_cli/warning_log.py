"""The warnings a command collects: said anywhere below ``cli`` with ``warn``, printed once
by ``cli.ui``. Apart from the records: printing them loads no dataclass (start-up)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

# Open collectors, outermost (the command's, which ``cli.ui`` prints) first, each with
# whether it passes warnings on outwards.
_collectors: list[tuple[list[str], bool]] = [([], True)]


def warn(message: str) -> None:
    """Tell the user something went less well than it could have: the innermost collector
    gets it and, unless it keeps them, the ones around it up to the command's."""
    for collected, pass_on in reversed(_collectors):
        collected.append(message)
        if not pass_on:
            return


@contextlib.contextmanager
def collect_warnings(pass_on: bool = True) -> Iterator[list[str]]:
    """The warnings said inside the block, in order; with ``pass_on`` false they stop here."""
    collected: list[str] = []
    _collectors.append((collected, pass_on))
    try:
        yield collected
    finally:
        _collectors.pop()


def take_warnings() -> list[str]:
    """The command's warnings said since the last call (``cli.ui`` prints them)."""
    command = _collectors[0][0]
    taken = list(command)
    command.clear()
    return taken
