"""Exit codes and the one error type the CLI turns into them."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH = 3
    CONFIG = 4
    PROVIDER = 5
    UNVERIFIED = 6
    INTERRUPTED = 130


class GenesisError(Exception):
    """An error with a one-line message and, where there is one, the next step to take."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(GenesisError):
    exit_code = ExitCode.USAGE


class AuthError(GenesisError):
    exit_code = ExitCode.AUTH


class ConfigError(GenesisError):
    """The config file or auth store is unreadable or invalid; nothing was written."""

    exit_code = ExitCode.CONFIG


class ProviderError(GenesisError):
    """The provider refused, not for the credential (no such model, payment, rate, capacity)."""

    exit_code = ExitCode.PROVIDER


class NetworkError(GenesisError):
    """A request failed before a usable answer arrived (refused, reset, timed out, too big)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        hint = hint or "check the network and HTTPS_PROXY / NO_PROXY (`genesis doctor` tests both)"
        super().__init__(message, hint)


class UnverifiedError(GenesisError):
    """TEE evidence was sought and nothing verified (no TEE model, instance, or none passed)."""

    exit_code = ExitCode.UNVERIFIED
