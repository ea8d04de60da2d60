"""The state of a repository's GitOps output, as plain data for the GP5xx rule.

:func:`gitops_state` reads gitopspol.yaml (raw, so a cluster naming an unknown tier is
reported with its line instead of stopping the load) and compares ``clusters/`` with what
``gitopspol apps`` would generate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.errors import GitopspolError
from gitopspol.gitops.plan import CLUSTERS_DIR, present_target, stale_files


def gitops_state(root: str | Path) -> dict[str, Any]:
    """``{"tiers": [...], "clusters": [{name, tier, file, line}], "drift": [{path, state,
    file, line}], "post_build": bool}`` for the repository at ``root``."""
    from gitopspol.repo.config import CONFIG_FILE, load_repository

    base = Path(root)
    config = base / CONFIG_FILE
    state: dict[str, Any] = {"tiers": [], "clusters": [], "drift": [], "post_build": False}
    try:
        text = yamlio.read_text(config)
        data = yamlio.load(text, config)
    except GitopspolError:
        return state  # the loader reports an unreadable gitopspol.yaml
    data = data if isinstance(data, dict) else {}
    tiers = _list(data.get("tiers"))
    state["tiers"] = [t.get("name") for t in tiers if isinstance(t, dict)]
    clusters = _list(data.get("clusters"))
    for index, cluster in enumerate(clusters):
        if isinstance(cluster, dict):
            where = yamlio.locate(text, 0, ["clusters", index, "tier"])
            state["clusters"].append(
                {
                    "name": cluster.get("name"),
                    "tier": cluster.get("tier"),
                    "file": str(config),
                    "line": where[0] if where else 0,
                }
            )
    try:
        repo = load_repository(base)
        drifts = stale_files(repo, present_target(repo))
    except GitopspolError:
        drifts = []  # gitopspol.yaml errors are the loader's (or the tier check's) to report
    state["drift"] = [
        {"path": d.path, "state": d.state, "file": d.file, "line": d.line} for d in drifts
    ]
    state["post_build"] = _uses_post_build(base / CLUSTERS_DIR)
    return state


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _uses_post_build(folder: Path) -> bool:
    """Whether a Flux Kustomization under ``folder`` enables post-build substitution."""
    if not folder.is_dir():
        return False
    for path in sorted(folder.rglob("*.y*ml")):
        try:
            docs = yamlio.load_all_file(path)
        except GitopspolError:
            continue
        for doc in docs:
            if (
                isinstance(doc, dict)
                and doc.get("kind") == "Kustomization"
                and str(doc.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io/")
                and isinstance(doc.get("spec"), dict)
                and doc["spec"].get("postBuild")
            ):
                return True
    return False
