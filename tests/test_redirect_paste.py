"""Pasted redirect URLs: what is accepted, and a clear refusal for everything else."""

from __future__ import annotations

import pytest

from genesis_cli.oauth.protocol import SignInDenied
from genesis_cli.oauth.redirect import BadRedirect, parse_pasted
from tests.helpers import CHUTES

STATE = "s-3cr3t-state"
BASE = "http://127.0.0.1:1456/oauth-callback"


@pytest.mark.parametrize(
    "pasted",
    [
        f"{BASE}?code=abc&state={STATE}",
        f"  {BASE}?state={STATE}&code=abc  \n",
        f"'{BASE}?code=abc&state={STATE}'",
        f"?code=abc&state={STATE}",
        f"code=abc&state={STATE}",
        f"http://localhost:1456/oauth-callback?code=abc&state={STATE}&iss=x",
        f"{BASE}#code=abc&state={STATE}",
    ],
)
def test_full_urls_and_query_strings_are_accepted(pasted) -> None:
    assert parse_pasted(CHUTES, pasted, STATE) == "abc"


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("abc123", "bare code"),
        ("  4/0AX4XfWh  ", "bare code"),
        (f"{BASE}", "bare code"),
        ("", "nothing was pasted"),
        ("   ", "nothing was pasted"),
        (f"{BASE}?state={STATE}", "no 'code'"),
        (f"{BASE}?code=abc", "no 'state'"),
        (f"{BASE}?code=abc&state=other", "does not match"),
        (f"{BASE}?code=abc&state=", "no 'state'"),
        (f"{BASE}?code=&state={STATE}", "no 'code'"),
        (f"{BASE}?code=a&code=b&state={STATE}", "more than once"),
        (f"{BASE}?code=a&state={STATE}&state={STATE}", "more than once"),
        ("x" * 9000, "too long"),
        ("=", "no query parameters"),
        ("&&&=", "no query parameters"),
    ],
)
def test_malformed_pastes_are_refused_with_the_reason(pasted, message) -> None:
    with pytest.raises(BadRedirect, match=message):
        parse_pasted(CHUTES, pasted, STATE)


def test_bare_code_refusal_explains_csrf() -> None:
    with pytest.raises(BadRedirect) as info:
        parse_pasted(CHUTES, "abc123", STATE)
    assert "CSRF" in (info.value.hint or "")


def test_a_denial_is_reported_as_a_denial_not_as_a_missing_code() -> None:
    pasted = f"{BASE}?error=access_denied&error_description=The+user+said+no&state={STATE}"
    with pytest.raises(SignInDenied) as info:
        parse_pasted(CHUTES, pasted, STATE)
    assert info.value.message == "sign-in was denied (access_denied): The user said no"
    assert info.value.exit_code == 3


def test_a_denial_without_description() -> None:
    with pytest.raises(SignInDenied, match=r"denied \(access_denied\)$"):
        parse_pasted(CHUTES, f"?error=access_denied&state={STATE}", STATE)
