"""Argo CD and Flux manifests: a hand-written good one validates, a broken one does not (built-in and CRDs)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitopspol.schema import CrdRegistry, validate_manifest

APPLICATION: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "policies-prd", "namespace": "argocd"},
    "spec": {
        "project": "default",
        "source": {
            "repoURL": "https://git.example.com/policies.git",
            "path": "environments/prd",
            "targetRevision": "main",
        },
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "kyverno"},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["ServerSideApply=true"],
        },
    },
}
KUSTOMIZATION: dict[str, Any] = {
    "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
    "kind": "Kustomization",
    "metadata": {"name": "policies", "namespace": "flux-system"},
    "spec": {
        "interval": "10m",
        "path": "./environments/prd",
        "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "policies"},
        "dependsOn": [{"name": "kyverno"}],
    },
}
GIT_REPOSITORY: dict[str, Any] = {
    "apiVersion": "source.toolkit.fluxcd.io/v1",
    "kind": "GitRepository",
    "metadata": {"name": "policies", "namespace": "flux-system"},
    "spec": {
        "interval": "1m",
        "url": "https://git.example.com/policies.git",
        "ref": {"branch": "main"},
    },
}


def _break_application(doc: dict[str, Any]) -> tuple[str | int, ...]:
    doc["spec"]["syncPolicy"]["automated"]["selfheal"] = True
    return ("spec", "syncPolicy", "automated", "selfheal")


def _break_kustomization(doc: dict[str, Any]) -> tuple[str | int, ...]:
    doc["spec"]["prune"] = "yes"
    return ("spec", "prune")


def _break_git_repository(doc: dict[str, Any]) -> tuple[str | int, ...]:
    del doc["spec"]["interval"]
    return ("spec",)


CASES = [
    (APPLICATION, _break_application),
    (KUSTOMIZATION, _break_kustomization),
    (GIT_REPOSITORY, _break_git_repository),
]


@pytest.mark.parametrize("with_crds", [False, True], ids=["built-in", "upstream-crds"])
@pytest.mark.parametrize(
    ("good", "breaker"), CASES, ids=["Application", "Kustomization", "GitRepository"]
)
def test_gitops_manifest(
    with_crds: bool, upstream_crds: CrdRegistry, good: dict[str, Any], breaker: Any
) -> None:
    crds = upstream_crds if with_crds else None
    assert validate_manifest(good, crds=crds) == []
    broken = copy.deepcopy(good)
    where = breaker(broken)
    assert [p.path for p in validate_manifest(broken, crds=crds)] == [where]
