"""Local or remote sign-in: each signal on its own."""

from __future__ import annotations

import pytest

from genesis_cli.flows.signin import detect_remote

DESKTOP = {"DISPLAY": ":0"}


def test_a_linux_desktop_is_local() -> None:
    assert detect_remote(DESKTOP, "linux") is None


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("SSH_CLIENT", "SSH"),
        ("SSH_TTY", "SSH"),
        ("SSH_CONNECTION", "SSH"),
        ("CODESPACES", "Codespace"),
        ("REMOTE_CONTAINERS", "dev container"),
    ],
)
def test_each_remote_signal_is_named(name, words) -> None:
    reason = detect_remote({**DESKTOP, name: "1"}, "linux")
    assert reason is not None and words in reason and name in reason


def test_linux_without_a_display_is_remote() -> None:
    assert "no graphical display" in (detect_remote({}, "linux") or "")


def test_wayland_counts_as_a_display() -> None:
    assert detect_remote({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None


def test_wsl_without_display_is_local() -> None:
    assert detect_remote({"WSL_DISTRO_NAME": "Ubuntu"}, "linux") is None


def test_an_explicit_browser_command_counts_as_a_usable_browser() -> None:
    assert detect_remote({"BROWSER": "/usr/bin/chromium %s"}, "linux") is None


def test_macos_needs_no_display_variable() -> None:
    assert detect_remote({}, "darwin") is None


def test_ssh_wins_even_with_a_display() -> None:
    assert detect_remote({"DISPLAY": ":0", "SSH_TTY": "/dev/pts/1"}, "linux") is not None
