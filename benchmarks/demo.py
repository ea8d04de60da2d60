"""``make demo``: create a policy repository from the default scaffold and run gitopspol on it.

Usage: ``python benchmarks/demo.py DEST``. DEST is recreated when it is empty or a previous
demo (it holds a gitopspol.yaml); any other existing folder is left alone. Every command of
the CLI contract that exists is run; commands whose issue is still open answer "not
implemented yet" (exit 3) and the demo says so and goes on. Exit 0 when the repository was
created.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a fresh clone
    sys.path.insert(0, str(ROOT))

from gitopspol.yamlio import dump, load_all  # noqa: E402

SHARED = ROOT.parent / "shared"
MAX_LINES = 25


def _heading(text: str) -> None:
    print(f"\n== {text}")


def gitopspol(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gitopspol ARGS`` in ``cwd``, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "gitopspol", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def show(
    title: str, *args: str, cwd: Path, lines: int = MAX_LINES
) -> subprocess.CompletedProcess[str]:
    """Run one command and print what a person wants to see of it."""
    _heading(f"{title}: gitopspol {' '.join(args)}")
    start = time.perf_counter()
    proc = gitopspol(*args, cwd=cwd)
    elapsed = time.perf_counter() - start
    if proc.returncode == 3 and "not implemented yet" in proc.stderr:
        print("   (not implemented yet)")
        return proc
    out = (proc.stdout + proc.stderr).rstrip().splitlines()
    for line in out[:lines]:
        print(f"   {line}")
    if lines and len(out) > lines:
        print(f"   ... {len(out) - lines} more lines")
    print(f"   -> exit {proc.returncode} in {elapsed:.2f}s")
    return proc


def _leaves(a: Any, b: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(a) | set(b), key=str):
            out += _leaves(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            x
            for i, (p, q) in enumerate(zip(a, b, strict=True))
            for x in _leaves(p, q, f"{path}[{i}]")
        ]
    return [] if a == b else [(path, a, b)]


def compare_tiers(low: str, high: str, outputs: dict[str, str]) -> None:
    """Print the objects of two rendered tiers and every field that differs between them."""
    docs = {
        tier: {(d["kind"], d["metadata"]["name"]): d for d in load_all(text) if d}
        for tier, text in outputs.items()
    }
    _heading(f"{low} vs {high}: same objects, different tier settings")
    for key in docs[high]:
        diffs = _leaves(docs[low].get(key), docs[high][key])
        if not diffs:
            print(f"   {key[0]}/{key[1]}: identical")
        for path, a, b in diffs:
            print(f"   {key[0]}/{key[1]}: {path}: {a} -> {b}")


def _kubectl_agrees(dest: Path, outputs: dict[str, str]) -> None:
    """Compare ``gitopspol build`` with ``kubectl kustomize`` when kubectl is installed."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return
    _heading("gitopspol build vs kubectl kustomize")
    for tier, text in outputs.items():
        proc = subprocess.run(
            [kubectl, "kustomize", str(dest / "environments" / tier)],
            capture_output=True,
            text=True,
            check=False,
        )
        verdict = "byte-identical" if proc.stdout == text else "DIFFERENT"
        print(f"   {tier}: {verdict} ({len(text.splitlines())} lines)")


def recreate(dest: Path) -> None:
    """Remove a previous demo (or an empty folder); refuse anything else."""
    if not dest.exists():
        return
    if dest.is_dir() and (not any(dest.iterdir()) or (dest / "gitopspol.yaml").is_file()):
        shutil.rmtree(dest)
        return
    sys.exit(f"error: {dest} exists and is not a previous demo; choose another folder")


def _commit(repo: Path, message: str) -> None:
    """Commit everything in the repository's own work tree, when there is something to commit."""
    if not (repo / ".git").is_dir():
        return  # never commit in an enclosing repository
    git = ["git", "-c", "user.name=gitopspol demo", "-c", "user.email=demo@localhost"]
    git += ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
    status = subprocess.run(
        [*git, "status", "--porcelain"], cwd=repo, check=True, capture_output=True
    )
    if status.stdout.strip():
        subprocess.run([*git, "add", "-A"], cwd=repo, check=True, capture_output=True)
        subprocess.run(
            [*git, "commit", "-q", "-m", message], cwd=repo, check=True, capture_output=True
        )


def _case_pods(repo: Path, folder: Path) -> list[str]:
    """Write each behaviour case's resources to a file (namespace filled in) for ``psa``."""
    files = []
    for path in sorted((repo / "tests").glob("*.yaml")):
        for case in load_all(path.read_text(encoding="utf-8")):
            if not case:
                continue
            resources = []
            for resource in case.get("resources", []):
                resource.setdefault("metadata", {}).setdefault("namespace", case.get("namespace"))
                resources.append(dump(resource))
            target = folder / path.name
            target.write_text("---\n".join(resources), encoding="utf-8")
            files.append(target.name)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    dest: Path = parser.parse_args(argv).dest.absolute()
    recreate(dest)

    proc = show("create the policy repository", "init", str(dest), "--defaults", cwd=ROOT)
    if proc.returncode != 0:
        return proc.returncode
    _commit(dest, "Policy repository from the gitopspol scaffold")
    _heading("layout")
    for path in sorted(
        p for p in dest.rglob("*") if p.is_file() and ".git" not in p.relative_to(dest).parts
    ):
        print(f"   {path.relative_to(dest)}")

    outputs: dict[str, str] = {}
    for tier in ("sbx", "prd"):
        proc = show(f"render tier {tier}", "build", tier, cwd=dest, lines=0)
        if proc.returncode == 0:
            outputs[tier] = proc.stdout
            kinds: dict[str, int] = {}
            for doc in load_all(proc.stdout):
                if doc:
                    kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
            print("   " + ", ".join(f"{n} {k}" for k, n in kinds.items()))
    if len(outputs) == 2:
        compare_tiers("sbx", "prd", outputs)
        _kubectl_agrees(dest, outputs)

    show("validate every tier", "validate", cwd=dest)
    show("behaviour cases x tiers", "test", cwd=dest)
    show("semantic difference", "diff", "sbx", "prd", cwd=dest)
    show("GitOps manifests", "apps", cwd=dest)
    with tempfile.TemporaryDirectory(prefix="gitopspol-demo-") as tmp:
        pods = _case_pods(dest, Path(tmp))
        show(
            "Pod Security (baseline) of the test pods",
            "psa",
            *pods,
            "--level",
            "baseline",
            cwd=Path(tmp),
        )
        show(
            "would the test pods be admitted in prd",
            "check",
            "prd",
            *pods,
            "-C",
            str(dest),
            cwd=Path(tmp),
        )
    suites = SHARED / "corpus" / "gatekeeper" / "general" / "allowedrepos"
    if suites.is_dir():
        show("upstream gator suite (K8sAllowedRepos)", "verify", str(suites), cwd=dest)
    show("promotion preview", "promote", "sbx", "prd", "--dry-run", cwd=dest)
    _commit(dest, "Generated GitOps manifests")  # update needs a clean work tree
    show("scaffold update", "update", cwd=dest)
    _heading(f"done: the policy repository is in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
