"""Source rewrites that make cel-cpp evaluate Kubernetes CEL as cel-go does.

``indexOf`` / ``lastIndexOf``: Kubernetes has them for strings (strings extension) and for
lists (lists library). cel-cpp's strings extension declares the string ones and refuses a
second declaration, so every ``.indexOf(`` / ``.lastIndexOf(`` call is renamed to
:data:`INDEX_OF` / :data:`LAST_INDEX_OF`, which :mod:`.k8s` implements for both.

``format.named(n)`` and ``format.<name>().validate(s)`` (Kubernetes format library) return
optional values; Python functions cannot build those, so the calls are renamed and wrapped:
``optional.ofNonZeroValue(format.gitopspolNamed(n))`` (an unknown name gives ``{}``, hence
none) and ``optional.ofNonZeroValue(<format>.gitopspolValidate(s))`` (no errors gives
``[]``, hence none), which is exactly the upstream result.

``L.first()`` / ``L.last()`` (cel-go lists v3) return optionals too: they become
``cel.bind(v, L, size(v) > 0 ? optional.of(v[0]) : optional.none())``.

``E.orValue(D)`` where ``E`` is not an optional value: cel-go's planner evaluates
``orValue`` specially and returns ``E`` unchanged when it is not an optional
(``interpreter/planner.go``, ``evalOptionalOrValue``), so upstream policies such as
``object.spec.volumes.orValue([])`` work there. cel-cpp reports "no matching overload".
:func:`go_compat` removes such ``.orValue(D)`` calls when the receiver is syntactically not
an optional: its member chain has no ``.?field``, ``[?key]``, ``optional.*`` or an
optional-returning call (``or``, ``optMap``, ``optFlatMap``, ``first``, ``last``, ``named``,
``validate``). Those calls could only ever fail in cel-cpp, so the rewrite never changes a
working expression. (A ValidatingPolicy variable holding an optional is inlined before
this rewrite, so its ``.?`` is visible here.)

Every rewrite runs in linear time, and error messages quote the expression as written.
"""

from __future__ import annotations

import bisect
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
#: ``format.named(n)`` and ``<format>.validate(s)`` return optionals, which Python functions
#: cannot build: they are renamed to these and wrapped in ``optional.ofNonZeroValue(...)``.
FORMAT_NAMED = "gitopspolNamed"
FORMAT_VALIDATE = "gitopspolValidate"
_FORMAT_RENAMES = {"named": FORMAT_NAMED, "validate": FORMAT_VALIDATE}
_OPTIONAL_CALLS = frozenset({"or", "optMap", "optFlatMap", "first", "last", "named", "validate"})
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
        self.starts: dict[int, int] = {}

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

    def chain_start(self, end: int) -> int:
        """Index of the first token of the member chain ending at token ``end``."""
        toks = self.toks
        visited: list[int] = []
        j = end
        while j >= 0 and j not in self.starts:
            visited.append(j)
            kind, text, _, _ = toks[j]
            nxt = -1
            if kind == "op" and text in _OPEN and self.pair.get(j, -1) >= 0:
                k = self.pair[j]
                prev = toks[k - 1] if k > 0 else None
                if prev is not None and (prev[0] == "id" or prev[1] in _OPEN):
                    nxt = k - 1
                else:
                    self.starts[j] = k
            elif kind == "id" and j >= 2 and toks[j - 1][1] == "?" and toks[j - 2][1] == ".":
                nxt = j - 3
            elif kind == "id" and j >= 1 and toks[j - 1][1] == "." and toks[j - 1][0] == "op":
                nxt = j - 2
            else:
                self.starts[j] = j
            if nxt < 0:
                break
            j = nxt
        start = self.starts.get(j, max(j, 0))
        for k in visited:
            self.starts[k] = start
        return start

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


#: At most this many ``first()``/``last()`` calls are rewritten in one expression.
MAX_FIRST_LAST = 64


def _first_last(text: str) -> str:
    """``L.first()`` -> ``cel.bind(v, L, size(v) > 0 ? optional.of(v[0]) : optional.none())``.

    cel-go's lists extension (v3, which Kyverno enables) returns optionals from ``first`` and
    ``last``; Python functions cannot, so the calls become CEL that builds them. One call
    per pass, leftmost first (its receiver holds no other call).
    """
    for n in range(MAX_FIRST_LAST):
        src = _Source(text)
        toks = src.toks
        for i in range(1, len(toks) - 2):
            kind, name, _, _ = toks[i]
            if kind != "id" or name not in ("first", "last") or toks[i - 1][1] != ".":
                continue
            if toks[i + 1][1] != "(" or toks[i + 2][1] != ")":
                continue
            start = toks[src.chain_start(i - 2)][2]
            receiver = text[start : toks[i - 1][2]]
            var = f"gitopspolList{n}"
            index = "0" if name == "first" else f"size({var}) - 1"
            built = (
                f"cel.bind({var}, {receiver}, "
                f"size({var}) > 0 ? optional.of({var}[{index}]) : optional.none())"
            )
            text = text[:start] + built + text[toks[i + 2][3] :]
            break
        else:
            return text
    return text


def go_compat(text: str) -> str:
    """Rewrite ``text`` for cel-go compatibility (see the module docstring)."""
    text = _go_compat(text)
    if "first" in text or "last" in text:
        text = _first_last(text)
    return text


def _go_compat(text: str) -> str:
    if "orValue" not in text and "ndexOf" not in text and "format" not in text:
        return text
    src = _Source(text)
    toks = src.toks
    deletions: list[tuple[int, int]] = []
    edits: list[tuple[int, int, int, str]] = []  # (start, end, order, replacement)
    for i in range(1, len(toks) - 1):
        kind, name, begin, finish = toks[i]
        if toks[i - 1][1] != "." or toks[i + 1][1] != "(" or kind != "id":
            continue
        close = src.pair.get(i + 1, -1)
        if close < 0:
            continue
        if name in _RENAMES:
            edits.append((begin, finish, 1, _RENAMES[name]))
        elif name == "orValue" and not src.optional_receiver(i - 2):
            deletions.append((toks[i - 1][2], toks[close][3]))
        elif name in ("validate", "named"):
            first = src.chain_start(i - 2)
            if toks[first][1] != "format" or toks[first][0] != "id":
                continue
            if name == "named" and first != i - 2:
                continue
            edits.append((toks[first][2], toks[first][2], 0, "optional.ofNonZeroValue("))
            edits.append((begin, finish, 1, _FORMAT_RENAMES[name]))
            edits.append((toks[close][3], toks[close][3], 2, ")"))
    # Merge nested deletions; drop edits that fall inside a deleted span.
    merged: list[tuple[int, int]] = []
    for start, end in sorted(deletions, key=lambda span: (span[0], -span[1])):
        if merged and end <= merged[-1][1]:
            continue
        merged.append((start, end))
    starts = [start for start, _ in merged]
    kept = [(start, end, 1, "") for start, end in merged]
    for edit in edits:
        k = bisect.bisect_right(starts, edit[0]) - 1
        inside = k >= 0 and merged[k][0] <= edit[0] < merged[k][1]
        if inside and not (edit[0] == edit[1] == merged[k][0]):  # insertions may touch it
            continue
        kept.append(edit)
    parts = []
    last = 0
    for start, end, _, replacement in sorted(kept, key=lambda e: (e[0], e[2], e[1])):
        parts.append(text[last:start])
        parts.append(replacement)
        last = max(last, end)
    parts.append(text[last:])
    return "".join(parts)
