"""Pipeline benchmark: the whole ``gitopspol validate`` against ``kubectl kustomize``.

For (P=500, T=2), (P=2000, T=2) and (P=500, T=20) a repository is generated under
``benchmarks/work/`` with :mod:`benchmarks.gen_repo`, plus a gitopspol.yaml naming the tiers
and 50 behaviour cases (``tests/case-N.yaml``: compliant and non-compliant pods), so a run
goes through every stage: render all tiers, consistency (GP1xx), tier strictness (GP2xx),
behaviour (GP4xx) and schema (GP3xx).

Each validate runs in its own child process (peak RSS per run, from ``getrusage`` of the
children); the child reports wall and CPU time per stage through ``validate_repository``'s
``progress`` callback. ``kubectl kustomize`` renders the same tiers in the same run, one
process per tier as CI would run it.

For (P=2000, T=2) the repository is also committed with git, one policy file is changed and
committed, and ``validate --changed-since HEAD~1`` is timed as a fraction of the full run.

``python -m benchmarks.bench_pipeline [--quick]`` prints the table and writes
``benchmarks/results/pipeline.json``; ``run()`` does the same for ``make bench``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.gen_repo import generate, tier_names

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "work"
RESULTS = ROOT / "results" / "pipeline.json"
CONFIGS = ((500, 2), (2000, 2), (500, 20))
CASES = 50
#: Rule id prefix -> stage name.
STAGES = {"GP1": "consistency", "GP2": "strictness", "GP3": "schema", "GP4": "behaviour"}

CONFIG = """\
apiVersion: gitopspol.io/v1alpha1
kind: PolicyRepository
name: bench
engines: [kyverno, gatekeeper]
tiers:
{tiers}
"""

_CASE = """\
apiVersion: gitopspol.io/v1alpha1
kind: BehaviourCase
metadata:
  name: case-{index}
namespace: team-{team}
resources:
- apiVersion: v1
  kind: Pod
  metadata:
    name: pod-{index}
    labels: {{team-0: a, team-1: a, team-2: a, team-3: a, team-4: a}}
  spec:
    containers:
    - name: app
      image: {image}
      securityContext:
        runAsNonRoot: true
expect:
{expect}
"""


def _ordered_tiers(tiers: int) -> list[str]:
    """Tier names lowest rank first: prd (the generator's strictest) last."""
    names = tier_names(tiers)
    return [n for n in names if n != "prd"] + (["prd"] if "prd" in names else [])


def prepare(policies: int, tiers: int, dest: Path | None = None) -> Path:
    """Generate the repository with its gitopspol.yaml and behaviour cases; return its root."""
    root = dest or WORK / f"pipeline-p{policies}-t{tiers}"
    generate(root, policies, tiers)
    ordered = _ordered_tiers(tiers)
    entries = "".join(
        f"- {{name: {n}, profile: {'prd' if n == 'prd' else 'sbx'}, rank: {10 * (i + 1)}}}\n"
        for i, n in enumerate(ordered)
    )
    (root / "gitopspol.yaml").write_text(CONFIG.format(tiers=entries.rstrip()), encoding="utf-8")
    cases = root / "tests"
    cases.mkdir()
    for index in range(CASES):
        compliant = index % 2 == 0
        image = "registry.example.com/app:1" if compliant else "untrusted.example/app:1"
        # Non-compliant pods are reported (warn) below prd and denied in prd.
        expect = "".join(
            f"  {t}: {'allow' if compliant else 'deny' if t == 'prd' else 'warn'}\n"
            for t in ordered
        )
        text = _CASE.format(index=index, team=index % 5, image=image, expect=expect.rstrip())
        (cases / f"case-{index}.yaml").write_text(text, encoding="utf-8")
    return root


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        [
            *("git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=b@example.com"),
            *("-c", "commit.gpgsign=false", *args),
        ],
        check=True,
        capture_output=True,
    )


def one_policy_change(root: Path) -> Path:
    """Change one Kyverno policy's message in a committed repository, commit; the file."""
    changed = root / "policies" / "kyverno" / "policy-7.yaml"
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("is required", "is required (changed)", 1), encoding="utf-8")
    _git(root, "commit", "-q", "-am", "change one policy")
    return changed


def _usage() -> tuple[float, float]:
    """CPU seconds (user+system) of this process and its finished children; peak RSS MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    return cpu, max(own.ru_maxrss, kids.ru_maxrss) / 1024


def child(root: str, out: str, changed_since: str = "", cache_dir: str = "") -> None:
    """Run validate once on ``root``; write per-stage wall and CPU seconds to ``out``."""
    stages: dict[str, list[float]] = {}
    mark = [time.perf_counter(), _usage()[0], "import"]

    def progress(done: int, total: int, step: str) -> None:
        now, cpu = time.perf_counter(), _usage()[0]
        name = str(mark[2])
        stage = STAGES.get(name[:3], name)
        wall_cpu = stages.setdefault(stage, [0.0, 0.0])
        wall_cpu[0] += now - float(mark[0])
        wall_cpu[1] += cpu - float(mark[1])
        mark[:] = [now, cpu, step]

    start = time.perf_counter()
    from gitopspol.validate import validate_repository

    result = validate_repository(
        root, changed_since=changed_since or None, progress=progress, cache_dir=cache_dir or None
    )
    wall = time.perf_counter() - start
    cpu, rss = _usage()
    figures = {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": rss,
        "documents": result.summary.documents,
        "findings": len(result.findings),
        "findings_by_rule": _count(f.rule_id for f in result.findings),
        "stages": {
            k: {"wall_s": round(v[0], 3), "cpu_s": round(v[1], 3)} for k, v in stages.items()
        },
    }
    Path(out).write_text(json.dumps(figures), encoding="utf-8")


def _count(ids: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rule_id in ids:
        counts[rule_id] = counts.get(rule_id, 0) + 1
    return dict(sorted(counts.items()))


def _validate(root: Path, changed_since: str = "", cache_dir: Path | None = None) -> dict[str, Any]:
    """Validate ``root`` in a fresh child process; the child's figures."""
    out = root.parent / f"{root.name}.validate.json"
    argv = [sys.executable, "-m", "benchmarks.bench_pipeline", "--child", str(root), str(out)]
    argv += [changed_since, str(cache_dir or "")]
    subprocess.run(argv, check=True, cwd=ROOT.parent)
    figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return figures


def _kubectl(root: Path, tiers: int, kubectl: str = "kubectl") -> dict[str, float]:
    """``kubectl kustomize`` on every tier, one process each: summed wall/CPU, max RSS."""
    wall = cpu = rss = 0.0
    for tier in tier_names(tiers):
        probe = (
            "import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "print(time.perf_counter() - t, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024)\n"
        )
        argv = [
            sys.executable,
            "-c",
            probe,
            kubectl,
            "kustomize",
            str(root / "environments" / tier),
        ]
        w, c, r = map(
            float, subprocess.run(argv, check=True, capture_output=True, text=True).stdout.split()
        )
        wall, cpu, rss = wall + w, cpu + c, max(rss, r)
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "peak_rss_mib": round(rss, 1)}


def _rounded(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}


def measure(policies: int, tiers: int, changed: bool = False) -> dict[str, Any]:
    """One configuration: a full validate (cold cache) vs kubectl on the same tiers.

    With ``changed``, the repository is committed first (the full run stands for the run on
    the main branch, which fills the cache), then one policy is changed and committed and
    ``--changed-since HEAD~1`` runs with that cache, and once more without any cache.
    """
    root = prepare(policies, tiers)
    cache = root / ".gitopspol-cache"
    (root / ".gitignore").write_text(".gitopspol-cache/\n", encoding="utf-8")
    row: dict[str, Any] = {"policies": policies, "tiers": tiers, "cases": CASES}
    if changed:
        _git(root, "init", "-q", "-b", "main")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "generated")
    full = _validate(root, cache_dir=cache)
    kube = _kubectl(root, tiers) if shutil.which("kubectl") else None
    row["validate"] = _rounded(full)
    row["kubectl"] = kube
    if kube:
        row["wall_ratio"] = round(full["wall_s"] / kube["wall_s"], 3)
        row["cpu_ratio"] = round(full["cpu_s"] / kube["cpu_s"], 3)
    if changed:
        one_policy_change(root)
        part = _validate(root, "HEAD~1", cache)
        row["changed_since"] = _rounded(part)
        row["changed_since_fraction"] = round(part["wall_s"] / full["wall_s"], 3)
        row["changed_since_cpu_fraction"] = round(part["cpu_s"] / full["cpu_s"], 3)
        uncached = _validate(root, "HEAD~1")
        row["changed_since_no_cache"] = _rounded(uncached)
        row["changed_since_no_cache_fraction"] = round(uncached["wall_s"] / full["wall_s"], 3)
    shutil.rmtree(root)
    return row


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a fixed-width text table (seconds, MiB, ratios to kubectl)."""
    stages = ("render", "consistency", "strictness", "behaviour", "schema")
    head = (
        f"{'P':>5} {'T':>3} | {'kubectl s':>9} {'cpu s':>6} | {'validate s':>10} {'cpu s':>6} "
        f"{'MiB':>5} | {'wall x':>6} {'cpu x':>6} | "
        + " ".join(f"{s[:8]:>8}" for s in stages)
        + f" | {'findings':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        v, k = r["validate"], r["kubectl"] or {}
        stage_cells = " ".join(f"{v['stages'].get(s, {}).get('wall_s', 0):>8}" for s in stages)
        lines.append(
            f"{r['policies']:>5} {r['tiers']:>3} | {k.get('wall_s', '-'):>9} {k.get('cpu_s', '-'):>6} "
            f"| {v['wall_s']:>10} {v['cpu_s']:>6} {round(v['peak_rss_mib']):>5} "
            f"| {r.get('wall_ratio', '-'):>6} {r.get('cpu_ratio', '-'):>6} | {stage_cells} "
            f"| {v['findings']:>8}"
        )
        if "changed_since" in r:
            c, u = r["changed_since"], r["changed_since_no_cache"]
            lines.append(
                f"  --changed-since HEAD~1 (one policy, warm cache): {c['wall_s']} s wall, "
                f"{c['cpu_s']} s CPU, {round(c['peak_rss_mib'])} MiB, {c['findings']} findings: "
                f"{r['changed_since_fraction']:.1%} of the full run's wall, "
                f"{r['changed_since_cpu_fraction']:.1%} of its CPU"
            )
            lines.append(
                f"  --changed-since HEAD~1 (no cache): {u['wall_s']} s wall, {u['cpu_s']} s CPU: "
                f"{r['changed_since_no_cache_fraction']:.1%} of the full run's wall"
            )
    return "\n".join(lines)


def run(quick: bool = False) -> dict[str, object]:
    """Measure every configuration, print the table, write ``results/pipeline.json``."""
    configs = CONFIGS[:1] if quick else CONFIGS
    rows = [measure(p, t, changed=(p, t) == (2000, 2)) for p, t in configs]
    print(table(rows), flush=True)
    payload = {"cpu_count": os.cpu_count(), "pipeline": rows}
    if not quick:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return {"results": str(RESULTS), "rows": len(rows)}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:])
    else:
        run(quick="--quick" in sys.argv)
