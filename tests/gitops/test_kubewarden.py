"""The scaffold's ``kubewarden`` engine option: rendering, schemas, tier strictness, distribution."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gitopspol.engines.kubewarden import compare
from gitopspol.gitops import plan_apps
from gitopspol.repo import load_repository
from gitopspol.repo.build import render_tier
from gitopspol.repo.scaffold import init_repository
from gitopspol.schema import CrdRegistry, validate_manifest
from gitopspol.yamlio import dump, load_all
from tests.conftest import need_kubectl, need_shared

ENGINES = ["kyverno", "gatekeeper", "psa", "kubewarden"]
POLICIES = ("allowed-registries", "host-namespaces", "privileged-pods")
WAVE = "argocd.argoproj.io/sync-wave"
POLICY_SERVER = """\
apiVersion: policies.kubewarden.io/v1
kind: PolicyServer
metadata:
  name: default
spec:
  image: ghcr.io/kubewarden/policy-server:v1.20.0
  replicas: 2
"""


def _kubectl(folder: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [need_kubectl(), "kustomize", str(folder)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in load_all(out) if doc]


def _policies(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"]: d
        for d in docs
        if d["apiVersion"].startswith("policies.kubewarden.io/")
        and d["kind"] == "ClusterAdmissionPolicy"
    }


@pytest.fixture(scope="module")
def kw_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kubewarden") / "repo"
    return init_repository(root, {"engines": ENGINES, "gitops": "both"}).root


@pytest.fixture
def own_repo(tmp_path: Path) -> Path:
    return init_repository(tmp_path / "repo", {"engines": ENGINES}).root


@pytest.mark.parametrize(("tier", "mode"), [("sbx", "monitor"), ("prd", "protect")])
def test_renders_with_kubectl_in_both_tiers(kw_repo: Path, tier: str, mode: str) -> None:
    docs = _kubectl(kw_repo / "environments" / tier)
    assert load_all(render_tier(load_repository(kw_repo), tier)) == docs
    policies = _policies(docs)
    assert sorted(policies) == list(POLICIES)
    for policy in policies.values():
        spec = policy["spec"]
        assert spec["mode"] == mode
        assert spec["module"].startswith("registry://ghcr.io/kubewarden/policies/")
        assert spec["namespaceSelector"]["matchExpressions"][0]["values"] == ["sbx", "prd"]
        assert policy["metadata"]["annotations"][WAVE] == "0"
    assert policies["allowed-registries"]["spec"]["settings"] == {
        "registries": {"allow": ["open-policy-agent", "ubuntu"]}
    }
    assert policies["host-namespaces"]["spec"]["settings"]["allow_host_pid"] is False


def test_policies_validate_against_upstream_crds_and_builtin_schema(kw_repo: Path) -> None:
    registry = CrdRegistry.from_paths([need_shared("schemas", "crds", "kubewarden")])
    checked = 0
    for tier in ("sbx", "prd"):
        for policy in _policies(load_all(render_tier(load_repository(kw_repo), tier))).values():
            validator = registry.validator(policy["apiVersion"], policy["kind"])
            assert validator is not None
            assert [e.message for e in validator.iter_errors(policy)] == []
            assert validate_manifest(policy) == []
            checked += 1
    assert checked == 6
    broken = {"apiVersion": "policies.kubewarden.io/v1", "kind": "ClusterAdmissionPolicy"}
    broken["spec"] = {"module": "ghcr.io/x", "rules": [], "mutating": False, "mode": "enforce"}
    problems = {p.dotted_path for p in validate_manifest(broken)}
    assert {"spec.module", "spec.rules", "spec.mode"} <= problems


def _set_mode(overlay: Path, name: str, mode: str) -> None:
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text()
        + f"- target:\n    kind: ClusterAdmissionPolicy\n    name: {name}\n"
        + f"  patch: |-\n    - op: replace\n      path: /spec/mode\n      value: {mode}\n"
    )


def test_compare_catches_prd_switched_to_monitor(own_repo: Path) -> None:
    repo = load_repository(own_repo)
    base = _policies(_kubectl(own_repo / "policies"))  # the released baseline: protect
    sbx = _policies(load_all(render_tier(repo, "sbx")))
    prd = _policies(load_all(render_tier(repo, "prd")))
    for name in POLICIES:
        assert compare(sbx[name], prd[name]) == [], name
        assert compare(base[name], prd[name]) == [], name
        assert [w.path for w in compare(prd[name], sbx[name])] == [("spec", "mode")]
    _set_mode(own_repo / "environments" / "prd", "privileged-pods", "monitor")
    prd = _policies(load_all(render_tier(repo, "prd")))
    assert prd["privileged-pods"]["spec"]["mode"] == "monitor"
    # prd now monitors like sbx: weaker than the baseline prd must keep ...
    (weakening,) = compare(base["privileged-pods"], prd["privileged-pods"])
    assert weakening.path == ("spec", "mode")
    assert "monitor" in weakening.message
    # ... and weaker than sbx as soon as sbx protects (a tier pair where the lower tier
    # enforces: prd may not monitor what sbx already rejects).
    _set_mode(own_repo / "environments" / "sbx", "privileged-pods", "protect")
    sbx = _policies(load_all(render_tier(repo, "sbx")))
    (weakening,) = compare(sbx["privileged-pods"], prd["privileged-pods"])
    assert weakening.path == ("spec", "mode")
    assert compare(sbx["host-namespaces"], prd["host-namespaces"]) == []


def test_policy_server_comes_first(own_repo: Path, tmp_path: Path) -> None:
    (own_repo / "policies" / "kubewarden" / "policy-server.yaml").write_text(POLICY_SERVER)
    kustomization = own_repo / "policies" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "- kubewarden/policy-server.yaml\n")
    docs = _kubectl(own_repo / "environments" / "prd")
    waves = {
        (d["kind"], d["metadata"]["name"]): int(d["metadata"]["annotations"][WAVE]) for d in docs
    }
    assert waves[("PolicyServer", "default")] == -5
    assert all(
        waves[("PolicyServer", "default")] < waves[("ClusterAdmissionPolicy", name)]
        for name in POLICIES
    )
    # Flux: the PolicyServer is in the engine stage, the policies in the next one.
    files = {f.path: f for f in plan_apps(load_repository(own_repo), "flux").files}
    stages = files["clusters/flux/prd-1/kustomizations.yaml"].documents
    found: dict[str, str] = {}
    for stage in stages:
        folder = tmp_path / stage["metadata"]["name"]
        folder.mkdir()
        overlay = os.path.relpath(own_repo / "environments" / "prd", folder)
        wrapper = {"resources": [overlay], "patches": stage["spec"]["patches"]}
        (folder / "kustomization.yaml").write_text(dump(wrapper))
        for doc in _kubectl(folder):
            found[doc["kind"]] = stage["metadata"]["name"]
    assert found["PolicyServer"] == "gitopspol-engine"
    assert found["ClusterAdmissionPolicy"] == "gitopspol-policies"


def test_apps_covers_kubewarden(kw_repo: Path) -> None:
    files = {f.path: f.documents for f in plan_apps(load_repository(kw_repo)).files}
    (project,) = files["clusters/argocd/appproject.yaml"]
    cluster_kinds = {k["kind"] for k in project["spec"]["clusterResourceWhitelist"]}
    assert {
        "ClusterAdmissionPolicy",
        "ClusterAdmissionPolicyGroup",
        "PolicyServer",
    } <= cluster_kinds
    namespaced = {k["kind"] for k in project["spec"]["namespaceResourceWhitelist"]}
    assert namespaced == {"Policy", "AdmissionPolicy", "AdmissionPolicyGroup"}
    (health,) = files["clusters/argocd/argocd-cm-health.yaml"]
    assert (
        "resource.customizations.health.policies.kubewarden.io_ClusterAdmissionPolicy"
        in (health["data"])
    )
    assert "resource.customizations.health.policies.kubewarden.io_PolicyServer" in health["data"]
    stages = files["clusters/flux/prd-1/kustomizations.yaml"]
    exprs = {e["kind"] for e in stages[1]["spec"]["healthCheckExprs"]}
    assert "ClusterAdmissionPolicy" in exprs
    crds = need_shared("schemas", "crds")
    registry = CrdRegistry.from_paths([crds / "argocd", crds / "flux"])
    for path, documents in files.items():
        for doc in documents:
            validator = registry.validator(doc["apiVersion"], doc["kind"])
            if validator is not None:
                assert [e.message for e in validator.iter_errors(doc)] == [], path
