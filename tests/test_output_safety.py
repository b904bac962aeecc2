"""Nothing from outside reaches the terminal as it came: every output path (text, --json,
errors, warnings) removes control characters, escape sequences and bidi overrides, and prints
markup literally."""

from __future__ import annotations

import json
import re
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genesis_cli.cli.ui import UI
from tests.helpers import GOOD_KEY, finish, invoke, spawn_genesis, store_profiles
from tests.servers import LocalServer, QuietHandler

# What a hostile server, config or environment could slip into text genesis prints.
ESCAPES = [
    "\x1b[31m",  # SGR
    "\x1b[2J\x1b[H",  # clear screen, cursor home
    "\x1b]8;;https://evil.example/\x07click here\x1b]8;;\x07",  # OSC 8 link (BEL)
    "\x1b]8;;https://evil.example/\x1b\\x\x1b]8;;\x1b\\",  # OSC 8 link (ST)
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",  # OSC 52: write the clipboard
    "\x1b]0;title\x07",
    "\x1bP1$r\x1b\\",  # DCS
    "\x9b31m",  # C1 CSI
    "\x9d8;;https://evil.example/\x9c",  # C1 OSC ... ST
    "\x1bc",  # reset
    "\x1b",
]
CONTROLS = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
BIDI += ["\u200e", "\u200f", "\u061c"]
MARKUP = ["[bold]", "[/bold]", "[link=https://evil.example]", "[/link]", "[/x]", "[red on blue]"]

RELAXED: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}

hostile = st.lists(
    st.sampled_from(ESCAPES + CONTROLS + BIDI + MARKUP) | st.text(min_size=1, max_size=4),
    min_size=1,
    max_size=8,
).map("".join)


def unsafe(text: str) -> list[str]:
    """Characters a terminal would act on: every C0 (but newline), DEL, C1, bidi control,
    and any other character Python does not call printable (format, surrogate)."""
    return [ch for ch in text if ch != "\n" and not ch.isprintable()]


def assert_clean(*outputs: str | bytes) -> None:
    for output in outputs:
        text = output.decode("utf-8", "surrogateescape") if isinstance(output, bytes) else output
        assert unsafe(text) == [], f"unsafe characters reached the terminal: {text!r}"


# UI: the one place output leaves genesis.


@settings(max_examples=150, **RELAXED)
@given(text=hostile)
def test_every_ui_path_removes_controls(text: str, capfd) -> None:
    capfd.readouterr()
    ui = UI()
    ui.line(f"line {text}")
    ui.info(f"info {text}")
    ui.warn(f"warn {text}")
    ui.error(f"error {text}", hint=f"hint {text}")
    ui.summary(f"title {text}", [("label", f"value {text}"), (text[:9], "x")])
    out, err = capfd.readouterr()
    assert_clean(out, err)


@settings(max_examples=150, **RELAXED)
@given(text=hostile)
def test_json_output_is_safe_for_a_terminal_and_still_the_same_data(text: str, capfd) -> None:
    capfd.readouterr()
    UI(json_mode=True).emit_json({"value": text, "list": [text], text[:20]: 1})
    out = capfd.readouterr().out
    assert_clean(out)
    assert json.loads(out) == {"value": text, "list": [text], text[:20]: 1}


def test_markup_from_outside_is_printed_literally(capfd) -> None:
    UI().summary("[red]z[/red]", [("a", "[link=https://evil.example]x[/link] [bold]y[/bold]")])
    out = capfd.readouterr().out
    assert "[link=https://evil.example]x[/link] [bold]y[/bold]" in out
    assert "[red]z[/red]" in out


def test_each_warning_is_printed_once_per_command(capfd) -> None:
    ui = UI()
    for _ in range(3):
        ui.warn("the same thing")
        UI().warn("the same thing")
    assert capfd.readouterr().err.count("the same thing") == 1


# Commands end to end, with hostile values from the config, the network and the environment.

EVIL = "x\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]8;;https://evil.example/\x07y\u202e[bold]z"


def write_config(state: Path, default: str, alias: str) -> None:
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    document = {
        "agents": {
            "defaults": {
                "model": {"primary": default},
                "models": {default: {"alias": alias}},
            }
        }
    }
    path = state / "genesis.json"
    path.write_text(json.dumps(document))
    path.chmod(0o600)


@pytest.mark.parametrize("args", [["models", "list"], ["models", "list", "--json"]])
def test_config_strings_are_clean_in_text_json_and_warnings(state_dir, args) -> None:
    write_config(state_dir, f"chutes/{EVIL}", EVIL)
    result = invoke(*args, "--offline")
    assert result.exit_code == 0, result.output
    assert_clean(result.stdout_bytes, result.stderr_bytes)
    assert "[bold]z" in result.stderr  # markup shown as it is, in the warning


@settings(max_examples=25, **RELAXED)
@given(text=hostile)
def test_any_config_string_is_clean_in_every_output(text: str, state_dir) -> None:
    write_config(state_dir, f"chutes/{text}", text)
    for args in (["models", "list"], ["models", "list", "--json"], ["models", "default"]):
        result = invoke(*args, "--offline") if args[1] == "list" else invoke(*args)
        assert_clean(result.stdout_bytes, result.stderr_bytes)
    # Errors that quote what they were given, including click's own usage errors.
    for args in (
        ["auth", "token", "--profile", text],
        ["models", "test", f"chutes/{text}x", "--json"],
        ["models", "default", text, "--json"],
        ["env", "--shell", text],
        [f"--{text}"],
    ):
        result = invoke(*args)
        assert_clean(result.stdout_bytes, result.stderr_bytes)


def test_a_newline_from_outside_cannot_forge_another_warning_or_error(state_dir) -> None:
    write_config(state_dir, "chutes/x\nerror: forged", "a\r\nwarning: forged")
    result = invoke("models", "list", "--offline")
    assert result.stderr and all(
        line.startswith("warning: ") for line in result.stderr.splitlines()
    ), result.stderr


def test_a_result_line_stays_one_line(state_dir) -> None:
    write_config(state_dir, "chutes/x\nok: forged", "a")
    result = invoke("models", "default")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1, result.stdout


def test_a_hostile_retry_after_is_ignored_and_never_printed(models_server, state_dir) -> None:
    models_server.mode = "429"
    models_server.retry_after = "30\x1b]52;c;ZWNobyBwd25lZA==\x07"
    result = invoke("models", "list", "--refresh", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0
    assert_clean(result.stdout_bytes, result.stderr_bytes)
    assert "ZWNobyBwd25lZA" not in result.stderr
    assert "HTTP 429" in result.stderr


@pytest.mark.parametrize(
    ("header", "shown"),
    [("30", "retry after 30s"), ("Wed, 21 Oct 2015 07:28:00 GMT", "retry after"), ("soon", None)],
)
def test_retry_after_is_delta_seconds_or_an_http_date(models_server, header, shown) -> None:
    models_server.mode = "429"
    models_server.retry_after = header
    result = invoke("models", "list", "--refresh", env={"CHUTES_API_KEY": GOOD_KEY})
    if shown is None:
        assert "retry after" not in result.stderr and header not in result.stderr
    else:
        assert shown in result.stderr


def test_a_model_test_error_detail_is_clean(models_server, state_dir) -> None:
    models_server.chat_error = (404, {"detail": f"no such model {EVIL}"})
    result = invoke("models", "test", "--json", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 5
    assert_clean(result.stdout_bytes, result.stderr_bytes)
    result = invoke("models", "test", env={"CHUTES_API_KEY": GOOD_KEY})
    assert_clean(result.stdout_bytes, result.stderr_bytes)
    assert "[bold]z" in result.stdout


class TokenEndpoint(LocalServer):
    """An OAuth token endpoint that answers every POST with ``answer`` (status, JSON body)."""

    def __init__(self) -> None:
        self.answer: tuple[int, Any] = (400, {"error": "invalid_grant"})
        outer = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, body = outer.answer
                self.reply(status, json.dumps(body).encode())

        handler: type[BaseHTTPRequestHandler] = Handler
        super().__init__(handler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/idp"


def store_profile(refresh: str) -> None:
    from genesis_cli.store.auth_store import Profile

    profile = Profile(
        id="chutes:alice",
        type="oauth",
        provider="chutes",
        access="cak_" + "a" * 40,
        refresh=refresh,
        expires_at=int(time.time()) - 10,
        client_id="cid_" + "c" * 20,
        client_secret="csc_" + "s" * 30,
        scopes=("openid",),
        username="alice",
    )
    store_profiles(profile)


@pytest.mark.parametrize("field", ["error", "error_description"])
def test_token_endpoint_error_text_is_clean(state_dir, monkeypatch, field) -> None:
    store_profile("crt_" + "r" * 40)
    with TokenEndpoint().running() as server:
        assert isinstance(server, TokenEndpoint)
        monkeypatch.setenv("CHUTES_OAUTH_BASE_URL", server.base_url)
        body = {"error": "invalid_request", "error_description": "nope"}
        body[field] = EVIL
        server.answer = (400, body)
        result = invoke("auth", "refresh")
    assert result.exit_code != 0
    assert_clean(result.stdout_bytes, result.stderr_bytes)


def test_a_secret_is_redacted_before_the_text_is_cut_short(state_dir, monkeypatch) -> None:
    refresh = "r" + "0123456789" * 5  # no known token prefix: only redaction can hide it
    store_profile(refresh)
    with TokenEndpoint().running() as server:
        assert isinstance(server, TokenEndpoint)
        monkeypatch.setenv("CHUTES_OAUTH_BASE_URL", server.base_url)
        for pad in range(120, 260):
            # At some pad, wherever genesis cuts the text short, the cut drops its last char.
            server.answer = (
                400,
                {"error": "invalid_request", "error_description": "x" * pad + refresh},
            )
            result = invoke("auth", "refresh")
            assert "xxxxx" in result.output  # the description is shown...
            assert refresh[:20] not in result.output, result.output  # ...the secret is not


def test_on_a_real_terminal_only_colour_sequences_arrive(state_dir) -> None:
    write_config(state_dir, f"chutes/{EVIL}", EVIL)
    child = spawn_genesis("models", "list", "--offline", env={"TERM": "xterm-256color"})
    transcript = finish(child)
    assert "ZWNobyBwd25lZA" not in transcript and "evil.example" not in transcript
    without_colour = re.sub(r"\x1b\[[0-9;]*m", "", transcript).replace("\r\n", "\n")
    assert_clean(without_colour)
    assert "[bold]z" in transcript
