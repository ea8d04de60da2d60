"""Condition operators of deny and preconditions."""

from __future__ import annotations

from typing import Any

import pytest

from gitopspol.engines.kyverno.operators import evaluate_operator
from gitopspol.errors import PolicyError


@pytest.mark.parametrize(
    ("operator", "key", "value", "expected"),
    [
        ("Equals", "abc", "a*", True),
        ("Equals", "abc", "b*", False),
        ("Equals", "1Gi", "1024Mi", True),
        ("Equals", "1h", "60m", True),
        ("Equals", 1, 1.0, True),
        ("Equals", 1, "1", True),
        ("Equals", True, True, True),
        ("Equals", True, "true", False),
        ("Equals", {"a": 1}, {"a": 1}, True),
        ("Equals", ["a"], ["a"], True),
        ("equals", "x", "x", True),  # operator names are case-insensitive upstream
        ("NotEquals", "CREATE", "DELETE", True),
        ("NotEquals", "DELETE", "DELETE", False),
        ("AnyIn", "a", ["a", "b"], True),
        ("AnyIn", ["x", "b"], ["a", "b"], True),
        ("AnyIn", [], ["a"], False),
        ("AnyIn", "abc", ["a*"], True),
        ("AnyIn", "CREATE", "CREATE", True),
        ("AnyIn", 3, "1-5", True),
        ("AnyIn", 9, "1-5", False),
        ("AllIn", ["a", "b"], ["a", "b", "c"], True),
        ("AllIn", ["a", "z"], ["a", "b"], False),
        ("AllIn", [], ["a"], True),
        ("AnyNotIn", [], ["a"], False),
        ("AnyNotIn", ["a", "b"], ["a"], True),
        ("AnyNotIn", ["a"], ["a"], False),
        ("AnyNotIn", "NET_RAW", ["CHOWN"], True),
        ("AllNotIn", ["c", "d"], ["a", "b"], True),
        ("AllNotIn", ["a", "d"], ["a", "b"], False),
        ("AnyIn", "a", '["a", "b"]', True),  # a JSON array in a string
        ("In", "a", ["a", "b"], True),
        ("NotIn", "c", ["a", "b"], True),
        ("GreaterThan", 5, 3, True),
        ("GreaterThan", "2Gi", "1Gi", True),
        ("GreaterThan", "500m", "1", False),  # "1" is no duration: quantities
        ("GreaterThan", "500m", 1, True),  # upstream reads "500m" as 500 minutes first
        ("GreaterThanOrEquals", "1.10.0", "1.9.0", True),
        ("LessThan", "1.2.3", "1.10.0", True),
        ("LessThanOrEquals", 3, 3, True),
        ("GreaterThan", "10m", "5m", True),
        ("DurationGreaterThan", "2h", "1h", True),
        ("DurationLessThan", "30s", 60, True),
        ("DurationGreaterThanOrEquals", "1h", "60m", True),
        ("DurationLessThanOrEquals", "2h", "1h", False),
        ("Equals", None, "", False),
        ("NotEquals", None, "x", True),
    ],
)
def test_operator(operator: str, key: Any, value: Any, expected: bool) -> None:
    assert evaluate_operator(operator, key, value) is expected


def test_unknown_operator() -> None:
    with pytest.raises(PolicyError, match="Equal'"):
        evaluate_operator("Equal", "a", "a")
