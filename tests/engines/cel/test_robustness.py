"""Any text given as CEL ends in a Program or a PolicyError, never in another exception."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gitopspol.engines.cel import compile_program
from gitopspol.engines.cel.compat import go_compat
from gitopspol.errors import PolicyError

POD: dict[str, Any] = {
    "metadata": {"name": "p", "labels": {"a": "b"}},
    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
}
PIECES = [
    "object",
    "oldObject",
    "request",
    "params",
    "variables",
    ".",
    ".?",
    "[?",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    ",",
    ":",
    "spec",
    "metadata",
    "containers",
    "orValue",
    "indexOf",
    "format",
    "validate",
    "named",
    "all",
    "exists",
    "map",
    "filter",
    "has",
    "size",
    "c",
    "'x'",
    '"y"',
    "1",
    "2.5",
    "true",
    "null",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "&&",
    "||",
    "!",
    "?",
    "quantity",
    "semver",
    "image",
    "resource",
    "authorizer",
    "matches",
    "split",
    "join",
    "optional",
    "of",
    "none",
    " ",
]


def _check(text: str) -> None:
    rewritten = go_compat(text)
    assert isinstance(rewritten, str)
    try:
        program = compile_program(text)
    except PolicyError:
        return
    with contextlib.suppress(PolicyError):
        program.evaluate({"object": POD, "oldObject": POD})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_token_soup_gives_program_or_policy_error(text: str) -> None:
    _check(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_gives_program_or_policy_error(text: str) -> None:
    _check(text)
