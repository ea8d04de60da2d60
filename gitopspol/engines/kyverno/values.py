"""Scalar helpers shared by patterns and conditions: wildcards, quantities, durations.

Kyverno compares Kubernetes quantities (``"2Gi"``), Go durations (``"1h30m"``) and
wildcard strings (``*`` any run of characters, ``?`` exactly one) in both pattern values
and condition operators (upstream ``ext/wildcard``, ``pkg/engine/pattern``,
``pkg/engine/variables/operator``).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

_QUANTITY_RE = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE]?)$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {
    "ns": Decimal("1e-9"),
    "us": Decimal("1e-6"),
    "µs": Decimal("1e-6"),
    "μs": Decimal("1e-6"),
    "ms": Decimal("1e-3"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
}


def parse_quantity(text: str) -> Decimal | None:
    """A Kubernetes resource quantity as a Decimal, or None when ``text`` is not one."""
    match = _QUANTITY_RE.match(text.strip()) if text else None
    if match is None:
        return None
    number, suffix = match.groups()
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    if suffix in _BINARY:
        return value * _BINARY[suffix]
    if suffix[:1] in ("e", "E"):
        return value * (Decimal(10) ** int(suffix[1:]))
    return value * _DECIMAL[suffix]


def format_quantity(value: Decimal, binary: bool) -> str:
    """A quantity in Kubernetes canonical form (``2Gi``, ``1500m``, ``3k``).

    ``binary`` keeps the binary SI suffixes of the operands (upstream ``Quantity.String``).
    """
    if value == 0:
        return "0"
    if binary and value == value.to_integral_value():
        whole = int(value)
        for suffix, power in (
            ("Ei", 60),
            ("Pi", 50),
            ("Ti", 40),
            ("Gi", 30),
            ("Mi", 20),
            ("Ki", 10),
        ):
            if whole % (1 << power) == 0:
                return f"{whole >> power}{suffix}"
        return str(whole)
    for suffix, exponent in (
        ("E", 18),
        ("P", 15),
        ("T", 12),
        ("G", 9),
        ("M", 6),
        ("k", 3),
        ("", 0),
        ("m", -3),
        ("u", -6),
        ("n", -9),
    ):
        scaled = value / (Decimal(10) ** exponent)
        if scaled == scaled.to_integral_value():
            return f"{int(scaled)}{suffix}"
    return f"{value:f}"


def parse_duration(text: str) -> Decimal | None:
    """A Go ``time.ParseDuration`` string in seconds, or None when ``text`` is not one."""
    body = text.strip()
    sign = Decimal(1)
    if body[:1] in ("+", "-"):
        sign = Decimal(-1) if body[0] == "-" else Decimal(1)
        body = body[1:]
    if body == "0":
        return Decimal(0)
    if not body:
        return None
    total = Decimal(0)
    pos = 0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if match is None or match.group(1) in ("", "."):
            return None
        total += Decimal(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return sign * total


@lru_cache(maxsize=4096)
def _wildcard_regex(pattern: str) -> Any:
    """The pattern as an RE2 program: linear time. Python's backtracking ``re`` took minutes
    for ``*a*a*a*a*a*a*a*a*a*b`` against 60 ``a``."""
    import re2

    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    options = re2.Options()
    options.dot_nl = True
    options.log_errors = False
    return re2.compile("".join(parts), options)


def wildcard_match(pattern: str, text: str) -> bool:
    """Kyverno's ``wildcard.Match(pattern, text)``: ``*`` any run, ``?`` one character."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == text
    return _wildcard_regex(pattern).fullmatch(text) is not None


def is_number(value: Any) -> bool:
    """True for int and float, not for bool (JSON numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _go_numbers(value: Any) -> Any:
    """Integral floats as ints, as Go's JSON encoder prints float64 ``2`` as ``2``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    return value


def go_json(value: Any) -> str:
    """Go's ``json.Marshal``: sorted keys, no spaces, UTF-8, ``<``/``>``/``&`` escaped."""
    text = json.dumps(_go_numbers(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def go_string(value: Any) -> str:
    """How Kyverno turns a substituted value into text: strings as is, the rest as JSON."""
    if isinstance(value, str):
        return value
    return go_json(value)


def go_sprint(value: Any) -> str:
    """Go's ``fmt.Sprint`` for JSON values (used where Kyverno compares with Sprint)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    if isinstance(value, dict):
        items = " ".join(f"{k}:{go_sprint(v)}" for k, v in sorted(value.items()))
        return "map[" + items + "]"
    return str(value)
