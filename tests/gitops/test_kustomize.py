"""What Argo CD and Flux actually render: ``kubectl kustomize`` as the oracle.

Argo CD: the tier overlays carry the sync waves (CRDs < templates and policies < constraints
< namespaces). Flux: the stage Kustomizations' patches split a tier into disjoint parts that
together are the whole tier, each object in the stage that applies it at the right time.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gitopspol.gitops import plan_apps
from gitopspol.repo import load_repository
from gitopspol.repo.build import render_tier
from gitopspol.repo.scaffold import init_repository
from gitopspol.yamlio import dump, load_all
from tests.conftest import need_kubectl

WAVE = "argocd.argoproj.io/sync-wave"
OPTIONS = "argocd.argoproj.io/sync-options"
PRUNE = "kustomize.toolkit.fluxcd.io/prune"


def _kubectl(folder: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [need_kubectl(), "kustomize", str(folder)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in load_all(out) if doc]


def _annotations(doc: dict[str, Any]) -> dict[str, str]:
    return dict(doc["metadata"].get("annotations") or {})


def _group(doc: dict[str, Any]) -> str:
    api = str(doc["apiVersion"])
    return api.split("/")[0] if "/" in api else ""


@pytest.fixture(scope="module")
def argocd_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_repository(tmp_path_factory.mktemp("argocd") / "repo").root


@pytest.fixture(scope="module")
def flux_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_repository(tmp_path_factory.mktemp("flux") / "repo", {"gitops": "flux"}).root


@pytest.mark.parametrize("tier", ["sbx", "prd"])
def test_sync_waves_in_order(argocd_repo: Path, tier: str) -> None:
    docs = _kubectl(argocd_repo / "environments" / tier)
    # The pure-Python renderer (validate, build) sees the same annotations.
    assert load_all(render_tier(load_repository(argocd_repo), tier)) == docs
    waves: dict[str, set[int]] = {}
    for doc in docs:
        annotations = _annotations(doc)
        assert WAVE in annotations, doc["metadata"]["name"]
        stage = {
            "templates.gatekeeper.sh": "templates",
            "constraints.gatekeeper.sh": "constraints",
            "kyverno.io": "policies",
            "": "namespaces",
        }[_group(doc)]
        waves.setdefault(stage, set()).add(int(annotations[WAVE]))
        if stage == "constraints":
            assert annotations[OPTIONS] == "SkipDryRunOnMissingResource=true"
        if stage in ("templates", "namespaces"):
            assert annotations[OPTIONS] == "Prune=false"
    assert waves == {"templates": {0}, "policies": {0}, "constraints": {10}, "namespaces": {20}}
    assert max(waves["templates"]) < min(waves["constraints"]) < min(waves["namespaces"])


def test_flux_repository_has_no_sync_waves(flux_repo: Path) -> None:
    docs = _kubectl(flux_repo / "environments" / "prd")
    assert docs
    assert not any(WAVE in _annotations(doc) for doc in docs)


@pytest.mark.parametrize("tier", ["sbx", "prd"])
def test_flux_stages_partition_the_tier(flux_repo: Path, tmp_path: Path, tier: str) -> None:
    everything = _kubectl(flux_repo / "environments" / tier)
    cluster = f"{tier}-1"
    (file,) = [
        f
        for f in plan_apps(load_repository(flux_repo)).files
        if f.path == f"clusters/flux/{cluster}/kustomizations.yaml"
    ]
    seen: dict[str, str] = {}
    for stage in file.documents:
        folder = tmp_path / stage["metadata"]["name"]
        folder.mkdir()
        overlay = flux_repo / stage["spec"]["path"]
        # Flux adds the patches to the overlay's own kustomization; a wrapper is equivalent.
        kustomization = {
            "resources": [os.path.relpath(overlay, folder)],
            "patches": stage["spec"]["patches"],
        }
        (folder / "kustomization.yaml").write_text(dump(kustomization))
        for doc in _kubectl(folder):
            key = f"{doc['kind']}/{doc['metadata']['name']}"
            assert key not in seen, f"{key} is in {seen.get(key)} and {folder.name}"
            seen[key] = folder.name
            pruning = _annotations(doc).get(PRUNE)
            protected = doc["kind"] in ("ConstraintTemplate", "Namespace")
            assert pruning == ("disabled" if protected else None), key
    assert sorted(seen) == sorted(f"{d['kind']}/{d['metadata']['name']}" for d in everything)
    stages = {key.split("/")[0]: stage for key, stage in seen.items()}
    assert stages == {
        "ClusterPolicy": "gitopspol-policies",
        "ConstraintTemplate": "gitopspol-policies",
        "K8sAllowedRepos": "gitopspol-constraints",
        "K8sPSSBaseline": "gitopspol-constraints",
        "Namespace": "gitopspol-namespaces",
    }
