"""cel-go leniencies that Kubernetes and Kyverno policies rely on, applied to the source text.

``E.orValue(D)`` where ``E`` is not an optional value: cel-go's planner evaluates
``orValue`` specially and returns ``E`` unchanged when it is not an optional
(``interpreter/planner.go``, ``evalOptionalOrValue``), so upstream policies such as
``object.spec.volumes.orValue([])`` work there. cel-cpp reports "no matching overload".
:func:`go_compat` removes such ``.orValue(D)`` calls when the receiver is syntactically not
an optional: its member chain has no ``.?field``, ``[?key]``, ``optional.*`` or an
optional-returning call (``or``, ``optMap``, ``optFlatMap``, ``first``, ``last``). Those
calls could only ever fail in cel-cpp, so the rewrite never changes a working expression
(except for a variable holding an optional, which this layer does not support anyway).
"""

from __future__ import annotations

import itertools
import re

_TOKEN = re.compile(
    r"""(?P<str>[rRbB]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))"""
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<num>[0-9][0-9A-Za-z_.]*)"
    r"|(?P<ws>\s+)"
    r"|(?P<op>.)",
    re.DOTALL,
)
_OPTIONAL_CALLS = frozenset({"or", "optMap", "optFlatMap", "first", "last"})
_OPEN = {")": "(", "]": "["}


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "op"
        if kind != "ws":
            out.append((kind, m.group(), m.start(), m.end()))
    return out


def _match_back(toks: list[tuple[str, str, int, int]], j: int) -> int:
    """Index of the bracket opening the one closed at ``j`` (or -1)."""
    depth = 0
    close = toks[j][1]
    for k in range(j, -1, -1):
        if toks[k][0] != "op":
            continue
        if toks[k][1] == close:
            depth += 1
        elif toks[k][1] == _OPEN[close]:
            depth -= 1
            if depth == 0:
                return k
    return -1


def _match_forward(toks: list[tuple[str, str, int, int]], j: int) -> int:
    depth = 0
    for k in range(j, len(toks)):
        if toks[k][0] != "op":
            continue
        if toks[k][1] == "(":
            depth += 1
        elif toks[k][1] == ")":
            depth -= 1
            if depth == 0:
                return k
    return -1


def _receiver_is_optional(toks: list[tuple[str, str, int, int]], dot: int) -> bool:
    j = dot - 1
    while j >= 0:
        kind, text, _, _ = toks[j]
        if kind == "op" and text in _OPEN:
            k = _match_back(toks, j)
            if k < 0:
                return True
            inner = [t[1] for t in toks[k : j + 1]]
            if text == "]" and len(inner) > 1 and inner[1] == "?":
                return True
            if text == ")":
                if k > 0 and toks[k - 1][0] == "id":  # a call: name(...)
                    if toks[k - 1][1] in _OPTIONAL_CALLS:
                        return True
                    j = k - 1
                    continue
                # a parenthesised group: optional if it holds optional syntax anywhere
                if any(a == "." and b == "?" for a, b in itertools.pairwise(inner)):
                    return True
                if any(a == "[" and b == "?" for a, b in itertools.pairwise(inner)):
                    return True
                if "optional" in inner:
                    return True
                j = k - 1
            else:
                j = k - 1
            if j >= 0 and toks[j][1] in ("]", ")") and toks[j][0] == "op":
                continue
            if j >= 0 and toks[j][0] == "id":
                continue
            return False
        if kind == "id":
            if j >= 2 and toks[j - 1][1] == "?" and toks[j - 2][1] == ".":
                return True
            if j >= 1 and toks[j - 1][1] == "." and toks[j - 1][0] == "op":
                j -= 2
                continue
            return text == "optional"
        return kind != "str" and kind != "num"  # unknown shape: leave it alone
    return True


def go_compat(text: str) -> str:
    """Rewrite ``text`` for cel-go compatibility (see the module docstring)."""
    if "orValue" not in text:
        return text
    toks = _tokens(text)
    spans: list[tuple[int, int]] = []
    for i in range(1, len(toks) - 1):
        if toks[i][1] != "orValue" or toks[i - 1][1] != "." or toks[i + 1][1] != "(":
            continue
        if _receiver_is_optional(toks, i - 1):
            continue
        end = _match_forward(toks, i + 1)
        if end < 0:
            continue
        spans.append((toks[i - 1][2], toks[end][3]))
    for start, end in sorted(spans, reverse=True):
        if any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans):
            continue
        text = text[:start] + text[end:]
    return text
