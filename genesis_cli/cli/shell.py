"""Assignments of environment variables for each shell genesis prints for (``genesis env``).

Each value is quoted so that any printable value comes back exactly: single quotes, the
only quoting none of these shells looks inside of, with each shell's own escape for the
quote itself. Values with control characters never get here (``records.sendable``).
"""

from __future__ import annotations

SHELLS = ("sh", "fish", "powershell", "dotenv")


def quote(shell: str, value: str) -> str:
    if shell == "sh":  # POSIX: nothing is special inside '...'; a ' ends it, so '\''
        return "'" + value.replace("'", "'\\''") + "'"
    if shell in ("fish", "dotenv"):  # fish and python-dotenv read only \\ and \' inside '...'
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if shell == "powershell":  # a ' is written twice
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"unknown shell {shell!r}")


def assignment(shell: str, name: str, value: str) -> str:
    quoted = quote(shell, value)
    if shell == "sh":
        return f"export {name}={quoted}"
    if shell == "fish":
        return f"set -gx {name} {quoted}"
    if shell == "powershell":
        return f"$env:{name} = {quoted}"
    return f"{name}={quoted}"
