"""The scaffold's policies: valid against the upstream CRDs, and the Gatekeeper Rego compiles
and flags the breakout and untrusted-registry pods (checked with regorus directly)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitopspol.yamlio import load_all_file, load_file
from tests.conftest import need_shared

#: (group, kind) -> CRD file under ../shared/schemas/crds.
CRDS = {
    ("kyverno.io", "ClusterPolicy"): "kyverno/kyverno.io_clusterpolicies.yaml",
    (
        "policies.kyverno.io",
        "ValidatingPolicy",
    ): "kyverno/policies.kyverno.io_validatingpolicies.yaml",
    (
        "templates.gatekeeper.sh",
        "ConstraintTemplate",
    ): "gatekeeper/constrainttemplate-customresourcedefinition.yaml",
}


def _crd_validator(group: str, kind: str, version: str) -> Any:
    from jsonschema import Draft4Validator

    crd = load_file(need_shared("schemas", "crds", CRDS[(group, kind)]))
    (entry,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    return Draft4Validator(entry["schema"]["openAPIV3Schema"])


def _policy_documents(root: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((root / "policies").rglob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs += [d for d in load_all_file(path) if d is not None]
    return docs


@pytest.mark.parametrize("flavour", ["ClusterPolicy", "ValidatingPolicy"])
def test_policies_are_valid_against_upstream_crds(
    default_repo: Path, vpol_repo: Path, flavour: str
) -> None:
    root = default_repo if flavour == "ClusterPolicy" else vpol_repo
    checked = []
    for doc in _policy_documents(root):
        group, _, version = doc["apiVersion"].rpartition("/")
        if (group, doc["kind"]) not in CRDS:
            continue
        errors = [e.message for e in _crd_validator(group, doc["kind"], version).iter_errors(doc)]
        assert errors == [], (doc["kind"], doc["metadata"]["name"])
        checked.append(doc["kind"])
    assert sorted(checked) == sorted([flavour, flavour, "ConstraintTemplate", "ConstraintTemplate"])


def test_crd_check_catches_a_bad_failure_action(default_repo: Path) -> None:
    (doc,) = load_all_file(default_repo / "policies" / "kyverno" / "pod-security-baseline.yaml")
    doc["spec"]["rules"][0]["validate"]["failureAction"] = "Block"
    errors = list(_crd_validator("kyverno.io", "ClusterPolicy", "v1").iter_errors(doc))
    assert len(errors) == 1


POD_OK = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "prd"},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "web", "image": "ubuntu:24.04", "ports": [{"containerPort": 80}]}],
    },
}


def _violations(
    template: dict[str, Any], pod: dict[str, Any], parameters: dict[str, Any]
) -> list[str]:
    regorus = pytest.importorskip("regorus")
    engine = regorus.Engine()
    engine.set_rego_v0(True)
    (target,) = template["spec"]["targets"]
    package = engine.add_policy("template.rego", target["rego"])
    engine.set_input_json(json.dumps({"review": {"object": pod}, "parameters": parameters}))
    result = json.loads(engine.eval_query_as_json(f"{package}.violation"))
    return sorted(v["msg"] for v in result["result"][0]["expressions"][0]["value"])


def test_gatekeeper_templates_flag_the_design_cases(default_repo: Path) -> None:
    root = default_repo
    templates = root / "policies" / "gatekeeper" / "templates"
    repos = load_file(templates / "k8sallowedrepos.yaml")
    baseline = load_file(templates / "k8spssbaseline.yaml")
    params = {"repos": ["open-policy-agent", "ubuntu"]}
    (case,) = load_all_file(root / "tests" / "container-breakout.yaml")
    breakout = case["resources"][0]

    assert _violations(repos, POD_OK, params) == []
    assert _violations(baseline, POD_OK, {}) == []
    assert _violations(repos, breakout, params) == [
        "container <breakout> has an invalid image repo <lol>, allowed repos are "
        '["open-policy-agent", "ubuntu"]'
    ]
    assert _violations(baseline, breakout, {}) == [
        "privileged container <breakout> is disallowed",
        "sharing the host namespaces is disallowed: spec.hostPID is true",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"hostNetwork": True}, "spec.hostNetwork is true"),
        ({"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}, "hostPath volume <root>"),
        (
            {"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}},
            "sysctl <kernel.msgmax>",
        ),
        ({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}, "Unconfined seccomp"),
        ({"securityContext": {"seLinuxOptions": {"type": "spc_t"}}}, "SELinux type <spc_t>"),
    ],
)
def test_gatekeeper_baseline_controls(
    default_repo: Path, change: dict[str, Any], expected: str
) -> None:
    baseline = load_file(
        default_repo / "policies" / "gatekeeper" / "templates" / "k8spssbaseline.yaml"
    )
    pod = json.loads(json.dumps(POD_OK))
    pod["spec"].update(change)
    (message,) = _violations(baseline, pod, {})
    assert expected in message
    container = json.loads(json.dumps(POD_OK))
    container["spec"]["containers"][0]["securityContext"] = {"capabilities": {"add": ["SYS_ADMIN"]}}
    container["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": 8080}]
    assert len(_violations(baseline, container, {})) == 2


def _vpol_failures(policy: dict[str, Any], pod: dict[str, Any], namespace: str) -> list[str]:
    from gitopspol.engines.admission import AdmissionRequest, Status
    from gitopspol.engines.vpol.evaluate import evaluate_validating_policy

    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": {"kubernetes.io/metadata.name": namespace}},
    }
    pod = {**pod, "metadata": {**pod["metadata"], "namespace": namespace}}
    results = evaluate_validating_policy(policy, AdmissionRequest(object=pod, namespace_object=ns))
    assert all(r.status is not Status.ERROR for r in results), [r.message for r in results]
    return [r.message for r in results if r.status is Status.FAIL]


def test_validating_policy_flavour_cel(vpol_repo: Path) -> None:
    root = vpol_repo
    kyverno = root / "policies" / "kyverno"
    registries = load_file(kyverno / "restrict-image-registries.yaml")
    baseline = load_file(kyverno / "pod-security-baseline.yaml")
    (case,) = load_all_file(root / "tests" / "container-breakout.yaml")
    breakout = case["resources"][0]

    assert _vpol_failures(registries, POD_OK, "prd") == []
    assert _vpol_failures(baseline, POD_OK, "prd") == []
    assert _vpol_failures(registries, breakout, "prd") == [
        "Images must come from a trusted registry: open-policy-agent, ubuntu."
    ]
    assert len(_vpol_failures(baseline, breakout, "sbx")) == 1
    # Pods outside the workload namespaces are not matched.
    assert _vpol_failures(baseline, breakout, "kube-system") == []
    hostpath = json.loads(json.dumps(POD_OK))
    hostpath["spec"]["volumes"] = [{"name": "root", "hostPath": {"path": "/"}}]
    assert _vpol_failures(baseline, hostpath, "prd") == ["HostPath volumes are disallowed."]
