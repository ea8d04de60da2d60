"""Render benchmark: gitopspol against ``kubectl kustomize`` on generated policy repos.

For each (P policies, T tiers) configuration a repository is generated under
``benchmarks/work/`` (git-ignored). ``kubectl kustomize`` renders every tier, one process
per tier as CI would run it; gitopspol renders all tiers in one process with one
:class:`~gitopspol.render.Renderer` (the base is built once). Each side runs in a child
process measured from outside: wall time and peak RSS (``getrusage`` of the children).
The outputs are compared byte for byte.

``run()`` returns a small quick figure set (P=50, T=2) for the shared runner;
``benchmarks/run.py`` runs the full configurations.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.gen_repo import generate

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "work"


def _measure(argv: list[str]) -> tuple[float, float, float]:
    """Run ``argv`` in a fresh measuring child.

    Returns (wall seconds, CPU seconds user+system, peak RSS MiB) of the command. CPU time
    is reported too because the development VM is shared: wall time there depends on load.
    """
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "wall = time.perf_counter() - t\n"
        "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps([wall, use.ru_utime + use.ru_stime, use.ru_maxrss / 1024]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *argv], check=True, capture_output=True, text=True
    )
    wall, cpu, rss = json.loads(out.stdout)
    return float(wall), float(cpu), float(rss)


def render_all(out_dir: str, *overlays: str) -> None:
    """Render every overlay with one Renderer, writing ``<out_dir>/<tier>.yaml``."""
    from gitopspol.render import Renderer

    renderer = Renderer()
    for overlay in overlays:
        text = renderer.render(overlay)
        Path(out_dir, Path(overlay).name + ".yaml").write_text(text, encoding="utf-8")


def compare(policies: int, tiers: int, kubectl: str = "kubectl") -> dict[str, Any]:
    """Generate one repository and time both renderers on all its tiers."""
    repo = WORK / f"p{policies}-t{tiers}"
    overlays = generate(repo, policies, tiers)
    out = repo / "out"
    for side in ("kubectl", "gitopspol"):
        (out / side).mkdir(parents=True, exist_ok=True)
    k_wall = k_cpu = k_rss = 0.0
    for overlay in overlays:
        target = out / "kubectl" / (overlay.name + ".yaml")
        wall, cpu, rss = _measure(
            ["sh", "-c", 'exec "$0" kustomize "$1" > "$2"', kubectl, str(overlay), str(target)]
        )
        k_wall += wall
        k_cpu += cpu
        k_rss = max(k_rss, rss)
    g_wall, g_cpu, g_rss = _measure(
        [
            sys.executable,
            "-c",
            "import sys; from benchmarks.bench_render import render_all; render_all(*sys.argv[1:])",
            str(out / "gitopspol"),
            *map(str, overlays),
        ]
    )
    identical = all(
        (out / "kubectl" / f"{o.name}.yaml").read_bytes()
        == (out / "gitopspol" / f"{o.name}.yaml").read_bytes()
        for o in overlays
    )
    return {
        "policies": policies,
        "tiers": tiers,
        "kubectl_wall_s": round(k_wall, 3),
        "kubectl_cpu_s": round(k_cpu, 3),
        "kubectl_peak_rss_mib": round(k_rss, 1),
        "gitopspol_wall_s": round(g_wall, 3),
        "gitopspol_cpu_s": round(g_cpu, 3),
        "gitopspol_peak_rss_mib": round(g_rss, 1),
        "wall_ratio": round(g_wall / k_wall, 3) if k_wall else None,
        "cpu_ratio": round(g_cpu / k_cpu, 3) if k_cpu else None,
        "rss_ratio": round(g_rss / k_rss, 3) if k_rss else None,
        "identical_output": identical,
    }


def run() -> dict[str, object]:
    """Quick figures for the shared runner (P=50, T=2)."""
    if shutil.which("kubectl") is None:
        return {"skipped": "kubectl is not installed"}
    result = compare(50, 2)
    return {f"render_p50_t2_{k}": v for k, v in result.items() if k not in ("policies", "tiers")}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
