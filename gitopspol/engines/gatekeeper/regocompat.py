"""Source rewrites that make regorus evaluate gatekeeper-library Rego as OPA does.

Each rewrite keeps every line where it was, so engine errors still point at the line the
user wrote. Both are documented in docs/gatekeeper.md.

* :func:`split_multi_body_rules`: Rego v0 allows one head with several bodies,
  ``p[x] { a } { b }``, meaning two rules. regorus rejects it for set rules ("else cannot
  be used with set rules", microsoft/regorus#403); the rewrite repeats the head:
  ``p[x] { a } p[x] { b }``.
* :func:`hoist_negated_call_refs`: OPA compiles ``not f(x.y)`` as ``t := x.y; not f(t)``,
  so an undefined ``x.y`` makes the expression undefined, not true
  (open-policy-agent/opa#1877, #5793). regorus evaluates ``not f(<undefined>)`` as true.
  Only plain references (fields and constant indexes, no iteration) are hoisted.
"""

from __future__ import annotations

import re

_REF_RE = re.compile(r'^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\["[^"\\]*"\]|\[\d+\])+$')
_NOT_CALL_RE = re.compile(r"^(?P<indent>\s*)not\s+(?P<fn>[A-Za-z_][\w.]*)\((?P<args>.*)\)\s*$")
_KEYWORDS = frozenset({"input", "data"})


def _code_mask(source: str) -> list[bool]:
    """For each character: True when it is code (not inside a string or a comment)."""
    mask = [True] * len(source)
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "#":
            while i < n and source[i] != "\n":
                mask[i] = False
                i += 1
            continue
        if ch in '"`':
            quote = ch
            mask[i] = False
            i += 1
            while i < n and source[i] != quote:
                if quote == '"' and source[i] == "\\":
                    mask[i] = False
                    i += 1
                if i < n:
                    mask[i] = False
                    i += 1
            if i < n:
                mask[i] = False
                i += 1
            continue
        i += 1
    return mask


def deepest_nesting(source: str) -> tuple[int, int]:
    """The deepest bracket nesting of the code in ``source``, and the (1-based) line of it."""
    mask = _code_mask(source)
    depth = deepest = 0
    line = where = 1
    for i, ch in enumerate(source):
        if ch == "\n":
            line += 1
        elif mask[i] and ch in "([{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
        elif mask[i] and ch in ")]}":
            depth -= 1
    return deepest, where


def split_multi_body_rules(source: str) -> str:
    """Repeat the head before every extra body of a multi-body rule (``} {`` at top level)."""
    mask = _code_mask(source)
    out: list[str] = []
    depth = 0
    head_start: int | None = None  # where the current top-level statement starts
    head = ""  # the head of the last rule whose body was opened
    in_body = False  # the open top-level bracket is a rule body
    after_body = False  # the last top-level code was the `}` closing a body
    previous = ""  # the last top-level code character
    last = 0
    for i, ch in enumerate(source):
        if not mask[i] or ch.isspace():
            if ch == "\n" and depth == 0 and not after_body:
                head_start = None
            continue
        if depth == 0:
            # `= {...}` is a value; any other top-level `{` opens a body.
            in_body = ch == "{" and previous != "="
            if in_body and after_body and head:
                out.append(source[last:i])
                out.append(head + " ")
                last = i
            elif in_body and head_start is not None:
                head = source[head_start:i].strip()
            elif not in_body and (head_start is None or after_body):
                head_start = i
            after_body = False
            previous = ch
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(depth - 1, 0)
            if depth == 0:
                after_body = in_body
                previous = ch
    out.append(source[last:])
    return "".join(out)


def _split_args(text: str) -> list[str] | None:
    """Split call arguments at top-level commas; None when the text is not simple."""
    args: list[str] = []
    depth = 0
    current: list[str] = []
    mask = _code_mask(text)
    for i, ch in enumerate(text):
        if mask[i]:
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth < 0:
                    return None
            elif ch == "," and depth == 0:
                args.append("".join(current).strip())
                current = []
                continue
        current.append(ch)
    if depth != 0:
        return None
    args.append("".join(current).strip())
    return args


def hoist_negated_call_refs(source: str) -> str:
    """Rewrite ``not f(a, x.y)`` lines to ``__gpN := x.y; not f(a, __gpN)`` (OPA semantics)."""
    counter = 0
    lines = source.split("\n")
    for index, line in enumerate(lines):
        found = _NOT_CALL_RE.match(line)
        if found is None or "#" in line:
            continue
        args = _split_args(found["args"])
        if not args:
            continue
        hoisted: list[str] = []
        for pos, arg in enumerate(args):
            if _REF_RE.match(arg) and arg.split(".", 1)[0].split("[", 1)[0] not in _KEYWORDS:
                name = f"__gp{counter}"
                counter += 1
                hoisted.append(f"{name} := {arg}")
                args[pos] = name
        if hoisted:
            call = f"not {found['fn']}({', '.join(args)})"
            lines[index] = found["indent"] + "; ".join([*hoisted, call])
    return "\n".join(lines)


def rewrite(source: str, *, v0: bool = True) -> str:
    """All rewrites, in order (multi-body rules exist only in Rego v0)."""
    return hoist_negated_call_refs(split_multi_body_rules(source) if v0 else source)
