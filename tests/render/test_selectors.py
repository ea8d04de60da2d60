"""Patch target selector fields: anchored RE2 patterns; literal ones compare as text."""

from __future__ import annotations

import random
import string

import pytest

from gitopspol.errors import RenderError
from gitopspol.render.merge import anchored, go_regex

_ALPHABET = string.ascii_letters + string.digits + "-._:/ #@~!%&=,;<>\"'`é\n\t"


def test_literal_patterns_match_exactly_what_the_anchored_regex_matches() -> None:
    rng = random.Random(7)
    literal = 0
    for _ in range(3000):
        pattern = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 6)))
        matcher = anchored(pattern)
        regex = go_regex(f"^(?:{pattern})$")
        for value in (pattern, pattern + "\n", pattern.upper(), pattern[:-1], "x" + pattern):
            assert bool(matcher.match(value)) == bool(regex.match(value)), (pattern, value)
        literal += matcher is not regex
    assert literal > 2000  # the text comparison is taken for literal patterns


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("policy-1", "policy-1", True),
        ("policy-1", "policy-10", False),
        ("policy-.*", "policy-10", True),
        ("policy.1", "policyx1", True),
        ("a|b", "b", True),
    ],
)
def test_regex_patterns_keep_regex_meaning(pattern: str, value: str, matches: bool) -> None:
    assert bool(anchored(pattern).match(value)) is matches


def test_invalid_pattern_is_still_refused() -> None:
    with pytest.raises(RenderError, match="invalid regex"):
        anchored("policy-(")
