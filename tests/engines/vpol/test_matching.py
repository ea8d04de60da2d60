"""matchConstraints / matchResources, label selectors, kinds to resources, auto-gen checks."""

from __future__ import annotations

from typing import Any

import pytest

from gitopspol.engines.admission import AdmissionRequest
from gitopspol.engines.cel.kinds import resource_for_kind
from gitopspol.engines.vpol.autogen import autogen_controllers, can_autogen
from gitopspol.engines.vpol.matching import match_resources, selector_matches
from gitopspol.errors import PolicyError


def obj(
    kind: str, api: str = "v1", namespace: str | None = "default", **labels: str
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "x", "labels": labels}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": meta}


RULE = {
    "apiGroups": ["apps"],
    "apiVersions": ["*"],
    "resources": ["deployments"],
    "operations": ["CREATE"],
}


@pytest.mark.parametrize(
    ("kind", "resource"),
    [
        ("Pod", "pods"),
        ("Ingress", "ingresses"),
        ("NetworkPolicy", "networkpolicies"),
        ("Gateway", "gateways"),
        ("Endpoints", "endpoints"),
        ("StorageClass", "storageclasses"),
    ],
)
def test_resource_for_kind(kind: str, resource: str) -> None:
    assert resource_for_kind(kind) == resource


def test_resource_rules_group_version_resource_operation() -> None:
    match = {"resourceRules": [RULE]}
    assert match_resources(match, AdmissionRequest(obj("Deployment", "apps/v1")))
    assert not match_resources(match, AdmissionRequest(obj("Deployment", "extensions/v1beta1")))
    assert not match_resources(match, AdmissionRequest(obj("StatefulSet", "apps/v1")))
    update = AdmissionRequest(obj("Deployment", "apps/v1"), obj("Deployment", "apps/v1"), "UPDATE")
    assert not match_resources(match, update)
    wildcard = {
        "resourceRules": [
            {"apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/*"], "operations": ["*"]}
        ]
    }
    assert match_resources(wildcard, update)
    assert not match_resources({}, AdmissionRequest(obj("Deployment", "apps/v1")))


def test_exclude_rules_names_and_scope() -> None:
    rule = {**RULE, "resources": ["*"]}
    match = {"resourceRules": [rule], "excludeResourceRules": [{**RULE, "resourceNames": ["x"]}]}
    assert not match_resources(match, AdmissionRequest(obj("Deployment", "apps/v1")))
    assert match_resources(match, AdmissionRequest(obj("DaemonSet", "apps/v1")))
    cluster_only = {"resourceRules": [{**rule, "apiGroups": ["*"], "scope": "Cluster"}]}
    assert match_resources(
        cluster_only, AdmissionRequest(obj("ClusterRole", "rbac.authorization.k8s.io/v1", None))
    )
    assert not match_resources(
        cluster_only, AdmissionRequest(obj("Role", "rbac.authorization.k8s.io/v1"))
    )


def test_namespace_and_object_selectors() -> None:
    base = {"resourceRules": [{**RULE, "resources": ["*"], "apiGroups": ["*"]}]}
    ns_sel = {**base, "namespaceSelector": {"matchLabels": {"env": "prd"}}}
    pod = obj("Pod")
    assert not match_resources(ns_sel, AdmissionRequest(pod))
    ns = obj("Namespace", namespace=None, env="prd")
    assert match_resources(ns_sel, AdmissionRequest(pod, namespace_object=ns))
    # the well-known name label is always there
    by_name = {
        **base,
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "default"}},
    }
    assert match_resources(by_name, AdmissionRequest(pod))
    # cluster-scoped objects ignore the namespace selector
    assert match_resources(
        ns_sel, AdmissionRequest(obj("ClusterRole", "rbac.authorization.k8s.io/v1", None))
    )
    obj_sel = {
        **base,
        "objectSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
    }
    assert not match_resources(obj_sel, AdmissionRequest(pod))
    assert match_resources(obj_sel, AdmissionRequest(obj("Pod", app="web")))


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({}, {}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "1"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]},
            {"a": "2"},
            True,
        ),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "1"}, False),
    ],
)
def test_selector_matches(selector: dict[str, Any], labels: dict[str, str], expected: bool) -> None:
    assert selector_matches(selector, labels) is expected


def test_selector_unknown_operator() -> None:
    with pytest.raises(PolicyError, match="unknown operator 'Like'"):
        selector_matches({"matchExpressions": [{"key": "a", "operator": "Like"}]}, {})


def test_can_autogen() -> None:
    pods = {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "resources": ["pods"],
        "operations": ["CREATE"],
    }
    assert can_autogen({"resourceRules": [pods]})
    assert not can_autogen({"resourceRules": [{**pods, "resources": ["pods", "services"]}]})
    assert not can_autogen({"resourceRules": [{**pods, "resourceNames": ["p"]}]})
    assert not can_autogen({"resourceRules": [pods], "objectSelector": {"matchLabels": {"a": "b"}}})
    spec = {"matchConstraints": {"resourceRules": [pods]}}
    assert autogen_controllers(spec) == [
        "DaemonSet",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "Job",
        "CronJob",
    ]
    spec["autogen"] = {"podControllers": {"controllers": ["deployments", "Deployment"]}}
    assert autogen_controllers(spec) == ["Deployment"]
