"""``make bench``: the render benchmark table, then every other ``benchmarks/bench_*.py``.

Render: for (P=500, T=2), (P=500, T=20) and (P=2000, T=2) a repository is generated under
``benchmarks/work/``; ``kubectl kustomize`` renders each tier (one process per tier) and
gitopspol renders all tiers in one process. The table shows wall time, peak RSS and the
ratios (gitopspol / kubectl; the issue's target is a wall ratio of at most 0.5 and lower
memory). Results go to ``benchmarks/results/render.json``.

Other engineers' modules ``benchmarks/bench_*.py`` expose ``run() -> dict``; their figures
are printed after the table. A module that is missing or fails is reported and skipped.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
from pathlib import Path

from benchmarks.bench_render import compare

ROOT = Path(__file__).resolve().parent
CONFIGS = ((500, 2), (500, 20), (2000, 2))


def _table(rows: list[dict[str, object]]) -> str:
    head = (
        f"{'P':>5} {'T':>3} | {'kubectl s':>9} {'cpu s':>7} {'MiB':>6} "
        f"| {'gitopspol s':>11} {'cpu s':>7} {'MiB':>6} "
        f"| {'wall x':>6} {'cpu x':>6} {'RSS x':>6} | identical"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['policies']:>5} {r['tiers']:>3} "
            f"| {r['kubectl_wall_s']:>9} {r['kubectl_cpu_s']:>7} {r['kubectl_peak_rss_mib']:>6} "
            f"| {r['gitopspol_wall_s']:>11} {r['gitopspol_cpu_s']:>7} {r['gitopspol_peak_rss_mib']:>6} "
            f"| {r['wall_ratio']:>6} {r['cpu_ratio']:>6} {r['rss_ratio']:>6} | {r['identical_output']}"
        )
    return "\n".join(lines)


def _other_benchmarks() -> dict[str, object]:
    figures: dict[str, object] = {}
    for path in sorted(ROOT.glob("bench_*.py")):
        name = path.stem
        if name == "bench_render":
            continue
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            figures[name] = module.run()
        except Exception as exc:  # a missing or broken module must not stop the table
            figures[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return figures


def main(argv: list[str]) -> int:
    """Run the benchmarks; ``--quick`` renders only (P=500, T=2)."""
    configs = CONFIGS[:1] if "--quick" in argv else CONFIGS
    rows: list[dict[str, object]] = []
    if shutil.which("kubectl") is None:
        print("kubectl is not installed: render benchmark skipped")
    else:
        header = _table([]).splitlines()
        print("\n".join(header), flush=True)
        for policies, tiers in configs:
            rows.append(compare(policies, tiers))
            print(_table(rows[-1:]).splitlines()[-1], flush=True)
        results = ROOT / "results"
        results.mkdir(exist_ok=True)
        payload = {"cpu_count": os.cpu_count(), "render": rows}
        (results / "render.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"results: {results / 'render.json'}")
    if "--render-only" not in argv:
        for name, figures in _other_benchmarks().items():
            print(f"\n{name}:")
            if isinstance(figures, dict):
                for key, value in figures.items():
                    print(f"  {key}: {value}")
            else:
                print(f"  {figures}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
