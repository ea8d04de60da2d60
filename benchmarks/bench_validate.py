"""Benchmark: ``gitopspol validate`` (and ``diff``) on a synthetic repository.

``benchmarks.gen_repo`` writes P policy objects (Kyverno ClusterPolicies with 3-5 rules,
Gatekeeper templates and constraints) and T overlays patching every one; a gitopspol.yaml
naming the tiers is added. The run is timed end to end (load, render base and every tier
with one renderer, all rules), cold, then the median of warm runs in the same process.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.gen_repo import generate, tier_names

CONFIG = """\
apiVersion: gitopspol.io/v1alpha1
kind: PolicyRepository
name: bench
engines: [kyverno, gatekeeper]
tiers:
{tiers}
"""


def run(policies: int = 300, tiers: int = 2, repeats: int = 3) -> dict[str, object]:
    """Time validate and diff on a generated repository; return the figures."""
    from gitopspol.diff import diff_tiers
    from gitopspol.validate import validate_repository

    with tempfile.TemporaryDirectory(prefix="gitopspol-bench-validate-") as tmp:
        root = Path(tmp) / "repo"
        generate(root, policies, tiers)
        names = list(tier_names(tiers))
        # Tier ranks follow the generator's strictness: prd is the strictest.
        ordered = [n for n in names if n != "prd"] + (["prd"] if "prd" in names else [])
        entries = "".join(
            f"- {{name: {n}, profile: {'prd' if n == 'prd' else 'sbx'}, rank: {10 * (i + 1)}}}\n"
            for i, n in enumerate(ordered)
        )
        (root / "gitopspol.yaml").write_text(CONFIG.format(tiers=entries.rstrip()))
        start = time.perf_counter()
        result = validate_repository(root)
        cold = time.perf_counter() - start
        warm = []
        for _ in range(repeats):
            start = time.perf_counter()
            validate_repository(root)
            warm.append(time.perf_counter() - start)
        start = time.perf_counter()
        diff = diff_tiers(root, ordered[0], ordered[-1])
        diff_s = time.perf_counter() - start
    median = statistics.median(warm)
    return {
        "policies": policies,
        "tiers": tiers,
        "documents": result.summary.documents,
        "findings": len(result.findings),
        "cold_s": round(cold, 3),
        "warm_median_s": round(median, 3),
        "documents_per_s": round(result.summary.documents / median),
        "diff_s": round(diff_s, 3),
        "diff_changes": len(diff.changes),
    }


if __name__ == "__main__":
    print(run())
