"""The waPC host against hand-written WAT guests: protocol, errors, and the bounds of a call."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from gitopspol.engines.kubewarden import UnsupportedModule, WapcModule
from gitopspol.errors import InputError, PolicyError
from tests.engines.kubewarden import guests

pytest.importorskip("wasmtime")

MIB = 1024 * 1024


def test_accept_round_trip_and_cache() -> None:
    module = WapcModule.from_bytes(guests.guest_wat(), source="accept")
    assert json.loads(module.call("validate", b'{"request":{}}')) == {"accepted": True}
    again = WapcModule.from_bytes(guests.guest_wat(), source="again")
    assert again.digest == module.digest
    assert again.source == "again"  # the compiled module is shared, the label is not


def test_operation_and_payload_reach_the_guest() -> None:
    wat = guests.guest_wat(reject_if=("needle-42", {"accepted": False, "message": "found"}))
    module = WapcModule.from_bytes(wat)
    assert json.loads(module.call("validate", b"hay hay needle-42 hay"))["message"] == "found"
    assert json.loads(module.call("validate", b"hay hay needle-41 hay")) == {"accepted": True}
    # validate_settings is told apart by its name (17 bytes) inside the guest
    settings = guests.guest_wat(settings={"valid": False, "message": "nope"})
    assert json.loads(WapcModule.from_bytes(settings).call("validate_settings", b"{}")) == {
        "valid": False,
        "message": "nope",
    }


def test_large_payload_grows_guest_memory() -> None:
    module = WapcModule.from_bytes(guests.guest_wat(reject_if=("END", {"accepted": False})))
    payload = b"x" * (3 * 65536) + b"END"
    assert json.loads(module.call("validate", payload)) == {"accepted": False}


def test_trap_is_a_policy_error_and_the_module_stays_usable() -> None:
    module = WapcModule.from_bytes(guests.guest_wat(before=guests.TRAP), source="trap.wat")
    with pytest.raises(
        PolicyError, match="trapped: wasm `unreachable` instruction executed"
    ) as info:
        module.call("validate", b"{}")
    assert info.value.file == "trap.wat"
    with pytest.raises(PolicyError, match="trapped"):  # a fresh instance each call: no crash
        module.call("validate", b"{}")


def test_endless_loop_is_stopped_by_fuel() -> None:
    module = WapcModule.from_bytes(guests.guest_wat(before=guests.LOOP))
    start = time.perf_counter()
    with pytest.raises(PolicyError, match=r"stopped after 5000000 instructions \(fuel limit"):
        module.call("validate", b"{}", fuel=5_000_000, timeout=None)
    assert time.perf_counter() - start < 0.5


def test_endless_loop_is_stopped_by_time() -> None:
    module = WapcModule.from_bytes(guests.guest_wat(before=guests.LOOP))
    start = time.perf_counter()
    with pytest.raises(PolicyError, match=r"stopped after 0.05 seconds \(time limit exceeded\)"):
        module.call("validate", b"{}", fuel=None, timeout=0.05)
    assert time.perf_counter() - start < 0.5
    # the epoch deadline of the next call starts afresh
    fine = WapcModule.from_bytes(guests.guest_wat())
    assert json.loads(fine.call("validate", b"{}", fuel=None, timeout=0.05))["accepted"] is True


def test_memory_hog_is_stopped_by_the_limit() -> None:
    module = WapcModule.from_bytes(guests.guest_wat(before=guests.HOG))
    with pytest.raises(PolicyError, match=r"memory limit of 16777216 bytes exceeded"):
        module.call("validate", b"{}", memory_limit=16 * MIB)


def test_failed_allocation_reported_by_the_guest() -> None:
    module = WapcModule.from_bytes(guests.guest_wat(before=guests.BIG_ALLOC))
    with pytest.raises(PolicyError, match="policy module error: out of memory"):
        module.call("validate", b"{}", memory_limit=16 * MIB)


def test_initial_memory_beyond_the_limit() -> None:
    module = WapcModule.from_bytes(guests.guest_wat(memory_pages=1024))  # 64 MiB
    with pytest.raises(PolicyError, match="memory limit of 16777216 bytes exceeded"):
        module.call("validate", b"{}", memory_limit=16 * MIB)
    assert json.loads(module.call("validate", b"{}", memory_limit=128 * MIB))["accepted"]


def test_host_capabilities_are_refused_offline() -> None:
    module = WapcModule.from_bytes(guests.guest_wat(before=guests.HOST_CALL))
    with pytest.raises(
        PolicyError,
        match="kubewarden/kubernetes/list_resources_by_namespace is not available offline",
    ):
        module.call("validate", b"{}")


def test_console_log_is_kept() -> None:
    module = WapcModule.from_bytes(guests.guest_wat(before=guests.LOG))
    module.call("validate", b"{}")
    assert module.logs == ("guest says hello",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("(call $guest_error {oom}) (return (i32.const 0))", "policy module error: out of memory"),
        ("(return (i32.const 0))", "no error message set for call failure"),
        ("(return (i32.const 1))", "no error message or response set for call success"),
        (
            "(call $guest_response (i32.const 70000000) (i32.const 4)) (return (i32.const 1))",
            "outside its memory",
        ),
        (
            "(call $guest_response (i32.const 0) (i32.const 70000000)) (return (i32.const 1))",
            "guest passed 70000000 bytes, more than the 16777216 accepted",
        ),
        (
            "(call $guest_error (i32.const -5) (i32.const 4)) (return (i32.const 0))",
            "outside its memory",
        ),
    ],
)
def test_guest_protocol_errors(body: str, message: str) -> None:
    module = WapcModule.from_bytes(guests.guest_wat(before=body))
    with pytest.raises(PolicyError, match=message):
        module.call("validate", b"{}")


def test_invalid_modules(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not a valid WebAssembly module"):
        WapcModule.from_bytes(b"(module (func $f (result i32)))", source="bad.wat")
    with pytest.raises(PolicyError, match="does not export '__guest_call'"):
        WapcModule.from_bytes('(module (memory (export "memory") 1))')
    with pytest.raises(InputError, match="no such policy module"):
        WapcModule.load(tmp_path / "absent.wasm")
    binary = tmp_path / "policy.wasm"
    import wasmtime

    binary.write_bytes(bytes(wasmtime.wat2wasm(guests.guest_wat())))
    assert json.loads(WapcModule.load(binary).call("validate", b"{}")) == {"accepted": True}


def test_missing_memory_export() -> None:
    wat = """(module
      (import "wapc" "__guest_request" (func $req (param i32 i32)))
      (memory 1)
      (func (export "__guest_call") (param i32 i32) (result i32)
        (call $req (i32.const 0) (i32.const 16)) (i32.const 1)))"""
    with pytest.raises(PolicyError, match="does not export its memory"):
        WapcModule.from_bytes(wat).call("validate", b"{}")


def test_start_functions_run_first() -> None:
    # wapc_init stores a byte that __guest_call then returns as the whole response
    wat = """(module
      (import "wapc" "__guest_response" (func $resp (param i32 i32)))
      (memory (export "memory") 1)
      (func (export "wapc_init") (i32.store8 (i32.const 100) (i32.const 55)))
      (func (export "__guest_call") (param i32 i32) (result i32)
        (call $resp (i32.const 100) (i32.const 1)) (i32.const 1)))"""
    assert WapcModule.from_bytes(wat).call("validate", b"") == b"7"


def test_metadata_section() -> None:
    metadata = {"protocolVersion": "v1", "mutating": False, "executionMode": "kubewarden-wapc"}
    module = WapcModule.from_bytes(guests.guest_wat(metadata=metadata))
    assert module.metadata == metadata
    assert WapcModule.from_bytes(guests.guest_wat()).metadata is None


@pytest.mark.parametrize("mode", ["opa", "gatekeeper", "wasi"])
def test_other_execution_modes_are_unsupported(mode: str) -> None:
    wat = guests.guest_wat(metadata={"executionMode": mode})
    with pytest.raises(UnsupportedModule, match=f"execution mode '{mode}' is not supported"):
        WapcModule.from_bytes(wat, source="opa.wasm")


def test_wasi_guest_with_start_exit_zero() -> None:
    wat = guests.guest_wat(imports=guests.WASI_IMPORTS, fields=guests.wasi_start(0))
    assert json.loads(WapcModule.from_bytes(wat).call("validate", b"{}")) == {"accepted": True}


def test_wasi_guest_with_failing_start() -> None:
    wat = guests.guest_wat(imports=guests.WASI_IMPORTS, fields=guests.wasi_start(3))
    with pytest.raises(PolicyError, match="_start exited with status 3"):
        WapcModule.from_bytes(wat).call("validate", b"{}")


def test_unknown_imports_cannot_be_linked() -> None:
    wat = guests.guest_wat(imports='(import "env" "abort" (func $abort))')
    with pytest.raises(PolicyError, match="cannot be linked"):
        WapcModule.from_bytes(wat, source="env.wasm")
