"""Kyverno validate patterns: anchors, value operators, wildcards and quantities.

Mirrors upstream ``pkg/engine/validate`` and ``pkg/engine/anchor``: a failure is an error
message; conditional ``(key)`` and global ``<(key)`` anchor failures are recognised by
their message (as upstream does), and turn a failure into "skip" for an array element or
for the whole rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gitopspol.engines.kyverno.values import go_sprint, is_number, parse_quantity, wildcard_match
from gitopspol.errors import PolicyError

_ANCHOR_RE = re.compile(r"^([+<=X^]?)\((.+)\)$")
COND_ERR = "conditional anchor mismatch"
GLOBAL_ERR = "global anchor mismatch"
NEG_ERR = "negation anchor matched in resource"


@dataclass(frozen=True, slots=True)
class Anchor:
    """A parsed anchor key: ``modifier`` is one of ``"" < = X ^ +``."""

    modifier: str
    key: str


def parse_anchor(key: str) -> Anchor | None:
    """The anchor of a pattern key, or None for a plain key."""
    match = _ANCHOR_RE.match(key)
    if match is None:
        return None
    return Anchor(match.group(1), match.group(2))


class _Mismatch(Exception):
    """A pattern did not match; ``path`` is the JSON pointer-ish path of the failure."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    @property
    def skip(self) -> bool:
        return COND_ERR in self.message or GLOBAL_ERR in self.message


@dataclass(frozen=True, slots=True)
class PatternResult:
    """Outcome of matching a resource against one pattern."""

    status: str  # "pass" | "fail" | "skip"
    message: str = ""
    path: str = ""


def match_pattern(resource: Any, pattern: Any) -> PatternResult:
    """Match ``resource`` against a validate ``pattern`` (upstream ``MatchPattern``).

    Raises :class:`PolicyError` for malformed patterns (``+()`` anchors, ``^()`` on a
    non-list pattern).
    """
    try:
        _element(resource, pattern, "/")
    except _Mismatch as exc:
        if exc.skip:
            return PatternResult("skip", exc.message, "")
        return PatternResult("fail", exc.message, exc.path)
    return PatternResult("pass")


def _element(resource: Any, pattern: Any, path: str) -> None:
    if isinstance(pattern, dict):
        if not isinstance(resource, dict):
            raise _Mismatch(
                path,
                f"pattern and resource have different structures. Path: {path}. "
                f"Expected map, found {_type_name(resource)}",
            )
        _map(resource, pattern, path)
    elif isinstance(pattern, list):
        if not isinstance(resource, list):
            raise _Mismatch(
                path,
                f"validation rule failed at path {path}, resource does not satisfy the "
                "expected overlay pattern",
            )
        _array(resource, pattern, path)
    else:
        values = resource if isinstance(resource, list) else [resource]
        for value in values:
            if not validate_value(value, pattern):
                raise _Mismatch(
                    path,
                    f"resource value '{go_sprint(resource)}' does not match '{go_sprint(pattern)}' at path {path}",
                )


def _has_nested_anchor(value: Any) -> bool:
    if isinstance(value, dict):
        return any(
            parse_anchor(str(k)) is not None or _has_nested_anchor(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_has_nested_anchor(v) for v in value)
    return False


def _plain_key(pattern: dict[str, Any], name: str) -> str | None:
    """The key of ``pattern`` that is ``name`` with or without an anchor."""
    for key in pattern:
        anchor = parse_anchor(str(key))
        if (anchor.key if anchor else key) == name:
            return str(key)
    return None


def _expand_metadata(pattern: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    """Wildcard keys under ``metadata.labels``/``annotations`` (upstream ``ExpandInMetadata``).

    ``app.*/name`` in the pattern stands for the resource's keys that match it, anchors
    kept (``X(fluxcd.io/*)`` forbids every ``fluxcd.io/`` annotation).
    """
    meta_key = _plain_key(pattern, "metadata")
    res_meta = resource.get("metadata")
    if (
        meta_key is None
        or not isinstance(pattern[meta_key], dict)
        or not isinstance(res_meta, dict)
    ):
        return pattern
    meta = pattern[meta_key]
    new_meta = dict(meta)
    changed = False
    for field in ("labels", "annotations"):
        field_key = _plain_key(meta, field)
        res = res_meta.get(field)
        if field_key is None or not isinstance(meta[field_key], dict) or not isinstance(res, dict):
            continue
        expanded: dict[str, Any] = {}
        for key, value in meta[field_key].items():
            anchor = parse_anchor(key)
            inner = anchor.key if anchor else key
            hits = (
                [k for k in res if wildcard_match(inner, k)] if "*" in inner or "?" in inner else []
            )
            for hit in hits:
                expanded[f"{anchor.modifier}({hit})" if anchor else hit] = value
            if hits:
                changed = True
            else:
                expanded[key] = value
        new_meta[field_key] = expanded
    return {**pattern, meta_key: new_meta} if changed else pattern


def _map(resource: dict[str, Any], pattern: dict[str, Any], path: str) -> None:
    pattern = _expand_metadata(pattern, resource)
    plain: list[str] = []
    for key in sorted(pattern):
        anchor = parse_anchor(str(key))
        if anchor is None:
            plain.append(key)
            continue
        _anchor(anchor, resource, pattern[key], path)
    plain.sort(key=lambda k: not _has_nested_anchor(pattern[k]))
    for key in plain:
        value = pattern[key]
        here = f"{path}{key}/"
        if value == "*":
            if resource.get(key) is None:
                raise _Mismatch(path, f"{path}/{key} not found")
            continue
        _element(resource.get(key), value, here)


def _anchor(anchor: Anchor, resource: dict[str, Any], pattern: Any, path: str) -> None:
    key = anchor.key
    here = f"{path}{key}/"
    present = key in resource
    if anchor.modifier == "":
        if not present:
            raise _Mismatch(
                here, f"{COND_ERR}: conditional anchor key doesn't exist in the resource"
            )
        try:
            _element(resource[key], pattern, here)
        except _Mismatch as exc:
            raise _Mismatch(exc.path, f"{COND_ERR}: {exc.message}") from None
    elif anchor.modifier == "<":
        if present:
            try:
                _element(resource[key], pattern, here)
            except _Mismatch as exc:
                raise _Mismatch(exc.path, f"{GLOBAL_ERR}: {exc.message}") from None
    elif anchor.modifier == "=":
        if present:
            _element(resource[key], pattern, here)
    elif anchor.modifier == "X":
        if present:
            raise _Mismatch(here, f"{NEG_ERR}: {here} is not allowed")
    elif anchor.modifier == "^":
        if not present:
            return
        value = resource[key]
        if not isinstance(value, list):
            raise _Mismatch(
                here, "existence ^() anchor can be used only on list/array type resource"
            )
        if not isinstance(pattern, list) or not all(isinstance(p, dict) for p in pattern):
            raise PolicyError(f"existence anchor ^({key}) needs a list of maps as its pattern")
        for item_pattern in pattern:
            for element in value:
                try:
                    _element(element, item_pattern, here)
                    break
                except _Mismatch:
                    continue
            else:
                raise _Mismatch(here, f"existence anchor validation failed at path {here}")
    else:
        raise PolicyError(f"anchor {anchor.modifier}({key}) is not allowed in a validate pattern")


def _array(resource: list[Any], pattern: list[Any], path: str) -> None:
    if not pattern:
        raise _Mismatch(path, "pattern Array empty")
    first = pattern[0]
    if isinstance(first, dict):
        _each(resource, [first] * len(resource), path)
    elif not isinstance(first, list):
        _element(resource, first, path)
    else:
        if len(resource) < len(pattern):
            raise _Mismatch(
                "",
                f"validate Array failed, array length mismatch, resource Array len is "
                f"{len(resource)} and pattern Array len is {len(pattern)}",
            )
        _each(resource[: len(pattern)], pattern, path)


def _each(resource: list[Any], patterns: list[Any], path: str) -> None:
    applied = 0
    skips: list[str] = []
    for index, (element, pat) in enumerate(zip(resource, patterns, strict=True)):
        try:
            _element(element, pat, f"{path}{index}/")
        except _Mismatch as exc:
            if exc.skip:
                skips.append(exc.message)
                continue
            raise
        applied += 1
    if applied == 0 and skips:
        raise _Mismatch(path, "; ".join(skips))


# --- scalar values -------------------------------------------------------------------------

_RANGE_RE = re.compile(r"^(\d+(\.\d+)?)([^-]*)-(\d+(\.\d+)?)([^-]*)$")
_NOT_RANGE_RE = re.compile(r"^(\d+(\.\d+)?)([^-]*)!-(\d+(\.\d+)?)([^-]*)$")
_NUMBER_PART_RE = re.compile(r"^(\d*(?:\.\d+)?)(.*)", re.DOTALL)


def validate_value(value: Any, pattern: Any) -> bool:
    """Upstream ``ValidateValueWithPattern``: one resource value against one pattern value."""
    if isinstance(pattern, bool):
        return isinstance(value, bool) and value == pattern
    if is_number(pattern):
        return _number_equals(value, float(pattern))
    if isinstance(pattern, str):
        return any(
            all(_string_pattern(value, part.strip(" ")) for part in alt.strip(" ").split("&"))
            for alt in pattern.split("|")
        )
    if pattern is None:
        if isinstance(value, bool):
            return not value
        if is_number(value):
            return bool(value == 0)
        if isinstance(value, str):
            return value == ""
        return value is None
    if isinstance(pattern, dict):
        return isinstance(value, dict)
    return False


def _number_equals(value: Any, pattern: float) -> bool:
    if isinstance(value, bool):
        return False
    if is_number(value):
        return float(value) == pattern
    if isinstance(value, str):
        try:
            return float(value) == pattern
        except ValueError:
            return False
    return False


def string_operator(pattern: str) -> str:
    """Upstream ``GetOperatorFromStringPattern``."""
    if len(pattern) < 2:
        return ""
    for op in (">=", "<=", ">", "<", "!"):
        if pattern.startswith(op):
            return op
    if _NOT_RANGE_RE.match(pattern):
        return "!-"
    if _RANGE_RE.match(pattern):
        return "-"
    return ""


def _string_pattern(value: Any, pattern: str) -> bool:
    op = string_operator(pattern)
    if op == "-":
        left, right = pattern.split("-", 1)
        if not _string_pattern(value, f">={left}"):
            return False
        pattern, op = f"<={right}", "<="
    elif op == "!-":
        left, right = pattern.split("!-", 1)
        if _string_pattern(value, f"<{left}"):
            return True
        pattern, op = f">{right}", ">"
    body = pattern[len(op) :].strip()
    match = _NUMBER_PART_RE.match(body)
    number = match.group(1) if match else ""
    if number == "":
        return _string_compare(value, body, op)
    return _number_with_str(value, body, op)


def _go_float_e(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'E', -1, 64)``: upstream stringifies numbers this way.

    The Kyverno CLI turns every resource number into a float64 first, so ``0`` becomes
    ``"0E+00"`` when compared with a string pattern.
    """
    number = Decimal(repr(float(value)))
    if number == 0:
        return "0E+00"
    sign, digits, exp = number.normalize().as_tuple()
    text = "".join(map(str, digits))
    power = int(exp) + len(text) - 1
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}E{'+' if power >= 0 else '-'}{abs(power):02d}"


def _string_compare(value: Any, pattern: str, op: str) -> bool:
    if op not in ("", "!"):
        return False
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif is_number(value):
        text = _go_float_e(value)
    elif isinstance(value, str):
        text = value
    else:
        return False
    result = wildcard_match(pattern, text)
    return not result if op == "!" else result


def _number_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    return None


def _number_with_str(value: Any, pattern: str, op: str) -> bool:
    text = _number_text(value)
    if text is None:
        return False
    pattern_q = parse_quantity(pattern)
    if pattern_q is not None:
        value_q = parse_quantity(text)
        if value_q is None:
            return False
        return compare(value_q, pattern_q, op)
    return wildcard_match(pattern, text)


def compare(value: Decimal, pattern: Decimal, op: str) -> bool:
    """Compare two numbers with a pattern operator (``""`` equal, ``!`` not equal, ...)."""
    if op == "":
        return value == pattern
    if op == "!":
        return value != pattern
    if op == ">":
        return value > pattern
    if op == "<":
        return value < pattern
    if op == ">=":
        return value >= pattern
    if op == "<=":
        return value <= pattern
    return False


def _type_name(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "array"
    return type(value).__name__
