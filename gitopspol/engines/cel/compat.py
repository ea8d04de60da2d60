"""Source rewrites that make cel-cpp evaluate Kubernetes CEL as cel-go does.

``indexOf`` / ``lastIndexOf``: Kubernetes has them for strings (strings extension) and for
lists (lists library). cel-cpp's strings extension declares the string ones and refuses a
second declaration, so every ``.indexOf(`` / ``.lastIndexOf(`` call is renamed to
:data:`INDEX_OF` / :data:`LAST_INDEX_OF`, which :mod:`.library` implements for both.

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

import re

_TOKEN = re.compile(
    r"""(?P<str>[rRbB]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))"""
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<num>[0-9][0-9A-Za-z_.]*)"
    r"|(?P<ws>\s+)"
    r"|(?P<op>.)",
    re.DOTALL,
)
#: Names the ``indexOf`` / ``lastIndexOf`` member calls are renamed to.
INDEX_OF = "gitopspolIndexOf"
LAST_INDEX_OF = "gitopspolLastIndexOf"
_RENAMES = {"indexOf": INDEX_OF, "lastIndexOf": LAST_INDEX_OF}
_OPTIONAL_CALLS = frozenset({"or", "optMap", "optFlatMap", "first", "last"})
_OPEN = {")": "(", "]": "["}


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "op"
        if kind != "ws":
            out.append((kind, m.group(), m.start(), m.end()))
    return out


class _Source:
    """Tokens of an expression with bracket pairs and optional markers precomputed.

    Every query is O(1) or amortised O(1), so the rewrite stays linear even for hostile
    inputs (thousands of chained or nested ``orValue`` calls).
    """

    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.pair: dict[int, int] = {}
        stack: list[int] = []
        for i, (kind, value, _, _) in enumerate(self.toks):
            if kind != "op":
                continue
            if value in "([{":
                stack.append(i)
            elif value in ")]}" and stack:
                j = stack.pop()
                self.pair[i] = j
                self.pair[j] = i
        # prefix[i]: optional markers among toks[:i] (".?", "[?", the identifier "optional")
        self.prefix = [0]
        for i, (kind, value, _, _) in enumerate(self.toks):
            marker = (value == "optional" and kind == "id") or (
                value == "?" and i > 0 and self.toks[i - 1][1] in (".", "[")
            )
            self.prefix.append(self.prefix[-1] + int(marker))
        self.memo: dict[int, bool] = {}

    def optional_receiver(self, end: int) -> bool:
        """Whether the member chain ending at token ``end`` may be an optional value."""
        visited: list[int] = []
        j = end
        result = True
        while True:
            if j in self.memo:
                result = self.memo[j]
                break
            visited.append(j)
            step = self._step(j)
            if isinstance(step, bool):
                result = step
                break
            j = step
        for k in visited:
            self.memo[k] = result
        return result

    def _step(self, j: int) -> int | bool:
        """One step back along the chain: the next token index, or the answer."""
        toks = self.toks
        if j < 0:
            return True
        kind, text, _, _ = toks[j]
        if kind == "op" and text in _OPEN:
            k = self.pair.get(j, -1)
            if k < 0 or toks[k][1] != _OPEN[text]:
                return True
            if text == "]" and k + 1 < len(toks) and toks[k + 1][1] == "?":
                return True
            if text == ")" and k > 0 and toks[k - 1][0] == "id":  # a call: name(...)
                return True if toks[k - 1][1] in _OPTIONAL_CALLS else k - 1
            if text == ")" and self.prefix[j + 1] - self.prefix[k] > 0:
                return True  # a parenthesised group holding optional syntax
            if k - 1 >= 0 and (toks[k - 1][0] == "id" or toks[k - 1][1] in _OPEN):
                return k - 1
            return False
        if kind == "id":
            if j >= 2 and toks[j - 1][1] == "?" and toks[j - 2][1] == ".":
                return True
            if j >= 1 and toks[j - 1][1] == "." and toks[j - 1][0] == "op":
                return j - 2
            return text == "optional"
        return kind != "str" and kind != "num"  # unknown shape: leave it alone


def go_compat(text: str) -> str:
    """Rewrite ``text`` for cel-go compatibility (see the module docstring)."""
    if "orValue" not in text and "ndexOf" not in text:
        return text
    src = _Source(text)
    toks = src.toks
    spans: list[tuple[int, int]] = []
    renames: list[tuple[int, int, str]] = []
    for i in range(1, len(toks) - 1):
        if toks[i - 1][1] != "." or toks[i + 1][1] != "(" or toks[i][0] != "id":
            continue
        if toks[i][1] in _RENAMES:
            renames.append((toks[i][2], toks[i][3], _RENAMES[toks[i][1]]))
            continue
        if toks[i][1] != "orValue":
            continue
        if src.optional_receiver(i - 2):
            continue
        end = src.pair.get(i + 1, -1)
        if end < 0:
            continue
        spans.append((toks[i - 1][2], toks[end][3]))
    # Drop spans inside another span (removed with it) and renames inside removed spans.
    edits: list[tuple[int, int, str]] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if edits and end <= edits[-1][1]:
            continue
        edits.append((start, end, ""))
    edits.extend(r for r in renames if not any(s <= r[0] < e for s, e, _ in edits))
    parts = []
    last = 0
    for start, end, replacement in sorted(edits):
        parts.append(text[last:start])
        parts.append(replacement)
        last = end
    parts.append(text[last:])
    return "".join(parts)
