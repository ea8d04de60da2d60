"""Benchmark: Kubewarden policy evaluations per second per core, through the waPC host.

The policy is a hand-written WAT guest (tests/engines/kubewarden/guests.py) that scans the
whole JSON request for ``"privileged":true``, as a small real policy parses it: each
evaluation serialises the AdmissionRequest, instantiates a fresh wasm instance, runs
``validate`` and parses the answer. Settings validation is cached as policy-server does. Half
of the pods are privileged. ``run()`` returns the figures; the benchmark runner prints them.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from gitopspol.engines.admission import AdmissionRequest, Status
from gitopspol.engines.kubewarden import evaluate, wasmtime_available
from tests.engines.kubewarden.guests import guest_wat

REJECT = {"accepted": False, "message": "privileged containers are not allowed"}


def _pod(index: int) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": f"ghcr.io/app/web:{index}"}
    if index % 2:
        container["securityContext"] = {"privileged": True}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"web-{index}", "namespace": "prd", "labels": {"app": "web"}},
        "spec": {"containers": [container]},
    }


def run(seconds: float = 1.0) -> dict[str, object]:
    """Evaluate the policy on 100 pods repeatedly for about ``seconds``; return the rate."""
    if not wasmtime_available():
        return {"benchmark": "kubewarden", "skipped": "wasmtime is not installed"}
    requests = [AdmissionRequest(object=_pod(i)) for i in range(100)]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "privileged.wat").write_text(guest_wat(reject_if=('"privileged":true', REJECT)))
        policy = {
            "kind": "ClusterAdmissionPolicy",
            "metadata": {"name": "no-privileged"},
            "spec": {
                "module": "file://privileged.wat",
                "rules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["pods"],
                        "operations": ["CREATE"],
                    }
                ],
            },
        }
        evaluate(policy, requests[0], base_dir=base)  # compile outside the timing
        evaluated = denied = 0
        start, cpu_start = time.perf_counter(), time.process_time()
        elapsed = 0.0
        while elapsed < seconds:
            for request in requests:
                if evaluate(policy, request, base_dir=base)[0].status == Status.FAIL:
                    denied += 1
            evaluated += len(requests)
            elapsed = time.perf_counter() - start
        cpu = max(time.process_time() - cpu_start, 1e-9)
    return {
        "benchmark": "kubewarden",
        "policy": "WAT guest scanning the request JSON",
        "evaluated": evaluated,
        "denied": denied,
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(cpu, 3),
        "evaluations_per_second": round(evaluated / cpu),
        "wall_evaluations_per_second": round(evaluated / elapsed),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
