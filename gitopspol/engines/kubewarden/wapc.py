"""A waPC host on wasmtime: run a Kubewarden policy module offline, bounded in time and memory.

Kubewarden policies are WebAssembly modules that speak waPC, the protocol of
``wapc-rs`` (https://github.com/wapc/wapc-rs) which Kubewarden's ``policy-evaluator`` uses.
The host writes nothing into guest memory on its own; the guest pulls and pushes:

1. the host calls the guest export ``__guest_call(operation_len, payload_len) -> i32``;
2. the guest allocates buffers and calls the import ``wapc.__guest_request(op_ptr, ptr)``,
   and the host copies the operation name and the payload there;
3. the guest answers with ``wapc.__guest_response(ptr, len)`` or ``wapc.__guest_error(ptr,
   len)`` and returns 1 (success) or 0 (failure). As in ``wapc::WapcHost::call``, a return of
   0 is an error (the guest error, or "no error message set"), and a return of 1 without a
   response is an error too.

The guest may call the host with ``wapc.__host_call(binding, namespace, operation, payload)``;
the host keeps a response (``__host_response_len`` / ``__host_response``) or an error
(``__host_error_len`` / ``__host_error``) and returns 1 or 0. Kubewarden's host capabilities
(Kubernetes lookups, OCI manifests, sigstore, DNS) need the network or a cluster, so this host
answers every host call with the error "not available offline". ``__console_log`` lines are
kept on the module (:attr:`WapcModule.logs`).

Each call runs in a fresh store and instance, as policy-evaluator rehydrates one per
evaluation: a call cannot see state left by an earlier one, and a trapped instance is never
reused. Calls are bounded by wasmtime fuel (instructions, deterministic), an epoch deadline
(wall-clock time) and a store memory limit; exceeding one raises
:class:`~gitopspol.errors.PolicyError`. Before the call the optional start functions
``_start`` (TinyGo) and ``wapc_init`` run, in that order, as ``wapc-rs`` does; a ``_start``
that ends with WASI ``proc_exit(0)`` is fine. Modules importing ``wasi_snapshot_preview1``
(TinyGo policies) get a WASI context with no arguments, environment, directories or sockets.

A module annotated by ``kwctl`` carries its metadata in the custom section
``io.kubewarden.metadata``; one whose ``executionMode`` is not ``kubewarden-wapc`` (Rego
policies for OPA or Gatekeeper, plain WASI programs) raises :class:`UnsupportedModule`.
Modules are compiled once per process and cached by the SHA-256 of their bytes (files also by
path and modification time). ``wasmtime`` is imported lazily: it is the optional
``kubewarden`` extra.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopspol.errors import InputError, PolicyError

if TYPE_CHECKING:
    import wasmtime

#: Largest module file read (Kubewarden policies are typically 1-10 MB).
MAX_MODULE_BYTES = 64 * 1024 * 1024
#: Default instruction budget of one call (a JSON-parsing policy uses a few million).
DEFAULT_FUEL = 1_000_000_000
#: Default wall-clock bound of one call, in seconds (policy-server's default is 2).
DEFAULT_TIMEOUT = 2.0
#: Default bound of a module's linear memory, in bytes.
DEFAULT_MEMORY_LIMIT = 256 * 1024 * 1024
#: Largest guest response or console line accepted, in bytes.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
#: Lines of console output kept per module.
MAX_LOG_LINES = 1000

#: Custom section holding the policy metadata written by ``kwctl annotate``.
METADATA_SECTION = "io.kubewarden.metadata"
_HOST = "wapc"
_WASI = "wasi_snapshot_preview1"
_STARTS = ("_start", "wapc_init")
_PAGE = 65536
_CACHE: dict[str, _Compiled] = {}
#: Modules loaded from files, by (path, mtime, size, inode).
_PATHS: dict[tuple[str, int, int, int], WapcModule] = {}
_CACHE_LOCK = threading.Lock()


class UnsupportedModule(PolicyError):
    """A Kubewarden module this host cannot run (OPA, Gatekeeper or WASI execution mode)."""


def _leb128(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 35:
            raise ValueError("truncated LEB128")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def module_metadata(wasm: bytes) -> dict[str, Any] | None:
    """The Kubewarden metadata of a binary module (``kwctl annotate``), None when absent.

    It is JSON in the custom section ``io.kubewarden.metadata``: ``protocolVersion``,
    ``rules``, ``mutating``, ``contextAwareResources``, ``executionMode`` ...
    """
    if not wasm.startswith(b"\0asm"):
        return None
    pos = 8
    try:
        while pos < len(wasm):
            section = wasm[pos]
            size, pos = _leb128(wasm, pos + 1)
            end = pos + size
            if section == 0:
                name_len, name_at = _leb128(wasm, pos)
                if wasm[name_at : name_at + name_len] == METADATA_SECTION.encode():
                    found = json.loads(wasm[name_at + name_len : end])
                    return found if isinstance(found, dict) else None
            pos = end
    except (ValueError, IndexError):
        return None
    return None


def wasmtime_available() -> bool:
    """Whether the optional ``wasmtime`` package can be imported."""
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(slots=True)
class _CallState:
    """What one guest call exchanges with the host (``wapc::ModuleState``)."""

    operation: bytes
    payload: bytes
    response: bytes | None = None
    error: str | None = None
    host_response: bytes | None = None
    host_error: str | None = None
    logs: list[str] = field(default_factory=list)


def _memory(caller: wasmtime.Caller) -> wasmtime.Memory:
    import wasmtime

    memory = caller.get("memory")
    if not isinstance(memory, wasmtime.Memory):
        raise PolicyError("the policy module does not export its memory as 'memory'")
    return memory


def _read(caller: wasmtime.Caller, ptr: int, length: int) -> bytes:
    memory = _memory(caller)
    size = memory.data_len(caller)
    if length > MAX_MESSAGE_BYTES:
        raise PolicyError(
            f"guest passed {length} bytes, more than the {MAX_MESSAGE_BYTES} accepted"
        )
    if ptr < 0 or length < 0 or ptr + length > size:
        raise PolicyError(
            f"guest passed a buffer outside its memory (offset {ptr}, {length} bytes)"
        )
    return bytes(memory.read(caller, ptr, ptr + length))


def _write(caller: wasmtime.Caller, ptr: int, data: bytes) -> None:
    if not data:
        return
    memory = _memory(caller)
    if ptr < 0 or ptr + len(data) > memory.data_len(caller):
        raise PolicyError(f"guest asked for {len(data)} bytes at offset {ptr}, outside its memory")
    memory.write(caller, data, ptr)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _host_functions(
    current: Callable[[], _CallState],
) -> dict[str, tuple[int, int, Callable[..., Any]]]:
    """The waPC imports: name -> (parameter count, result count, implementation).

    ``current`` gives the state of the call in progress (calls on a module are serialised).
    """

    def guest_request(caller: wasmtime.Caller, op_ptr: int, ptr: int) -> None:
        state = current()
        _write(caller, ptr, state.payload)
        _write(caller, op_ptr, state.operation)

    def guest_response(caller: wasmtime.Caller, ptr: int, length: int) -> None:
        state = current()
        state.response = _read(caller, ptr, length)

    def guest_error(caller: wasmtime.Caller, ptr: int, length: int) -> None:
        state = current()
        state.error = _text(_read(caller, ptr, length))

    def host_call(caller: wasmtime.Caller, *args: int) -> int:
        state = current()
        binding, namespace, operation = (
            _text(_read(caller, args[i], args[i + 1])) for i in (0, 2, 4)
        )
        # No network, no cluster: every capability is refused, with what was asked.
        state.host_response = None
        state.host_error = (
            f"host capability {binding}/{namespace}/{operation} is not available offline"
        )
        return 0

    def host_response_len(caller: wasmtime.Caller) -> int:
        state = current()
        return len(state.host_response or b"")

    def host_response(caller: wasmtime.Caller, ptr: int) -> None:
        state = current()
        _write(caller, ptr, state.host_response or b"")

    def host_error_len(caller: wasmtime.Caller) -> int:
        state = current()
        return len((state.host_error or "").encode())

    def host_error(caller: wasmtime.Caller, ptr: int) -> None:
        state = current()
        _write(caller, ptr, (state.host_error or "").encode())

    def console_log(caller: wasmtime.Caller, ptr: int, length: int) -> None:
        state = current()
        if len(state.logs) < MAX_LOG_LINES:
            state.logs.append(_text(_read(caller, ptr, length)))

    return {
        "__guest_request": (2, 0, guest_request),
        "__guest_response": (2, 0, guest_response),
        "__guest_error": (2, 0, guest_error),
        "__host_call": (8, 1, host_call),
        "__host_response_len": (0, 1, host_response_len),
        "__host_response": (1, 0, host_response),
        "__host_error_len": (0, 1, host_error_len),
        "__host_error": (1, 0, host_error),
        "__console_log": (2, 0, console_log),
    }


class _Compiled:
    """A compiled module with its engine, its linked imports and the lock of its calls."""

    __slots__ = ("engine", "lock", "metadata", "pre", "state", "wasi")

    def __init__(
        self, engine: wasmtime.Engine, module: wasmtime.Module, metadata: dict[str, Any] | None
    ) -> None:
        import wasmtime

        self.engine = engine
        self.metadata = metadata
        self.lock = threading.Lock()
        self.state = _CallState(b"", b"")
        linker = wasmtime.Linker(engine)
        # TinyGo policies are WASI programs speaking waPC, as policy-evaluator allows.
        self.wasi = any(item.module == _WASI for item in module.imports)
        if self.wasi:
            linker.define_wasi()
        i32 = wasmtime.ValType.i32()
        for name, (params, results, impl) in _host_functions(lambda: self.state).items():
            kind = wasmtime.FuncType([i32] * params, [i32] * results)
            linker.define_func(_HOST, name, kind, impl, access_caller=True)
        try:
            self.pre = linker.instantiate_pre(module)
        except wasmtime.WasmtimeError as exc:
            # an import outside the waPC set (WASI, say): this host cannot run the module
            raise PolicyError(f"policy module cannot be linked: {_reason(exc)}") from None


class _Watchdog:
    """One daemon thread that interrupts calls past their deadline (epoch interruption).

    A call arms a deadline for its engine and disarms it when done; when a deadline passes
    first, the engine's epoch is incremented and the running wasm traps with INTERRUPT.
    The thread sleeps on a condition until the next deadline: no polling.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, tuple[float, wasmtime.Engine]] = {}
        self._next = 0
        self._thread: threading.Thread | None = None
        #: When the thread wakes up next (it need not be woken for a later deadline).
        self._wake = math.inf

    def arm(self, engine: wasmtime.Engine, timeout: float) -> int:
        with self._cond:
            self._next += 1
            deadline = time.monotonic() + timeout
            self._armed[self._next] = (deadline, engine)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="gitopspol-wasm-watchdog", daemon=True
                )
                self._thread.start()
            elif deadline < self._wake:
                self._cond.notify()
            return self._next

    def disarm(self, token: int) -> None:
        with self._cond:
            self._armed.pop(token, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for token, (deadline, engine) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[token]
                        engine.increment_epoch()
                self._wake = min(
                    (deadline for deadline, _ in self._armed.values()), default=math.inf
                )
                self._cond.wait(None if self._wake == math.inf else self._wake - now)


_WATCHDOG = _Watchdog()


class WapcModule:
    """A compiled waPC policy module. Build it with :meth:`load` or :meth:`from_bytes`."""

    __slots__ = ("_compiled", "digest", "logs", "source")

    def __init__(self, compiled: _Compiled, source: str, digest: str) -> None:
        self._compiled = compiled
        #: Where the module came from (a path, or a label for in-memory modules).
        self.source = source
        #: ``sha256:<hex>`` of the module bytes.
        self.digest = digest
        #: ``__console_log`` lines of the latest call.
        self.logs: tuple[str, ...] = ()

    @property
    def metadata(self) -> dict[str, Any] | None:
        """The module's Kubewarden metadata (``io.kubewarden.metadata``), when annotated."""
        return self._compiled.metadata

    @classmethod
    def load(cls, path: str | Path) -> WapcModule:
        """Compile the module at ``path`` (binary ``.wasm`` or WebAssembly text), cached.

        Raises InputError when the file cannot be read, PolicyError when it is not a valid
        waPC module, ImportError when ``wasmtime`` is not installed.
        """
        p = Path(path)
        try:
            stat = p.stat()
            # A file unchanged since it was last loaded is not read and hashed again.
            key = (str(p.resolve()), stat.st_mtime_ns, stat.st_size, stat.st_ino)
            with _CACHE_LOCK:
                known = _PATHS.get(key)
            if known is not None:
                return cls(known._compiled, str(p), known.digest)
            if stat.st_size > MAX_MODULE_BYTES:
                raise InputError(f"module is larger than {MAX_MODULE_BYTES} bytes", p)
            data = p.read_bytes()
        except FileNotFoundError:
            raise InputError("no such policy module", p) from None
        except IsADirectoryError:
            raise InputError("is a directory, expected a policy module", p) from None
        except PermissionError:
            raise InputError("permission denied", p) from None
        loaded = cls.from_bytes(data, source=str(p))
        with _CACHE_LOCK:
            _PATHS[key] = loaded
        return loaded

    @classmethod
    def from_bytes(cls, data: bytes | str, *, source: str = "<module>") -> WapcModule:
        """Compile a module from its bytes (or WebAssembly text), cached by content hash."""
        import wasmtime

        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        with _CACHE_LOCK:
            compiled = _CACHE.get(digest)
        if compiled is None:
            config = wasmtime.Config()
            config.consume_fuel = True
            config.epoch_interruption = True
            # One engine per module: a call's epoch deadline must not interrupt another module.
            engine = wasmtime.Engine(config)
            try:
                module = wasmtime.Module(engine, raw)
            except wasmtime.WasmtimeError as exc:
                raise PolicyError(
                    f"not a valid WebAssembly module: {_reason(exc)}", source
                ) from None
            metadata = module_metadata(bytes(wasmtime.wat2wasm(raw)) if raw[:1] != b"\0" else raw)
            mode = (metadata or {}).get("executionMode", "kubewarden-wapc")
            if mode != "kubewarden-wapc":
                raise UnsupportedModule(
                    f"execution mode {mode!r} is not supported offline (only kubewarden-wapc)",
                    source,
                )
            if "__guest_call" not in {export.name for export in module.exports}:
                raise PolicyError("not a waPC module: it does not export '__guest_call'", source)
            try:
                built = _Compiled(engine, module, metadata)
            except PolicyError as exc:
                raise PolicyError(exc.message, source) from None
            with _CACHE_LOCK:
                compiled = _CACHE.setdefault(digest, built)
        return cls(compiled, source, digest)

    def call(
        self,
        operation: str,
        payload: bytes,
        *,
        fuel: int | None = DEFAULT_FUEL,
        timeout: float | None = DEFAULT_TIMEOUT,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
    ) -> bytes:
        """Invoke ``operation`` with ``payload`` and return the guest's response bytes.

        ``fuel`` bounds the instructions run (None: unbounded), ``timeout`` the wall-clock
        seconds (None: unbounded), ``memory_limit`` the bytes of linear memory. Raises
        PolicyError, naming the module, when the guest reports an error, traps, runs out
        of fuel or time, or needs more memory than allowed. Calls on one module are
        serialised (a wasm instance is single-threaded).
        """
        compiled = self._compiled
        with compiled.lock:
            state = compiled.state = _CallState(operation.encode("utf-8"), bytes(payload))
            try:
                return self._call(state, fuel, timeout, memory_limit)
            finally:
                self.logs = tuple(state.logs)
                compiled.state = _CallState(b"", b"")

    def _call(
        self, state: _CallState, fuel: int | None, timeout: float | None, memory_limit: int
    ) -> bytes:
        import wasmtime

        compiled = self._compiled
        store = wasmtime.Store(compiled.engine)
        if compiled.wasi:
            # No arguments, environment, directories or sockets; stdio goes nowhere.
            store.set_wasi(wasmtime.WasiConfig())
        store.set_limits(memory_size=memory_limit)
        # Fuel is always consumed (the engine is configured for it): "unbounded" is the max.
        store.set_fuel(fuel if fuel is not None else 2**63 - 1)
        store.set_epoch_deadline(1 if timeout is not None else 2**63 - 1)
        token = _WATCHDOG.arm(compiled.engine, timeout) if timeout is not None else None
        instance: wasmtime.Instance | None = None
        try:
            instance = compiled.pre.instantiate(store)
            exports = instance.exports(store)
            for start in _STARTS:
                func = exports.get(start)
                if isinstance(func, wasmtime.Func):
                    try:
                        func(store)
                    except wasmtime.ExitTrap as exc:
                        # TinyGo's main calls proc_exit(0) (wapc-rs ignores a zero exit)
                        if exc.code != 0:
                            raise PolicyError(f"{start} exited with status {exc.code}") from None
            guest_call = exports["__guest_call"]
            if not isinstance(guest_call, wasmtime.Func):
                raise PolicyError("'__guest_call' is not a function", self.source)
            result = guest_call(store, len(state.operation), len(state.payload))
        except PolicyError as exc:
            raise PolicyError(f"policy module: {exc.message}", self.source) from None
        except wasmtime.Trap as exc:
            raise self._trap_error(exc, store, instance, fuel, timeout, memory_limit) from None
        except wasmtime.WasmtimeError as exc:
            text = _reason(exc)
            if "memory" in text and ("limit" in text or "minimum" in text):
                text = f"memory limit of {memory_limit} bytes exceeded ({text})"
            raise PolicyError(f"policy module cannot run: {text}", self.source) from None
        finally:
            if token is not None:
                _WATCHDOG.disarm(token)
        if result == 0:
            reason = state.error or "no error message set for call failure"
            raise PolicyError(f"policy module error: {reason}", self.source)
        if state.response is None:
            reason = state.error or "no error message or response set for call success"
            raise PolicyError(f"policy module error: {reason}", self.source)
        return state.response

    def _trap_error(
        self,
        trap: wasmtime.Trap,
        store: wasmtime.Store,
        instance: wasmtime.Instance | None,
        fuel: int | None,
        timeout: float | None,
        memory_limit: int,
    ) -> PolicyError:
        import wasmtime

        code = trap.trap_code
        if code == wasmtime.TrapCode.OUT_OF_FUEL:
            text = f"stopped after {fuel} instructions (fuel limit exceeded)"
        elif code == wasmtime.TrapCode.INTERRUPT:
            text = f"stopped after {timeout} seconds (time limit exceeded)"
        else:
            text = f"trapped: {_reason(trap)}"
            used = self._memory_size(store, instance)
            # A guest whose memory.grow fails (it returns -1 under the store limit)
            # usually aborts; when its memory is then within a page of the limit, say so.
            if used is not None and used + _PAGE > memory_limit:
                text += f" (memory limit of {memory_limit} bytes exceeded: {used} bytes in use)"
        return PolicyError(f"policy module {text}", self.source)

    @staticmethod
    def _memory_size(store: wasmtime.Store, instance: wasmtime.Instance | None) -> int | None:
        import wasmtime

        if instance is None:
            return None
        memory = instance.exports(store).get("memory")
        return memory.data_len(store) if isinstance(memory, wasmtime.Memory) else None


def _reason(exc: BaseException) -> str:
    """The cause of a wasmtime error, without its wasm backtrace."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    if "Caused by:" in lines:
        return lines[-1].removeprefix("wasm trap: ")
    return lines[0]
