"""Hand-written waPC guests in WebAssembly text, for testing the host without real policies.

:func:`guest_wat` builds a module that implements the guest side of waPC directly: its
``__guest_call`` grows memory to fit the request, pulls the operation and payload with
``__guest_request``, and answers ``validate_settings`` (told apart by its 17-byte name) and
``validate`` with fixed JSON responses. ``reject_if`` makes ``validate`` answer differently
when the payload contains a byte string (the host serialises JSON compactly, so
``'"privileged":true'`` finds a privileged container). ``before`` is WAT code run after the
request was pulled: a trap, an endless loop, a memory hog, a host call; ``{name}`` in it
stands for the ``(i32.const offset) (i32.const length)`` of a constant.
"""

from __future__ import annotations

import json
from typing import Any

ACCEPT = {"accepted": True}
VALID = {"valid": True}

#: Guest-side constants: data lives in page 0, the operation and payload from page 1 on.
_OP = 65536
_PAYLOAD = _OP + 256


def _escape(data: bytes) -> str:
    return "".join(
        chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\{b:02x}" for b in data
    )


def _json(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def guest_wat(
    *,
    validate: Any = ACCEPT,
    settings: Any = VALID,
    reject_if: tuple[str, Any] | None = None,
    before: str = "",
    memory_pages: int = 2,
    metadata: dict[str, Any] | None = None,
    imports: str = "",
    fields: str = "",
) -> str:
    """WAT text of a waPC guest (responses are JSON values, or raw bytes).

    ``metadata`` becomes the ``io.kubewarden.metadata`` custom section; ``imports`` and
    ``fields`` are extra module fields placed after the waPC imports and at the end.
    """
    blobs: dict[str, bytes] = {
        "settings": _json(settings),
        "validate": _json(validate),
        "needle": reject_if[0].encode() if reject_if else b"",
        "reject": _json(reject_if[1]) if reject_if else b"",
        "log": b"guest says hello",
        "kw": b"kubewarden",
        "ns": b"kubernetes",
        "lookup": b"list_resources_by_namespace",
        "oom": b"out of memory",
    }
    offsets: dict[str, tuple[int, int]] = {}
    data = []
    offset = 16
    for name, blob in blobs.items():
        offsets[name] = (offset, len(blob))
        data.append(f'  (data (i32.const {offset}) "{_escape(blob)}")')
        offset += len(blob) + 16
    assert offset < _OP, "guest constants do not fit in page 0"

    def ref(name: str) -> str:
        off, length = offsets[name]
        return f"(i32.const {off}) (i32.const {length})"

    reject = ""
    if reject_if:
        reject = f"""
    (if (call $contains (i32.const {_PAYLOAD}) (local.get $len) {ref("needle")})
      (then (call $guest_response {ref("reject")}) (return (i32.const 1))))"""
    segments = "\n".join(data)
    if metadata is not None:
        segments += f'\n  (@custom "io.kubewarden.metadata" "{_escape(_json(metadata))}")'

    return f"""(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  {imports}
  (memory (export "memory") {memory_pages})
{segments}
  (func $contains (param $hay i32) (param $hay_len i32) (param $needle i32) (param $n_len i32)
    (result i32)
    (local $i i32) (local $j i32)
    (block $done
      (loop $outer
        (br_if $done (i32.gt_s (i32.add (local.get $i) (local.get $n_len)) (local.get $hay_len)))
        (local.set $j (i32.const 0))
        (block $mismatch
          (loop $inner
            (if (i32.ge_u (local.get $j) (local.get $n_len)) (then (return (i32.const 1))))
            (br_if $mismatch
              (i32.ne
                (i32.load8_u (i32.add (local.get $hay) (i32.add (local.get $i) (local.get $j))))
                (i32.load8_u (i32.add (local.get $needle) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (i32.const 0))
  (func (export "__guest_call") (param $op_len i32) (param $len i32) (result i32)
    (local $need i32) (local $n i32)
    (local.set $need
      (i32.add (i32.div_u (i32.add (i32.const {_PAYLOAD}) (local.get $len)) (i32.const 65536))
               (i32.const 1)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then unreachable))))
    (call $guest_request (i32.const {_OP}) (i32.const {_PAYLOAD}))
    {before.format(**{name: ref(name) for name in offsets})}
    (if (i32.eq (local.get $op_len) (i32.const 17))
      (then (call $guest_response {ref("settings")}) (return (i32.const 1)))){reject}
    (call $guest_response {ref("validate")})
    (i32.const 1))
  {fields}
)
"""


TRAP = "unreachable"
LOOP = "(loop $forever (br $forever))"
#: Grow one page at a time, as an allocator does, and abort when memory.grow fails.
HOG = """(block $oom
      (loop $more
        (br_if $oom (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $more)))
    unreachable"""
#: Ask for 1 GiB at once and report the failure as a guest error.
BIG_ALLOC = """(if (i32.eq (memory.grow (i32.const 16384)) (i32.const -1))
      (then (call $guest_error {oom}) (return (i32.const 0))))"""
#: Call a Kubewarden host capability and return its error as the guest error.
HOST_CALL = """(if (i32.eqz (call $host_call {kw} {ns} {lookup} (i32.const 0) (i32.const 0)))
      (then
        (local.set $n (call $host_error_len))
        (call $host_error (i32.const 40000))
        (call $guest_error (i32.const 40000) (local.get $n))
        (return (i32.const 0))))"""
LOG = "(call $console_log {log})"

#: A TinyGo-like WASI program: ``_start`` asks for random bytes and exits with a status.
WASI_IMPORTS = """(import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))"""


def wasi_start(status: int) -> str:
    """A ``_start`` that calls ``random_get`` then ``proc_exit(status)``."""
    return f"""(func (export "_start")
    (drop (call $random_get (i32.const 50000) (i32.const 8)))
    (call $proc_exit (i32.const {status})))"""


#: Answer with the payload itself.
ECHO = f"(call $guest_response (i32.const {_PAYLOAD}) (local.get $len)) (return (i32.const 1))"
