"""Declaring Python functions to ``cel-expr-python``: the types and the overload helpers.

Each library module (:mod:`.k8s`, :mod:`.kyverno`) lists its functions next to their
implementations with these helpers; :func:`gitopspol.engines.cel.library.function_decls`
collects them for the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: ``(overload id, return type, parameter types, is member, implementation)``
Overload = tuple[str, Any, list[Any], bool, Callable[..., Any]]


class Decls:
    """The CEL types of one runtime module and builders of ``cel.FunctionDecl`` values."""

    def __init__(self, cel: Any) -> None:
        self.cel = cel
        self.T = cel.Type
        self.S = self.T.STRING
        self.INT = self.T.INT
        self.B = self.T.BOOL
        self.D = self.T.DYN
        self.M = self.T.Map(self.T.STRING, self.T.DYN)
        self.L = self.T.List(self.T.DYN)
        # A dyn parameter does not match concrete runtime values: one overload per kind.
        self.ELEMENTS = [
            ("int", self.INT),
            ("uint", self.T.UINT),
            ("double", self.T.DOUBLE),
            ("string", self.S),
            ("bool", self.B),
            ("bytes", self.T.BYTES),
            ("null", self.T.NULL),
            ("map", self.M),
            ("list", self.L),
        ]

    def fn(self, name: str, *overloads: Overload) -> Any:
        """A function with several overloads."""
        return self.cel.FunctionDecl(
            name,
            [
                self.cel.Overload(
                    oid, return_type=ret, parameters=params, is_member=member, impl=impl
                )
                for oid, ret, params, member, impl in overloads
            ],
        )

    def member(self, name: str, ret: Any, params: list[Any], impl: Callable[..., Any]) -> Any:
        """A member function (``receiver.name(...)``) with one overload."""
        return self.fn(name, (f"{name}_member", ret, params, True, impl))

    def free(self, name: str, ret: Any, params: list[Any], impl: Callable[..., Any]) -> Any:
        """A global function (``name(...)``, also ``ns.name(...)``) with one overload."""
        return self.fn(name, (f"{name}_global", ret, params, False, impl))


def valid(parse: Callable[[str], Any]) -> Callable[[str], bool]:
    """``isX(text)`` from the parser of ``x(text)``: false where the parser raises."""

    def check(text: str) -> bool:
        try:
            parse(text)
        except ValueError:
            return False
        return True

    return check
