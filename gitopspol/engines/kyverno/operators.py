"""Condition operators of ``deny`` and ``preconditions`` (upstream ``pkg/engine/variables/operator``).

Keys and values arrive already substituted (``{{ }}`` resolved). Every operator returns a
boolean; an unknown operator is a :class:`PolicyError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from gitopspol.engines.kyverno.pattern import string_operator, validate_value
from gitopspol.engines.kyverno.values import (
    go_sprint,
    is_number,
    parse_duration,
    parse_quantity,
    wildcard_match,
)
from gitopspol.errors import PolicyError


def _duration_pair(key: Any, value: Any) -> tuple[Decimal, Decimal] | None:
    """Upstream ``parseDuration``: at least one side must be a non-zero duration string."""

    def strict(item: Any) -> Decimal | None:
        if isinstance(item, str):
            parsed = parse_duration(item)
            if parsed is not None and parsed != 0:
                return parsed
        return None

    def loose(item: Any) -> Decimal | None:
        if is_number(item):
            return Decimal(str(item))
        if isinstance(item, str):
            return parse_duration(item)
        return None

    k, v = strict(key), strict(value)
    if k is None and v is None:
        return None
    k = k if k is not None else loose(key)
    v = v if v is not None else loose(value)
    if k is None or v is None:
        return None
    return k, v


def _quantity(item: Any) -> Decimal | None:
    if is_number(item):
        return Decimal(str(item))
    if isinstance(item, str):
        return parse_quantity(item)
    return None


def _semver(text: Any) -> tuple[int, int, int, tuple[Any, ...]] | None:
    if not isinstance(text, str):
        return None
    body = text.strip().lstrip("v")
    core, _, pre = body.partition("-")
    core = core.split("+", 1)[0]
    parts = core.split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    nums = [int(p) for p in parts] + [0] * (3 - len(parts))
    pre_key: tuple[Any, ...] = (1,) if not pre else (0, *pre.split("."))
    return nums[0], nums[1], nums[2], pre_key


def _equals(key: Any, value: Any) -> bool:
    if isinstance(key, bool):
        return isinstance(value, bool) and key == value
    if is_number(key):
        if isinstance(value, bool):
            return False
        if is_number(value):
            return float(key) == float(value)
        if isinstance(value, str):
            pair = _duration_pair(key, value)
            if pair is not None:
                return pair[0] == pair[1]
            try:
                return float(value) == float(key)
            except ValueError:
                return False
        return False
    if isinstance(key, str):
        pair = _duration_pair(key, value)
        if pair is not None:
            return pair[0] == pair[1]
        kq, vq = parse_quantity(key), _quantity(value)
        if kq is not None and vq is not None:
            return kq == vq
        if isinstance(value, str):
            return wildcard_match(value, key)
        return False
    if isinstance(key, dict | list):
        return bool(key == value)
    return key is None and value is None


def _compare(key: Any, value: Any, op: str) -> bool:
    """GreaterThan and friends: durations, quantities, versions, then plain numbers."""
    pair = _duration_pair(key, value)
    if pair is not None:
        return _cmp(pair[0], pair[1], op)
    if isinstance(key, str) or isinstance(value, str):
        kq, vq = _quantity(key), _quantity(value)
        if kq is not None and vq is not None:
            return _cmp(kq, vq, op)
        kv, vv = _semver(key), _semver(value)
        if kv is not None and vv is not None:
            return _cmp(kv, vv, op)
        return False
    if is_number(key) and is_number(value):
        return _cmp(Decimal(str(key)), Decimal(str(value)), op)
    return False


def _cmp(a: Any, b: Any, op: str) -> bool:
    if op == ">":
        return bool(a > b)
    if op == ">=":
        return bool(a >= b)
    if op == "<":
        return bool(a < b)
    return bool(a <= b)


def _duration_compare(key: Any, value: Any, op: str) -> bool:
    def seconds(item: Any) -> Decimal | None:
        if is_number(item):
            return Decimal(str(item))
        if isinstance(item, str):
            return parse_duration(item)
        return None

    k, v = seconds(key), seconds(value)
    if k is None or v is None:
        return False
    return _cmp(k, v, op)


def _value_list(value: Any) -> list[str] | None:
    """The right-hand side of the set operators as strings; None when of an invalid type."""
    if isinstance(value, list):
        return [go_sprint(v) for v in value]
    if is_number(value):
        return [go_sprint(value)]
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed):
            return parsed
        return None if isinstance(parsed, list | dict) else [value]
    return None


def _member(key: str, values: list[str]) -> bool:
    return any(wildcard_match(v, key) or wildcard_match(key, v) for v in values)


def _in_range(key: str, value: Any) -> bool | None:
    """Range values (``"1-5"``) of the set operators; None when ``value`` is no range."""
    if isinstance(value, str) and string_operator(value) == "-":
        return validate_value(key, value)
    return None


def _set_op(key: Any, value: Any, mode: str) -> bool:
    """AnyIn / AllIn / AnyNotIn / AllNotIn (and the deprecated In / NotIn)."""
    if isinstance(key, list):
        keys = [go_sprint(k) for k in key]
    elif isinstance(key, str | bool) or is_number(key):
        keys = [go_sprint(key)]
    else:
        return False
    found = []
    values = None
    for k in keys:
        ranged = _in_range(k, value)
        if ranged is not None:
            found.append(ranged)
            continue
        if values is None:
            values = _value_list(value)
            if values is None:
                return False
        found.append(_member(k, values))
    if mode == "AnyIn":
        return any(found)
    if mode == "AllIn":
        return all(found)
    if mode == "AnyNotIn":
        return not all(found)
    return not any(found)  # AllNotIn


def _deprecated_in(key: Any, value: Any, negate: bool) -> bool:
    if isinstance(key, list):
        if not isinstance(value, list):
            return False
        inside = all(any(k == v for v in value) for k in key)
    elif isinstance(value, list):
        inside = any(
            wildcard_match(go_sprint(v), go_sprint(key)) if isinstance(key, str) else v == key
            for v in value
        )
    elif isinstance(value, str) and isinstance(key, str):
        values = _value_list(value) or []
        inside = key in values
    else:
        return False
    return not inside if negate else inside


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": _equals,
    "notequals": lambda k, v: not _equals(k, v),
    "in": lambda k, v: _deprecated_in(k, v, False),
    "notin": lambda k, v: _deprecated_in(k, v, True),
    "anyin": lambda k, v: _set_op(k, v, "AnyIn"),
    "allin": lambda k, v: _set_op(k, v, "AllIn"),
    "anynotin": lambda k, v: _set_op(k, v, "AnyNotIn"),
    "allnotin": lambda k, v: _set_op(k, v, "AllNotIn"),
    "greaterthan": lambda k, v: _compare(k, v, ">"),
    "greaterthanorequals": lambda k, v: _compare(k, v, ">="),
    "lessthan": lambda k, v: _compare(k, v, "<"),
    "lessthanorequals": lambda k, v: _compare(k, v, "<="),
    "durationgreaterthan": lambda k, v: _duration_compare(k, v, ">"),
    "durationgreaterthanorequals": lambda k, v: _duration_compare(k, v, ">="),
    "durationlessthan": lambda k, v: _duration_compare(k, v, "<"),
    "durationlessthanorequals": lambda k, v: _duration_compare(k, v, "<="),
}


def evaluate_operator(operator: Any, key: Any, value: Any) -> bool:
    """Apply a condition operator (case-insensitive name, as upstream accepts)."""
    func = OPERATORS.get(str(operator).lower())
    if func is None:
        raise PolicyError(f"unknown condition operator {operator!r}")
    return func(key, value)
