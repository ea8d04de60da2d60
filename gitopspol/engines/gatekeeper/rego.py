"""Adapter over the Rego engine (regorus, from the ``gordon-to-regorus`` wheel).

Everything gitopspol needs from a Rego engine is here, so the engine can be replaced by
changing this module only: compile a template's modules once (:func:`compile_modules`),
then evaluate its ``violation`` rule against many input documents
(:meth:`RegoProgram.violations`).

Documents cross the boundary as JSON text, never as Python objects: older regorus bindings
turned ``False`` into ``0`` when converting dicts.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitopspol.errors import PolicyError

#: The engine and version this adapter is written for (recorded in docs/gatekeeper.md).
ENGINE = "regorus (gordon-to-regorus 0.13.0)"

#: Deepest bracket nesting accepted in a Rego module. regorus parses nested brackets in time
#: exponential in the depth (16 levels take seconds); gatekeeper-library needs 6.
MAX_NESTING = 12

_LOCATION_RE = re.compile(r"-->\s*(?P<file>[^:\s]+):(?P<line>\d+):(?P<col>\d+)")
_ERROR_RE = re.compile(r"^error:\s*(?P<msg>.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class RegoFailure:
    """What the engine said about a failure: the message and, when known, the module line."""

    message: str
    module: str | None = None
    line: int | None = None


def parse_failure(exc: BaseException) -> RegoFailure:
    """Reduce a regorus exception (message, source excerpt, Rust backtrace) to one line."""
    text = str(exc)
    text = text.split("Stack backtrace:", 1)[0]
    found = _ERROR_RE.search(text)
    message = found["msg"].strip() if found else (text.strip().splitlines() or ["unknown error"])[0]
    where = _LOCATION_RE.search(text)
    if where is None:
        return RegoFailure(message)
    return RegoFailure(message, where["file"], int(where["line"]))


def _engine_failure(exc: BaseException) -> bool:
    """True for errors the engine raises (RuntimeError, or a Rust panic surfaced by PyO3).

    A PyO3 ``PanicException`` derives from BaseException, so it must be caught explicitly:
    a panic in the engine must become a result, not end the run.
    """
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


class RegoProgram:
    """A compiled set of Rego modules whose ``violation`` rule is evaluated per input.

    The engine holds the input between ``set_input_json`` and the evaluation, so calls are
    serialised with a lock: one program can be shared between threads.
    """

    __slots__ = ("_engine", "_lock", "_rule")

    def __init__(self, engine: Any, rule: str) -> None:
        self._engine = engine
        self._rule = rule
        self._lock = threading.Lock()

    @property
    def rule(self) -> str:
        """The full path of the evaluated rule, e.g. ``data.k8sallowedrepos.violation``."""
        return self._rule

    def violations(self, input_json: str, data: Mapping[str, Any] | None = None) -> list[Any]:
        """Evaluate the rule with ``input_json`` (and ``data`` merged under ``data.``).

        Returns the rule's set members (an undefined rule is the empty set). Raises
        :class:`PolicyError` with the engine's one-line message on an evaluation error.
        """
        try:
            if data:
                with self._lock:
                    engine = self._engine.clone()
                engine.add_data_json(json.dumps(data))
                engine.set_input_json(input_json)
                text = engine.eval_rule_as_json(self._rule)
            else:
                with self._lock:
                    self._engine.set_input_json(input_json)
                    text = self._engine.eval_rule_as_json(self._rule)
            value = json.loads(text)
        except BaseException as exc:
            if not _engine_failure(exc):
                raise
            failure = parse_failure(exc)
            raise PolicyError(failure.message, failure.module, failure.line) from None
        if value is None:
            return []
        if not isinstance(value, list):
            raise PolicyError(f"{self._rule} is not a set (got {type(value).__name__})")
        return value


def compile_modules(
    main: str, libs: Sequence[str] = (), *, v0: bool = True, name: str = "template"
) -> RegoProgram:
    """Parse ``main`` (the template's package) and its ``libs``; return its violation program.

    The sources first go through :func:`~gitopspol.engines.gatekeeper.regocompat.rewrite`,
    which makes regorus follow OPA where the library templates depend on it.

    ``v0`` selects Rego v0 syntax (gatekeeper-library templates) or v1. Raises
    :class:`PolicyError` located at ``<name>.rego:<line>`` or ``<name>.lib<N>.rego:<line>``.
    """
    import regorus

    from gitopspol.engines.gatekeeper.regocompat import deepest_nesting, rewrite

    for module, source in [(f"{name}.rego", main)] + [
        (f"{name}.lib{i}.rego", lib) for i, lib in enumerate(libs)
    ]:
        depth, line = deepest_nesting(source)
        if depth > MAX_NESTING:
            raise PolicyError(
                f"brackets nested {depth} deep; gitopspol accepts at most {MAX_NESTING}",
                module,
                line,
            )
    engine = regorus.Engine()
    engine.set_rego_v0(v0)
    try:
        package = engine.add_policy(f"{name}.rego", rewrite(main, v0=v0))
        for index, lib in enumerate(libs):
            engine.add_policy(f"{name}.lib{index}.rego", rewrite(lib, v0=v0))
    except BaseException as exc:
        if not _engine_failure(exc):
            raise
        failure = parse_failure(exc)
        raise PolicyError(failure.message, failure.module, failure.line) from None
    modules = json.loads(engine.get_ast_as_json())
    recursive = find_recursive_function(modules)
    if recursive is not None:
        raise PolicyError(f"function {recursive[0]} is recursive", recursive[1], recursive[2])
    if not any(_rule_name(rule) == "violation" for rule in modules[0]["ast"].get("rules") or []):
        raise PolicyError("missing required rule: violation", f"{name}.rego", 1)
    return RegoProgram(engine, f"{package}.violation")


def _ref_path(node: Any) -> list[str] | None:
    """``a.b["c"]`` as ``["a", "b", "c"]`` from a regorus AST ref; None when not static."""
    if not isinstance(node, dict):
        return None
    if "Var" in node:
        return [node["Var"]["value"]]
    if "RefDot" in node:
        head = _ref_path(node["RefDot"]["refr"])
        field = node["RefDot"]["field"]
        return None if head is None else [*head, field[-1]]
    if "RefBrack" in node:
        head = _ref_path(node["RefBrack"]["refr"])
        index = node["RefBrack"].get("index")
        if head is None or not isinstance(index, dict) or "String" not in index:
            return None
        return [*head, index["String"]["value"]]
    return None


def _rule_name(rule: Mapping[str, Any]) -> str:
    """The first name of a rule's head (``violation`` for ``violation[x] {...}``)."""
    if "Spec" in rule:
        head: dict[str, Any] = next(iter(rule["Spec"]["head"].values()), {})
        return (_ref_path(head.get("refr")) or [""])[0]
    return (_ref_path((rule.get("Default") or {}).get("refr")) or [""])[0]


def _calls(node: Any) -> list[list[str]]:
    """The static paths of every function called anywhere under ``node``."""
    found: list[list[str]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            call = item.get("Call")
            if isinstance(call, dict):
                path = _ref_path(call.get("fcn"))
                if path is not None:
                    found.append(path)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def find_recursive_function(modules: Sequence[Mapping[str, Any]]) -> tuple[str, str, int] | None:
    """A function that calls itself, directly or through other functions, if any.

    OPA refuses such templates at compile time (``rego_recursion_error``); regorus detects
    recursive *rules* but overflows the stack on recursive *functions*, which kills the
    process. So gitopspol checks function calls on the parsed modules first.
    Returns ``(function, module, line)`` or None.
    """
    graph: dict[str, set[str]] = {}
    where: dict[str, tuple[str, int]] = {}
    for module in modules:
        ast, contents = module["ast"], module["source"]["contents"]
        package = ".".join(["data", *(_ref_path(ast["package"]["refr"]) or [])])
        aliases: dict[str, str] = {}
        for imp in ast.get("imports") or []:
            path = _ref_path(imp["refr"]) or []
            span = imp.get("as")
            alias = contents[span["start"] : span["end"]] if span else (path or [""])[-1]
            aliases[alias] = ".".join(path)
        local = {
            (_ref_path(rule["Spec"]["head"]["Func"]["refr"]) or [""])[0]
            for rule in ast.get("rules") or []
            if "Func" in rule.get("Spec", {}).get("head", {})
        }
        for rule in ast.get("rules") or []:
            head = rule.get("Spec", {}).get("head", {})
            if "Func" not in head:
                continue
            name = f"{package}.{'.'.join(_ref_path(head['Func']['refr']) or [])}"
            where.setdefault(name, (module["source"]["file"], rule["Spec"]["span"]["line"]))
            edges = graph.setdefault(name, set())
            for path in _calls(rule["Spec"]["bodies"]):
                if path[0] == "data":
                    edges.add(".".join(path))
                elif path[0] in aliases:
                    edges.add(".".join([aliases[path[0]], *path[1:]]))
                elif len(path) == 1 and path[0] in local:
                    edges.add(f"{package}.{path[0]}")
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in graph:
        if state.get(start):
            continue
        state[start] = 1
        stack = [(start, iter(sorted(graph[start])))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return (child.removeprefix("data."), *where[child])
            elif child in graph and not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
    return None
