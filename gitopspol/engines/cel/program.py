"""Compile CEL expressions once, evaluate them on plain Python data.

One ``cel-expr-python`` environment is built per set of declared variables, with the
optional-types and strings extensions and :mod:`gitopspol.engines.cel.library`. Programs are
cached by (expression text, variables); the cache and the environments are guarded by a
lock, so programs can be shared between threads.

Evaluation is bounded: the runtime stops any expression after 10,000 comprehension
iterations in total ("iteration budget exceeded"), CEL has no other loops, and regular
expressions are RE2 (linear time). Memory is bounded by :mod:`.cost`: an expression whose
worst case builds more than 64 MiB from its literals does not compile, one that could grow
faster than 64 times its input is checked against the actual input before it runs (64 MiB;
1 GiB counting comprehensions, which the iteration budget bounds), and a
value handed on (a ValidatingPolicy variable) larger than 8 MiB is refused. A runaway
expression is therefore stopped and reported as a :class:`~gitopspol.errors.PolicyError`,
like any compile or evaluation error.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from gitopspol.engines.cel import cost, library
from gitopspol.engines.cel.compat import go_compat
from gitopspol.errors import PolicyError

#: Variables of a Kubernetes ValidatingAdmissionPolicy / Kyverno ValidatingPolicy expression.
DEFAULT_VARIABLES: tuple[str, ...] = (
    "object",
    "oldObject",
    "request",
    "params",
    "namespaceObject",
    "variables",
    "authorizer",
    "resource",
    "image",
)
#: Variables whose value is a map carrying context data (Kyverno ``resource``, ``image``).
#: Their values when the activation does not give them: nothing to look up, no RBAC.
_MAP_DEFAULTS: dict[str, Any] = {
    "resource": {library.RESOURCES: []},
    "image": {library.IMAGES: {}},
    "authorizer": library.AUTHORIZER,
}
_MAP_VARIABLES = frozenset(_MAP_DEFAULTS)
#: Longest expression text accepted (Kubernetes limits validation expressions to 5 KiB).
MAX_EXPRESSION_CHARS = 64 * 1024

_NOT_FOUND = re.compile(r'NOT_FOUND: Key not found in map : "(.*)"')
#: Compiled programs kept; the cache is emptied when full (a repository has far fewer).
MAX_CACHED_PROGRAMS = 50_000
_LOCK = threading.Lock()
_ENVS: dict[tuple[str, ...], Any] = {}
_PROGRAMS: dict[tuple[str, tuple[str, ...]], Program] = {}


def _shorten(expr: str, limit: int = 120) -> str:
    flat = " ".join(expr.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _env(variables: tuple[str, ...]) -> Any:
    env = _ENVS.get(variables)
    if env is None:
        from cel_expr_python import cel
        from cel_expr_python.ext import (
            ext_bindings,
            ext_encoders,
            ext_math,
            ext_optional,
            ext_strings,
        )

        map_type = cel.Type.Map(cel.Type.STRING, cel.Type.DYN)
        env = cel.NewEnv(
            variables={
                name: map_type if name in _MAP_VARIABLES else cel.Type.DYN for name in variables
            },
            # What Kyverno's base environment enables (pkg/cel/compiler/env.go), which
            # follows Kubernetes': strings v2, math, encoders (base64), cel.bind.
            extensions=[
                ext_optional.ExtOptional(),
                ext_strings.ExtStrings(2),
                ext_math.ExtMath(),
                ext_encoders.ExtEncoders(),
                ext_bindings.ExtBindings(),
            ],
            functions=library.function_decls(cel),
        )
        _ENVS[variables] = env
    return env


class Program:
    """A compiled CEL expression. Build it with :func:`compile_program`."""

    __slots__ = ("_checks", "_compiled", "_env", "expression", "variables")

    def __init__(
        self,
        expression: str,
        variables: tuple[str, ...],
        compiled: Any,
        env: Any,
        checks: tuple[tuple[cost.Bound, int], ...] = (),
    ) -> None:
        self.expression = expression
        self.variables = variables
        self._compiled = compiled
        self._env = env
        #: memory bounds to check against each input, with their limits (see cost.py)
        self._checks = checks

    def evaluate(self, activation: Mapping[str, Any]) -> Any:
        """Evaluate on ``activation`` (variable name -> plain data); return plain data.

        Variables that are declared but absent from ``activation`` are bound to null
        (``resource`` and ``image`` to empty lookups, ``authorizer`` to the offline stub).
        Raises PolicyError naming the expression when evaluation fails (missing key, no
        matching overload, cost limit ...).
        """
        return library.plain(self.evaluate_native(activation))

    def evaluate_native(self, activation: Mapping[str, Any]) -> Any:
        """Like :meth:`evaluate`, but timestamps and durations stay ``datetime`` values.

        Use it for values fed back into other expressions (ValidatingPolicy ``variables``),
        so that a duration stays a duration.
        """
        data = {name: activation.get(name) for name in self.variables}
        for name in _MAP_VARIABLES.intersection(self.variables):
            if data[name] is None:
                data[name] = _MAP_DEFAULTS[name]
        if self._checks:
            n = cost.input_size(data)
            for bound, limit in self._checks:
                if bound.at(n) > limit:
                    raise PolicyError(
                        self._error_text(
                            f"evaluation refused: on inputs of {n} bytes it may build "
                            f"{bound.at(n):.3g} bytes of values, more than the "
                            f"{limit >> 20} MiB limit"
                        )
                    )
        try:
            # An Activation converts values on access: much faster than eval(data=...),
            # which converts every variable up front.
            value = self._compiled.eval(self._env.Activation(data))
        except (RuntimeError, TypeError, ValueError) as exc:
            raise PolicyError(self._error_text(str(exc))) from None
        try:
            if value.type().name() == "ERROR":
                raise PolicyError(self._error_text(str(value.value())))
            result = value.plain_value()
        except TypeError:  # optional values do not convert to Python (and report as ERROR)
            raise PolicyError(
                f"CEL expression {_shorten(self.expression)!r}: result is an optional value; "
                "use .orValue() or .hasValue()"
            ) from None
        # A value handed on to other expressions (a variable) is bounded too: a chain of
        # variables, each doubling the last, would otherwise grow without a limit.
        if not isinstance(result, bool | int | float) and cost.size_of(result) > cost.VALUE_LIMIT:
            raise PolicyError(
                self._error_text(
                    f"the result is larger than the {cost.VALUE_LIMIT >> 20} MiB limit"
                )
            )
        return result

    def _error_text(self, detail: str) -> str:
        detail = _NOT_FOUND.sub(r"no such key: \1", detail.strip())
        if "Iteration budget exceeded" in detail:
            detail = "evaluation cost limit exceeded (more than 10000 iterations)"
        return f"CEL expression {_shorten(self.expression)!r} failed: {detail}"


# cel-go, with the cross-type numeric comparisons Kubernetes and Kyverno enable, accepts
# `1.5 > 1`; cel-cpp's checker refuses it, although its runtime compares across int, uint
# and double. Such expressions are compiled again without the type check.
_CROSS_NUMERIC = re.compile(
    r"found no matching overload for '_(?:<|<=|>|>=)_' applied to "
    r"'\((?:int|uint|double), (?:int|uint|double)\)'"
)


def _compile(env: Any, expr: str) -> Any:
    text = go_compat(expr)
    try:
        return env.compile(text)
    except (RuntimeError, ValueError) as exc:
        message = str(exc)
        if _CROSS_NUMERIC.search(message):
            try:
                return env.compile(text, disable_check=True)
            except (RuntimeError, ValueError):
                pass
        detail = message.replace("INVALID_ARGUMENT: ", "").replace(" [INVALID_ARGUMENT]", "")
        raise PolicyError(
            f"CEL expression {_shorten(expr)!r} does not compile: {detail.strip()}"
        ) from None


def compile_program(expr: str, variables: Sequence[str] = DEFAULT_VARIABLES) -> Program:
    """Compile ``expr`` with ``variables`` declared (as dynamic values), once, cached.

    Raises PolicyError with the compiler's message (position and caret) for a syntax or
    type error.
    """
    if not isinstance(expr, str):
        raise PolicyError(f"CEL expression must be a string, not {type(expr).__name__}")
    if len(expr) > MAX_EXPRESSION_CHARS:
        raise PolicyError(f"CEL expression is longer than {MAX_EXPRESSION_CHARS} characters")
    names = tuple(variables)
    key = (expr, names)
    program = _PROGRAMS.get(key)
    if program is not None:
        return program
    with _LOCK:
        program = _PROGRAMS.get(key)
        if program is None:
            env = _env(names)
            compiled = _compile(env, expr)
            serialized = compiled.serialize()
            full = cost.estimate(serialized)
            built = full.constant
            if built > cost.LIMIT:
                raise PolicyError(
                    f"CEL expression {_shorten(expr)!r} does not compile: it may build "
                    f"{built:.3g} bytes of values, more than the {cost.LIMIT >> 20} MiB "
                    "limit (worst-case estimate)"
                )
            # Growth from the inputs is checked against their actual size when it could
            # be large: without comprehensions (doubling binds) against LIMIT, with the
            # iteration budget (an input copied in every iteration) against LOOP_LIMIT.
            growth = cost.estimate(serialized, iterations=1)
            checks = tuple(
                (bound, limit)
                for bound, limit in ((growth, cost.LIMIT), (full, cost.LOOP_LIMIT))
                if bound.needs_input_size
            )
            program = Program(expr, names, compiled, env, checks)
            if len(_PROGRAMS) >= MAX_CACHED_PROGRAMS:
                _PROGRAMS.clear()
            _PROGRAMS[key] = program
    return program
