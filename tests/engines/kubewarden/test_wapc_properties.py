"""Properties of the waPC host: payloads arrive byte-exact, calls from threads stay apart."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitopspol.engines.kubewarden import WapcModule
from gitopspol.errors import PolicyError
from tests.conftest import ROOT
from tests.engines.kubewarden import guests

pytest.importorskip("wasmtime")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=st.one_of(
        st.binary(max_size=2048),
        st.integers(min_value=0, max_value=3).map(lambda n: b"\xff" * (65536 * n + 7)),
    )
)
def test_payload_round_trips_byte_exact(payload: bytes) -> None:
    module = WapcModule.from_bytes(guests.guest_wat(before=guests.ECHO))
    assert module.call("validate", payload) == payload


def test_threads_get_their_own_answers() -> None:
    echo = WapcModule.from_bytes(guests.guest_wat(before=guests.ECHO))
    loop = WapcModule.from_bytes(guests.guest_wat(before=guests.LOOP))

    def work(index: int) -> bytes:
        if index % 5 == 0:
            try:
                loop.call("validate", b"{}", fuel=None, timeout=0.02)
            except PolicyError as exc:
                return exc.message.encode()
        return echo.call("validate", f"payload-{index}".encode())

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(work, range(40)))
    for index, answer in enumerate(answers):
        if index % 5 == 0:
            assert b"time limit exceeded" in answer
        else:
            assert answer == f"payload-{index}".encode()


def test_import_does_not_load_wasmtime() -> None:
    code = "import sys, gitopspol.engines.kubewarden; print('wasmtime' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
