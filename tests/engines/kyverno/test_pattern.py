"""Kyverno validate patterns: value operators, wildcards, quantities, anchors."""

from __future__ import annotations

from typing import Any

import pytest

from gitopspol.engines.kyverno.pattern import match_pattern, parse_anchor, validate_value
from gitopspol.errors import PolicyError


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        (5, ">3", True),
        (3, ">3", False),
        (3, ">=3", True),
        ("2Gi", "<=4Gi", True),
        ("8Gi", "<=4Gi", False),
        ("500m", "<1", True),
        (0, "*", True),  # the CLI stringifies numbers as Go floats ("0E+00")
        (None, "*", False),
        ("", "?*", False),
        ("x", "?*", True),
        ("abc", "a?c", True),
        ("abbc", "a?c", False),
        ("x", "!x", False),
        ("y", "!x", True),
        (3, "1-5", True),
        (6, "1-5", False),
        (7, "1!-5", True),
        (3, "1!-5", False),
        ("foo", "bar | foo*", True),
        ("baz", "bar | foo*", False),
        (10, ">5 & <20", True),
        (25, ">5 & <20", False),
        (True, True, True),
        ("true", True, False),  # a boolean pattern needs a boolean
        (1000, 1000, True),
        ("1000", 1000, True),
        (1000.5, 1000, False),
        (None, None, True),
        (0, None, True),
        ("", None, True),
        (False, None, True),
        ("a", None, False),
        ({}, None, False),
        ({"a": 1}, {}, True),
        ("1h", "<2h", False),  # durations are not quantities in patterns
    ],
)
def test_value_operators(value: Any, pattern: Any, expected: bool) -> None:
    assert validate_value(value, pattern) is expected


def test_parse_anchor() -> None:
    assert parse_anchor("(name)") is not None
    anchors = {k: parse_anchor(k) for k in ("(a)", "=(a)", "X(a)", "^(a)", "<(a)", "+(a)")}
    assert [a.modifier for a in anchors.values() if a] == ["", "=", "X", "^", "<", "+"]
    assert parse_anchor("name") is None
    assert parse_anchor("Y(name)") is None


POD = {
    "metadata": {"name": "p", "labels": {"app": "web"}, "annotations": {"fluxcd.io/x": "1"}},
    "spec": {
        "hostPID": True,
        "containers": [
            {"name": "a", "image": "nginx:latest"},
            {"name": "b", "image": "busybox:1.0"},
        ],
    },
}


@pytest.mark.parametrize(
    ("pattern", "status"),
    [
        ({"spec": {"containers": [{"image": "!*:latest"}]}}, "fail"),
        ({"spec": {"containers": [{"image": "*:*"}]}}, "pass"),
        # conditional anchor: only containers named b* are checked
        ({"spec": {"containers": [{"(name)": "b*", "image": "!*:latest"}]}}, "pass"),
        # ... and when no element satisfies the condition the rule is skipped
        ({"spec": {"containers": [{"(name)": "z*", "image": "!*:latest"}]}}, "skip"),
        # a missing conditional key is a failed condition
        ({"spec": {"(dnsPolicy)": "None", "hostPID": False}}, "skip"),
        ({"spec": {"=(hostPID)": False}}, "fail"),
        ({"spec": {"=(hostNetwork)": False}}, "pass"),
        ({"spec": {"X(hostPID)": "null"}}, "fail"),
        ({"spec": {"X(hostIPC)": "null"}}, "pass"),
        # global anchor: false anywhere -> the whole rule is skipped
        ({"spec": {"<(hostPID)": False, "containers": [{"image": "nope"}]}}, "skip"),
        ({"spec": {"^(containers)": [{"name": "b"}]}}, "pass"),
        ({"spec": {"^(containers)": [{"name": "c"}]}}, "fail"),
        ({"metadata": {"=(annotations)": {"X(fluxcd.io/*)": "*"}}}, "fail"),
        ({"metadata": {"labels": {"app*": "web"}}}, "pass"),
        ({"metadata": {"labels": {"team": "?*"}}}, "fail"),
        ({"spec": {"nodeName": "*"}}, "fail"),
        ({"spec": {"containers": "*"}}, "pass"),
        ({"spec": {"containers": {"image": "x"}}}, "fail"),
        ({"spec": {"containers": []}}, "fail"),  # empty pattern array
    ],
)
def test_anchors(pattern: dict[str, Any], status: str) -> None:
    assert match_pattern(POD, pattern).status == status


def test_failure_names_the_path() -> None:
    result = match_pattern(POD, {"spec": {"containers": [{"image": "!*:latest"}]}})
    assert result.path == "/spec/containers/0/image/"
    assert "nginx:latest" in result.message


def test_add_anchor_is_refused_in_validate() -> None:
    with pytest.raises(PolicyError, match=r"\+\(name\)"):
        match_pattern(POD, {"metadata": {"+(name)": "x"}})


def test_existence_anchor_needs_a_list_of_maps() -> None:
    with pytest.raises(PolicyError, match="existence"):
        match_pattern(POD, {"spec": {"^(containers)": {"name": "a"}}})
