"""Adapter over the Rego engine (regorus, from the ``gordon-to-regorus`` wheel).

Everything gitopspol needs from a Rego engine is here, so the engine can be replaced by
changing this module only: compile a template's modules once (:func:`compile_modules`),
then evaluate its ``violation`` rule against many input documents
(:meth:`RegoProgram.violations`).

Documents cross the boundary as JSON text, never as Python objects: older regorus bindings
turned ``False`` into ``0`` when converting dicts.
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import itertools
import json
import os
import re
import select
import signal
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from gitopspol.errors import PolicyError

#: The engine and version this adapter is written for (recorded in docs/gatekeeper.md).
ENGINE = "regorus (gordon-to-regorus 0.13.0)"

#: Deepest bracket nesting accepted in a Rego module. regorus parses nested brackets in time
#: exponential in the depth (16 levels take seconds); gatekeeper-library needs 6.
MAX_NESTING = 12

#: Wall-clock limit for one evaluation. Rego has no loops, but nested iteration over
#: ``numbers.range`` or large comprehensions can run for hours, and regorus (this build) has no
#: execution limit of its own: ``dir(regorus.Engine)`` offers no timer or instruction budget.
TIME_LIMIT_SECONDS = 10.0
#: Memory one evaluation may add to the process (address space above what it already uses).
MEMORY_LIMIT_BYTES = 1 << 30

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

    Evaluations run in the worker process (:class:`_Worker`), bounded in time and memory.
    Programs are numbered so that the worker knows which ones it holds: those compiled
    before it was forked.
    """

    __slots__ = (
        "__weakref__",
        "_engine",
        "_memo",
        "_paths",
        "_reads_parameters",
        "_review_paths",
        "_rule",
        "_serial",
    )

    def __init__(
        self, engine: Any, rule: str, input_paths: Sequence[tuple[str, ...]] = ((),)
    ) -> None:
        self._engine = engine
        self._rule = rule
        self._serial = next(_SERIALS)
        self._paths = tuple(input_paths)
        review_paths = tuple(p[1:] for p in self._paths if p[:1] == ("review",))
        # One object per distinct set, so that the last review's part is found by identity.
        self._review_paths = _PATH_SETS.setdefault(review_paths, review_paths)
        self._reads_parameters = any(p[:1] == ("parameters",) for p in self._paths)
        self._memo: dict[str, Any] = {}
        _PROGRAMS[self._serial] = self

    @property
    def input_paths(self) -> tuple[tuple[str, ...], ...]:
        """Where the modules read ``input``: the static prefix of every reference to it
        (``("review", "object", "spec", "containers")`` for
        ``input.review.object.spec.containers[_]``); ``()`` when they use ``input`` whole."""
        return self._paths

    def input_key(self, review: Mapping[str, Any], parameters_json: str) -> str | None:
        """A key equal for two inputs (``{"review": review, "parameters": ...}``) that
        agree on everything :attr:`input_paths` reaches; None when the program reads the
        whole input or the review is not plain JSON."""
        if self._paths == ((),):
            return None
        part = _review_part(review, self._review_paths)
        if part is None:
            return None
        return part + "\0" + (parameters_json if self._reads_parameters else "")

    def memo_violations(self, key: str | None, compute: Callable[[], _T]) -> _T:
        """``compute()`` remembered under ``key`` (see :meth:`input_key`); errors are not."""
        if key is None:
            return compute()
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        found = compute()
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = found
        return found

    @property
    def rule(self) -> str:
        """The full path of the evaluated rule, e.g. ``data.k8sallowedrepos.violation``."""
        return self._rule

    def violations(self, input_json: str, data: Mapping[str, Any] | None = None) -> list[Any]:
        """Evaluate the rule with ``input_json`` (and ``data`` merged under ``data.``).

        Returns the rule's set members (an undefined rule is the empty set). Raises
        :class:`PolicyError` with the engine's one-line message on an evaluation error, or
        when the evaluation exceeds :data:`TIME_LIMIT_SECONDS` or :data:`MEMORY_LIMIT_BYTES`.
        """
        request = (self._serial, input_json, json.dumps(data) if data else None)
        if hasattr(os, "fork"):
            status, text = _WORKER.call(self._serial, request)
        else:  # pragma: no cover - no fork (Windows): in process, without limits
            with _WORKER.lock:
                status, text = _serve(request)
        if status != "ok":
            failure = parse_failure(RuntimeError(text))
            raise PolicyError(failure.message, failure.module, failure.line)
        value = json.loads(text)
        if value is None:
            return []
        if not isinstance(value, list):
            raise PolicyError(f"{self._rule} is not a set (got {type(value).__name__})")
        return value

    def _evaluate(self, input_json: str, data_json: str | None) -> str:
        """One evaluation in this process (the worker). Data goes to a copy of the engine."""
        engine = self._engine
        if data_json is not None:
            engine = engine.clone()
            engine.add_data_json(data_json)
        engine.set_input_json(input_json)
        return str(engine.eval_rule_as_json(self._rule))


_SERIALS = itertools.count()
_T = TypeVar("_T")
#: Remembered results per program (cleared when full).
_MEMO_LIMIT = 4096
_PROGRAMS: weakref.WeakValueDictionary[int, RegoProgram] = weakref.WeakValueDictionary()

#: A request to the worker: program serial, input JSON, data JSON (or None).
_Request = tuple[int, str, str | None]


def _serve(request: _Request) -> tuple[str, str]:
    """``("ok", result JSON)`` or ``("error", engine message)`` for one request."""
    serial, input_json, data_json = request
    try:
        return "ok", _PROGRAMS[serial]._evaluate(input_json, data_json)
    except BaseException as exc:
        if not _engine_failure(exc):
            raise
        return "error", str(exc)


class _Worker:
    """One child process that evaluates Rego for this process, bounded in time and memory.

    A thread cannot stop a native call that never returns (regorus holds the GIL), so
    evaluations run in a forked child, killed at the deadline and forked again for the next
    request. The child shares the parent's pages, compiled programs included; a program
    compiled after the fork makes the next request fork a new child (a few milliseconds,
    once per template rather than per evaluation). The child also contains engine crashes
    (stack overflow, allocation failure). It exits when this process closes its pipe.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._pid = 0
        self._knows_below = 0  # programs with a smaller serial existed at the fork
        self._to_child = -1
        self._from_child = -1

    def call(self, serial: int, request: _Request) -> tuple[str, str]:
        """Send ``request`` to the worker and wait for its reply, at most the time limit."""
        with self.lock:
            if self._pid == 0 or serial >= self._knows_below:
                self._restart()
            try:
                _send(self._to_child, _encode_request(request))
                reply = _receive(self._from_child, time.monotonic() + TIME_LIMIT_SECONDS)
            except OSError:  # the child died before reading: a crash
                reply = b""
            if reply is None:
                self.stop()
                return "error", f"evaluation stopped after {TIME_LIMIT_SECONDS:g} s (time limit)"
            if not reply:
                self.stop()
                return "error", (
                    "evaluation stopped: the engine crashed or exceeded the "
                    f"{MEMORY_LIMIT_BYTES >> 20} MiB memory limit"
                )
            return _decode_reply(reply)

    def stop(self) -> None:
        """Kill the child (if any) and close its pipes."""
        if self._pid:
            for fd in (self._to_child, self._from_child):
                os.close(fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = 0

    def forget(self) -> None:
        """In a forked copy of this process: drop the worker, which belongs to the parent
        (close the inherited pipes; the next evaluation starts this copy's own worker)."""
        if self._pid:
            for fd in (self._to_child, self._from_child):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._pid = 0
        self.lock = threading.Lock()

    def _restart(self) -> None:
        self.stop()
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        self._knows_below = next(_SERIALS)
        with warnings.catch_warnings():
            # Python 3.12 warns about fork in a process with threads; the child only runs
            # the engine on its private copy and leaves with os._exit.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
            os.close(request_write)
            os.close(reply_read)
            _child(request_read, reply_write)
        os.close(request_read)
        os.close(reply_write)
        self._pid, self._to_child, self._from_child = pid, request_write, reply_read


def _child(requests: int, replies: int) -> None:  # pragma: no cover - runs in the child
    """The worker's loop: serve requests until the parent closes the pipe, then exit."""
    code = 1
    try:
        # The engine's own report of a crash (a Rust backtrace, or Python's faulthandler
        # when the host enabled it) is not for the user: the parent reports the crash.
        faulthandler.disable()
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        _limit_memory()
        while (raw := _receive(requests, None)) is not None and raw:
            _send(replies, _encode_reply(*_serve(_decode_request(raw))))
        code = 0
    finally:
        os._exit(code)


# Messages are framed bytes, not JSON: the input document is already JSON text, and quoting
# it again would double the cost of every request.
_NO_DATA = (1 << 64) - 1


def _encode_request(request: _Request) -> bytes:
    serial, input_json, data_json = request
    raw_input = input_json.encode("utf-8")
    raw_data = data_json.encode("utf-8") if data_json is not None else b""
    size = len(raw_data) if data_json is not None else _NO_DATA
    head = serial.to_bytes(8, "big") + len(raw_input).to_bytes(8, "big") + size.to_bytes(8, "big")
    return head + raw_input + raw_data


def _decode_request(raw: bytes) -> _Request:
    serial = int.from_bytes(raw[:8], "big")
    input_size = int.from_bytes(raw[8:16], "big")
    data_size = int.from_bytes(raw[16:24], "big")
    input_json = raw[24 : 24 + input_size].decode("utf-8")
    data_json = None if data_size == _NO_DATA else raw[24 + input_size :].decode("utf-8")
    return serial, input_json, data_json


def _encode_reply(status: str, text: str) -> bytes:
    return (b"o" if status == "ok" else b"e") + text.encode("utf-8")


def _decode_reply(raw: bytes) -> tuple[str, str]:
    return ("ok" if raw[:1] == b"o" else "error"), raw[1:].decode("utf-8", "replace")


def _send(fd: int, payload: bytes) -> None:
    """Write one length-prefixed message."""
    view = memoryview(len(payload).to_bytes(8, "big") + payload)
    while view:
        view = view[os.write(fd, view) :]


def _receive(fd: int, deadline: float | None) -> bytes | None:
    """Read one length-prefixed message; ``b""`` when the writer is gone, None at the deadline."""
    head = _read_exactly(fd, 8, deadline)
    if not head:
        return head
    return _read_exactly(fd, int.from_bytes(head, "big"), deadline)


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return b""
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    """Cap the child's address space at what it maps now plus :data:`MEMORY_LIMIT_BYTES`."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = mapped + MEMORY_LIMIT_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time limit still holds


_WORKER = _Worker()
atexit.register(_WORKER.stop)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WORKER.forget)


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
    return RegoProgram(engine, f"{package}.violation", input_paths(modules))


def input_paths(modules: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, ...], ...]:
    """The static prefixes of every reference to ``input`` in parsed modules, shortest
    first, none the prefix of another; ``((),)`` when ``input`` is used whole.

    A reference ``input.a.b[x].c`` reads at most what is under ``input.a.b``, so two inputs
    that agree on every listed prefix (present with equal values, or absent) give the same
    result: see :meth:`RegoProgram.input_key`.
    """
    found: set[tuple[str, ...]] = set()
    stack: list[Any] = [module["ast"] for module in modules]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "RefDot" in node or "RefBrack" in node:
            path = _ref_path(node)
            if path is not None:  # a static reference holds no other expression
                if path[0] == "input":
                    found.add(tuple(path[1:]))
                continue
        var = node.get("Var")
        if isinstance(var, dict):
            if var.get("value") == "input":
                found.add(())
            continue
        stack.extend(node.values())
    kept: list[tuple[str, ...]] = []
    for found_path in sorted(found, key=lambda p: (len(p), p)):
        if not any(found_path[: len(prefix)] == prefix for prefix in kept):
            kept.append(found_path)
    return tuple(kept)


#: Each distinct set of review paths, once (see RegoProgram).
_PATH_SETS: dict[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]] = {}
#: The key part of the last review seen per set of review paths:
#: id(paths) -> (paths, review, part).
_LAST_PART: dict[int, tuple[Any, Any, str]] = {}


def _review_part(review: Mapping[str, Any], paths: tuple[tuple[str, ...], ...]) -> str | None:
    """JSON of what ``paths`` reach in ``review`` (each value, or the depth where it is
    absent); None when the review is not plain JSON. The last review's is remembered."""
    last = _LAST_PART.get(id(paths))
    if last is not None and last[0] is paths and last[1] is review:
        return last[2]
    values: list[Any] = []
    for path in paths:
        value: Any = review
        for depth, step in enumerate(path):
            if not isinstance(value, Mapping) or step not in value:
                value = depth  # absent from this step on
                break
            value = value[step]
        else:
            value = [value]  # present
        values.append(value)
    try:
        part = json.dumps(values, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    if len(_LAST_PART) >= 64:
        _LAST_PART.clear()
    _LAST_PART[id(paths)] = (paths, review, part)
    return part


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
