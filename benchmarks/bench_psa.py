"""Benchmark: Pod Security Standards evaluations per second per core, restricted/latest.

Evaluates every Pod of ../shared/corpus/psa (loaded once, outside the timing) repeatedly for
about a second. ``run()`` returns the figures; the benchmark runner prints them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.engines.psa import evaluate

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "psa"
TARGET_PER_SECOND = 20_000


def load_pods(root: Path = CORPUS) -> list[dict[str, Any]]:
    """Every fixture Pod of the corpus, in path order."""
    return [yamlio.load_file(path) for path in sorted(root.glob("*/v1.*/*/*.yaml"))]


def run(seconds: float = 1.0) -> dict[str, object]:
    """Evaluate the corpus pods at restricted/latest for about ``seconds``; return the rate."""
    pods = load_pods()
    if not pods:
        return {"benchmark": "psa", "skipped": f"{CORPUS} is absent"}
    evaluated = denied = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    elapsed = 0.0
    while elapsed < seconds:
        for pod in pods:
            if not evaluate(pod, "restricted", "latest").allowed:
                denied += 1
        evaluated += len(pods)
        elapsed = time.perf_counter() - start
    # Per core: CPU time of this (single-threaded) process, so that other work on a shared
    # machine does not lower the figure; wall-clock rate reported alongside.
    cpu = max(time.process_time() - cpu_start, 1e-9)
    rate = evaluated / cpu
    return {
        "benchmark": "psa",
        "level": "restricted:latest",
        "pods": len(pods),
        "evaluated": evaluated,
        "denied": denied,
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(cpu, 3),
        "pods_per_second": round(rate),
        "wall_pods_per_second": round(evaluated / elapsed),
        "target_pods_per_second": TARGET_PER_SECOND,
        "meets_target": rate >= TARGET_PER_SECOND,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
