"""Assignments of environment variables for each shell genesis prints for (``genesis env``).

Each value is quoted so that any printable value comes back exactly: single quotes, the
only quoting none of these shells looks inside of, with each shell's own escape for the
quote itself. Values with control characters never get here (``text.sendable``).
"""

from __future__ import annotations

SHELLS = ("sh", "bash", "zsh", "fish", "powershell", "dotenv")
# Every character PowerShell ends a single-quoted string with: ' and the curly quotes.
_POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"


def quote(shell: str, value: str) -> str:
    if shell in ("bash", "zsh"):  # both read sh syntax
        shell = "sh"
    if shell == "sh":  # POSIX: nothing is special inside '...'; a ' ends it, so '\''
        return "'" + value.replace("'", "'\\''") + "'"
    if shell in ("fish", "dotenv"):  # fish and python-dotenv read only \\ and \' inside '...'
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if shell == "powershell":  # each quote character is written twice
        return "'" + "".join(ch * 2 if ch in _POWERSHELL_QUOTES else ch for ch in value) + "'"
    raise ValueError(f"unknown shell {shell!r}")


def assignment(shell: str, name: str, value: str) -> str:
    quoted = quote(shell, value)
    if shell in ("sh", "bash", "zsh"):
        return f"export {name}={quoted}"
    if shell == "fish":
        return f"set -gx {name} {quoted}"
    if shell == "powershell":
        return f"$env:{name} = {quoted}"
    return f"{name}={quoted}"
