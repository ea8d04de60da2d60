"""A static bound on the memory one CEL evaluation can allocate.

cel-cpp (``cel-expr-python``) stops comprehensions after 10,000 iterations but has no other
cost limit, and evaluates in native code in this process: ``cel.bind`` chains that double a
string (``s + s``, ``s.replace('a', 'aa')``, ``[s, s].join('')``) forty times would ask for
terabytes. Kubernetes estimates the cost of an expression when it compiles it
(``k8s.io/apiserver/pkg/cel``, "estimated rule cost exceeds budget"); this module does the
same for size, on the checked expression the runtime gives back (``Expression.serialize()``,
a ``cel.expr.CheckedExpr`` protobuf, decoded here without a protobuf library).

Every value is bounded by a polynomial in ``N``, the size of the largest input (``object``,
``params``, a variable ...): a literal by its length, an input by ``N``, ``a + b`` by the sum,
``s.replace(old, new)`` by ``s + (s + 1) * new`` (an empty ``old`` inserts ``new`` between
every character), ``list.join(sep)`` by ``list + list * sep``, a comprehension by its
iteration count (at most the budget, 10,000) times its step. A value of a scalar type (bool,
int, double, timestamp ...) is 8 bytes. The bound of a program, :attr:`Bound.total`, is the
sum over every value it allocates: the runtime allocates from an arena freed only when the
evaluation ends, so the sum, not the largest value, is what it can hold at once.

A program whose constant part alone exceeds :data:`LIMIT` is refused when it compiles. One
whose bound grows faster than ``INPUT_FACTOR * N`` is checked again when it runs, with the
actual size of its inputs (rare: a comprehension that copies an outer value per iteration).
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: The most one evaluation may allocate (by the estimate), in bytes.
LIMIT = 64 * 1024 * 1024
#: The most one evaluation may allocate counting up to 10,000 comprehension iterations
#: that each copy an input (``lists.range(10000).map(i, object.data)``): checked against
#: the actual input, for the few expressions whose estimate depends on it that much.
LOOP_LIMIT = 1024 * 1024 * 1024
#: The largest value one expression hands on to others (a ValidatingPolicy variable). A
#: Kubernetes object is at most 1.5 MiB (etcd's request limit); a chain of variables, each
#: doubling the one before, stops here.
VALUE_LIMIT = 8 * 1024 * 1024
#: Programs bounded by ``INPUT_FACTOR * N + LIMIT`` are not checked at run time.
INPUT_FACTOR = 64
#: The comprehension iteration budget of the runtime (``program.py``).
ITERATIONS = 10_000
_SCALAR = 8
_INF = float("inf")

Poly = dict[int, float]
"""A polynomial in ``N``: power -> coefficient (missing powers are 0)."""


def _add(*polys: Poly) -> Poly:
    out: Poly = {}
    for poly in polys:
        for power, coeff in poly.items():
            out[power] = out.get(power, 0.0) + coeff
    return out


def _max(a: Poly, b: Poly) -> Poly:
    """Coefficient by coefficient: a bound of both (coefficients are not negative)."""
    return {p: max(a.get(p, 0.0), b.get(p, 0.0)) for p in {*a, *b}}


def _mul(a: Poly, b: Poly) -> Poly:
    out: Poly = {}
    for pa, ca in a.items():
        for pb, cb in b.items():
            if ca and cb:
                out[pa + pb] = out.get(pa + pb, 0.0) + ca * cb
    return out


def _scale(poly: Poly, factor: float) -> Poly:
    return {p: c * factor for p, c in poly.items() if c}


def _const(value: float) -> Poly:
    return {0: float(value)} if value else {}


def _at(poly: Poly, n: float) -> float:
    return sum(c * n**p if c else 0.0 for p, c in poly.items())


INPUT: Poly = {1: 1.0}


# -- protobuf wire format (only what cel.expr.CheckedExpr needs) --------------------------


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = buf[i]
        i += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, Any]]:
    """``(field number, value)``: an int for varints, bytes for length-delimited fields."""
    i, end = 0, len(buf)
    while i < end:
        key, i = _varint(buf, i)
        wire = key & 7
        value: int | bytes
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i : i + size], i + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, i = buf[i : i + size], i + size
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield key >> 3, value


def _message(buf: bytes) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for field, value in _fields(buf):
        out.setdefault(field, []).append(value)
    return out


def _one(msg: dict[int, list[Any]], field: int, default: Any = b"") -> Any:
    values = msg.get(field)
    return values[-1] if values else default


def _text(msg: dict[int, list[Any]], field: int) -> str:
    return bytes(_one(msg, field)).decode("utf-8", "replace")


def _scalar_type(buf: bytes) -> bool:
    """Whether a ``cel.expr.Type`` is of fixed size (null, bool, int, uint, double,
    timestamp, duration)."""
    msg = _message(buf)
    if 2 in msg:  # null
        return True
    primitive = _one(msg, 3, 0)
    if primitive in (1, 2, 3, 4):  # BOOL, INT64, UINT64, DOUBLE
        return True
    return _one(msg, 5, 0) in (2, 3)  # well-known TIMESTAMP, DURATION


# -- the estimate --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bound:
    """The memory bound of a program: :attr:`total` bytes allocated, as a polynomial in
    the size ``N`` of its largest input."""

    total: Poly

    def at(self, n: float) -> float:
        """The bound for inputs of at most ``n`` bytes."""
        return _at(self.total, n)

    @property
    def constant(self) -> float:
        """The bound for empty inputs: what the expression builds from its literals."""
        return self.total.get(0, 0.0)

    @property
    def needs_input_size(self) -> bool:
        """Whether the bound may exceed ``INPUT_FACTOR * N + LIMIT`` for some input."""
        return any(
            c and (p > 1 or (p == 1 and c > INPUT_FACTOR) or c == _INF)
            for p, c in self.total.items()
        )


#: Functions whose result is an operand or a part of one (selection, indexing, optionals).
_PARTS = frozenset({"_[_]", "_[?_]", "_?._", "orValue", "or", "value", "dyn"})


class _Estimator:
    def __init__(self, checked: dict[int, list[Any]], iterations: int) -> None:
        #: iterations of an outermost comprehension: the budget counts every iteration of
        #: every comprehension, so nested ones add to it rather than multiply (count 1)
        self.iterations = iterations
        self.depth = 0
        self.per_iteration: Poly = {}
        self.scalars: set[int] = set()
        for entry in checked.get(3, []):  # type_map: expression id -> Type
            item = _message(entry)
            if _scalar_type(_one(item, 2)):
                self.scalars.add(_one(item, 1, 0))

    def size(self, buf: bytes, env: Mapping[str, Poly]) -> tuple[Poly, Poly]:
        """``(value, allocated)`` bounds of one ``cel.expr.Expr``."""
        expr = _message(buf)
        scalar = _one(expr, 2, 0) in self.scalars
        value, allocated = self._kind(expr, env, scalar)
        return (_const(_SCALAR) if scalar else value), allocated

    def _kind(
        self, expr: dict[int, list[Any]], env: Mapping[str, Poly], scalar: bool
    ) -> tuple[Poly, Poly]:
        if 3 in expr:  # const
            const = _message(_one(expr, 3))
            text = const.get(6) or const.get(7)  # string or bytes
            return _const(len(text[-1]) if text else _SCALAR), {}
        if 4 in expr:  # ident
            return env.get(_text(_message(_one(expr, 4)), 1), INPUT), {}
        if 5 in expr:  # select: the same data, nothing allocated
            select = _message(_one(expr, 5))
            return self.size(_one(select, 1), env)
        if 6 in expr:
            return self._call(_message(_one(expr, 6)), env, scalar)
        if 7 in expr or 8 in expr:  # list or map literal
            parts: list[bytes] = []
            if 7 in expr:
                parts = list(_message(_one(expr, 7)).get(1, []))
            else:
                for entry in _message(_one(expr, 8)).get(2, []):
                    item = _message(entry)
                    parts.extend(_one(item, f) for f in (3, 4) if f in item)
            sizes = [self.size(p, env) for p in parts]
            value = _add(*(v for v, _ in sizes), _const(_SCALAR * (len(parts) + 1)))
            return value, _add(value, *(a for _, a in sizes))
        if 9 in expr:
            return self._comprehension(_message(_one(expr, 9)), env)
        return _const(_SCALAR), {}

    def _call(
        self, call: dict[int, list[Any]], env: Mapping[str, Poly], scalar: bool
    ) -> tuple[Poly, Poly]:
        name = _text(call, 2)
        operands = ([_one(call, 1)] if 1 in call else []) + list(call.get(3, []))
        sizes = [self.size(op, env) for op in operands]
        values = [v for v, _ in sizes]
        allocated = _add(*(a for _, a in sizes))
        if scalar:  # a comparison, a size, a test ...: 8 bytes
            return _const(_SCALAR), allocated
        if name == "_?_:_" and len(values) == 3:  # one branch or the other
            return _max(values[1], values[2]), allocated
        if name in _PARTS or name.startswith("optional."):
            return _add(*values), allocated  # a part of an operand, or one of them
        if name == "_+_":
            result = _add(*values)
        elif name == "replace" and len(values) >= 3:
            text, new = values[0], values[2]
            result = _add(text, _mul(_add(text, _const(1)), new))
        elif name == "join" and values:
            sep = values[1] if len(values) > 1 else {}
            result = _add(values[0], _mul(values[0], sep))
        elif name == "format" and values:
            # each '%' clause (two characters at least) prints at most ~1,400 characters
            # (precision is at most 1000), and the arguments at most twice their size
            result = _add(_scale(values[0], 701), _scale(_add(*values[1:]), 2))
        else:
            result = _add(_scale(_add(*values), 2), _const(64))
        return result, _add(allocated, result)

    def _comprehension(
        self, comp: dict[int, list[Any]], env: Mapping[str, Poly]
    ) -> tuple[Poly, Poly]:
        accu_var = _text(comp, 3)
        rng, rng_alloc = self.size(_one(comp, 2), env)
        init, init_alloc = self.size(_one(comp, 4), env)
        range_expr = _message(_one(comp, 2))
        if 7 in range_expr and not _message(_one(range_expr, 7)).get(1):
            # cel.bind(v, init, body): an empty range, the accumulator is the binding
            result, result_alloc = self.size(_one(comp, 7), {**env, accu_var: init})
            return result, _add(rng_alloc, init_alloc, result_alloc)
        constant_range = set(rng) <= {0}
        limit = 1 if self.depth else self.iterations
        count = min(limit, rng.get(0, 0.0)) if constant_range else limit
        self.depth += 1
        try:
            return self._loop(comp, env, rng, rng_alloc, init, init_alloc, count)
        finally:
            self.depth -= 1

    def _loop(
        self,
        comp: dict[int, list[Any]],
        env: Mapping[str, Poly],
        rng: Poly,
        rng_alloc: Poly,
        init: Poly,
        init_alloc: Poly,
        count: float,
    ) -> tuple[Poly, Poly]:
        iter_var, accu_var = _text(comp, 1), _text(comp, 3)

        def step(field: int, element: Poly, accu: Poly) -> tuple[Poly, Poly]:
            inner = {**env, iter_var: element, accu_var: accu}
            if 8 in comp:
                inner[_text(comp, 8)] = element
            return self.size(_one(comp, field), inner)

        # Per iteration, what does not depend on the element (v0: its outer values), and
        # over all iterations what does (v1 - v0): the elements together are at most the
        # range, and a bound with no negative coefficient is superadditive.
        v0, a0 = step(6, {}, {})
        v1, a1 = step(6, rng, {})
        grown, _ = step(6, {}, _const(1))
        _, c0 = step(5, {}, init)
        _, c1 = step(5, rng, init)
        if any(abs(c) > 1 for c in _add(grown, _scale(v0, -1)).values()):
            accu: Poly = {0: _INF}  # the accumulator copied into itself: no bound
        else:
            accu = _add(init, _scale(v0, count), v1, _scale(v0, -1))
        result, result_alloc = self.size(_one(comp, 7), {**env, accu_var: accu})
        # Allocated once: what depends on the elements; per iteration: the rest (its own
        # values and the accumulator's growth). The budget counts the iterations of all
        # comprehensions together, so the outermost ones share it: :func:`estimate` adds
        # ``iterations`` times the largest per-iteration allocation of any of them.
        once = _add(rng_alloc, init_alloc, v1, _scale(v0, -1), a1, _scale(a0, -1))
        once = _add(once, c1, _scale(c0, -1), init, result_alloc)
        each = _add(a0, c0, v0)
        if self.depth > 1:  # nested: once per iteration of the enclosing comprehension
            return result, _add(once, each)
        self.per_iteration = _max(self.per_iteration, each)
        return result, once


def estimate(serialized: bytes, iterations: int = ITERATIONS) -> Bound:
    """The bound of a compiled expression (``Expression.serialize()``: a ``google.protobuf.Any``
    holding a ``cel.expr.CheckedExpr``, or a ``ParsedExpr`` when compiled unchecked), with
    at most ``iterations`` comprehension iterations."""
    wrapper = _message(serialized)
    type_url = _text(wrapper, 1)
    inner = _message(_one(wrapper, 2))
    checked = type_url.endswith("CheckedExpr")
    estimator = _Estimator(inner if checked else {}, iterations)
    try:
        _, total = estimator.size(_one(inner, 4 if checked else 2), {})
        total = _add(total, _scale(estimator.per_iteration, iterations))
    except RecursionError:  # nesting deeper than the parser allows (it stops at 32)
        total = {0: _INF}
    return Bound(total)


def size_of(value: Any) -> int:
    """The size of a plain value in bytes (its marshal form; JSON text where marshal cannot
    write it, e.g. a timestamp): O(1) for text, C speed for the rest."""
    if isinstance(value, str | bytes):
        return len(value)
    if value is None or isinstance(value, bool | int | float):
        return _SCALAR
    try:
        return len(marshal.dumps(value))
    except ValueError:
        return len(json.dumps(value, default=str))


def input_size(activation: Mapping[str, Any]) -> int:
    """``N`` for an activation: the size of its largest value."""
    return max((size_of(value) for value in activation.values()), default=0)
