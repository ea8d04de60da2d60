"""Constraint ``spec.match`` (gatekeeper pkg/mutation/match semantics)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitopspol.engines.gatekeeper.match import (
    MatchError,
    matches,
    selector_matches,
    wildcard_matches,
)
from gitopspol.errors import PolicyError


def _obj(
    kind: str = "Pod",
    api: str = "v1",
    name: str = "web",
    namespace: str | None = "default",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def _ns(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return _obj("Namespace", name=name, namespace=None, labels=labels)


def test_empty_match_selects_everything() -> None:
    assert matches(None, _obj())
    assert matches({}, _obj(namespace=None))


@pytest.mark.parametrize(
    ("kinds", "obj", "expected"),
    [
        ([{"apiGroups": [""], "kinds": ["Pod"]}], _obj(), True),
        ([{"apiGroups": [""], "kinds": ["Service"]}], _obj(), False),
        ([{"apiGroups": ["apps"], "kinds": ["Pod"]}], _obj(), False),
        ([{"apiGroups": ["apps"], "kinds": ["Deployment"]}], _obj("Deployment", "apps/v1"), True),
        ([{"apiGroups": ["*"], "kinds": ["*"]}], _obj("Deployment", "apps/v1"), True),
        ([{"kinds": ["Deployment"]}], _obj("Deployment", "apps/v1"), True),  # no groups = any
        ([{"apiGroups": ["apps"]}], _obj("Deployment", "apps/v1"), True),  # no kinds = any
        (
            [{"apiGroups": [""], "kinds": ["Service"]}, {"apiGroups": [""], "kinds": ["Pod"]}],
            _obj(),
            True,
        ),
    ],
)
def test_kinds(kinds: list[dict[str, Any]], obj: dict[str, Any], expected: bool) -> None:
    assert matches({"kinds": kinds}, obj) is expected


def test_namespaces_and_wildcards() -> None:
    match = {"namespaces": ["default", "team-*", "*-system"]}
    assert matches(match, _obj(namespace="default"))
    assert matches(match, _obj(namespace="team-a"))
    assert matches(match, _obj(namespace="kube-system"))
    assert not matches(match, _obj(namespace="prod"))
    # gator: an object without a namespace is cluster-scoped and is never excluded.
    assert matches(match, _obj(namespace=None))
    # A Namespace is matched by its own name.
    assert matches(match, _ns("team-b"))
    assert not matches(match, _ns("prod"))
    # A known Namespace object wins over what the object declares.
    assert not matches(match, _obj(namespace="default"), _ns("prod"))


def test_excluded_namespaces() -> None:
    match = {"excludedNamespaces": ["kube-*"]}
    assert not matches(match, _obj(namespace="kube-system"))
    assert matches(match, _obj(namespace="default"))
    assert matches(match, _obj(namespace=None))
    assert not matches(match, _ns("kube-public"))


def test_label_selector() -> None:
    match = {
        "labelSelector": {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["front", "back"]},
                {"key": "legacy", "operator": "DoesNotExist"},
            ],
        }
    }
    assert matches(match, _obj(labels={"app": "web", "tier": "front"}))
    assert not matches(match, _obj(labels={"app": "web", "tier": "db"}))
    assert not matches(match, _obj(labels={"app": "web", "tier": "front", "legacy": "1"}))
    assert not matches(match, _obj(labels={"tier": "front"}))
    assert not matches(match, _obj())


def test_selector_operators() -> None:
    labels = {"env": "prd"}
    assert selector_matches(
        {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["sbx"]}]}, labels
    )
    assert selector_matches(
        {"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["a"]}]}, labels
    )
    assert selector_matches({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, labels)
    assert not selector_matches(
        {"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, labels
    )
    assert selector_matches({}, labels)
    with pytest.raises(MatchError, match="not a valid label selector operator"):
        selector_matches({"matchExpressions": [{"key": "env", "operator": "Equals"}]}, labels)
    with pytest.raises(MatchError, match="values: must be specified"):
        selector_matches({"matchExpressions": [{"key": "env", "operator": "In"}]}, labels)


def test_namespace_selector() -> None:
    match = {"namespaceSelector": {"matchLabels": {"tier": "prd"}}}
    assert matches(match, _obj(), _ns("default", {"tier": "prd"}))
    assert not matches(match, _obj(), _ns("default", {"tier": "sbx"}))
    # A Namespace is selected by its own labels.
    assert matches(match, _ns("x", {"tier": "prd"}))
    assert not matches(match, _ns("x"))
    # Cluster-scoped objects always match.
    assert matches(match, _obj("ClusterRole", "rbac.authorization.k8s.io/v1", namespace=None))
    # A namespaced object with no Namespace known cannot be decided: Gatekeeper autorejects.
    with pytest.raises(MatchError, match="missing Namespace"):
        matches(match, _obj())


def test_scope() -> None:
    cluster = _obj("ClusterRole", "rbac.authorization.k8s.io/v1", namespace=None)
    assert matches({"scope": "Cluster"}, cluster)
    assert not matches({"scope": "Cluster"}, _obj())
    assert matches({"scope": "Cluster"}, _ns("default"))
    assert matches({"scope": "Namespaced"}, _obj())
    assert not matches({"scope": "Namespaced"}, cluster)
    assert not matches({"scope": "Namespaced"}, _ns("default"))
    assert matches({"scope": "*"}, cluster)
    assert matches({"scope": "cluster"}, _obj())  # upstream: unknown scopes match all


def test_name() -> None:
    assert matches({"name": "web"}, _obj(name="web"))
    assert not matches({"name": "web"}, _obj(name="api"))
    assert matches({"name": "web-*"}, _obj(name="web-1"))
    assert matches({"name": "*-db"}, _obj(name="orders-db"))
    assert not matches({"name": "*-db"}, _obj(name="orders"))


def test_all_criteria_must_hold() -> None:
    match = {
        "kinds": [{"apiGroups": [""], "kinds": ["Pod"]}],
        "namespaces": ["default"],
        "name": "web",
    }
    assert matches(match, _obj())
    assert not matches(match, _obj(name="api"))
    assert not matches(match, _obj("Service"))


@pytest.mark.parametrize(
    ("pattern", "candidate", "expected"),
    [
        ("kube-*", "kube-system", True),
        ("kube-*", "my-kube", False),
        ("*-system", "gatekeeper-system", True),
        ("*", "anything", True),
        ("*mid*", "a-mid-b", True),
        ("exact", "exact", True),
        ("exact", "exactly", False),
    ],
)
def test_wildcard(pattern: str, candidate: str, expected: bool) -> None:
    assert wildcard_matches(pattern, candidate) is expected


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
_keys = st.sampled_from(
    [
        "kinds",
        "namespaces",
        "excludedNamespaces",
        "labelSelector",
        "namespaceSelector",
        "scope",
        "name",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    match=st.dictionaries(_keys, _json, max_size=4),
    obj=st.dictionaries(st.sampled_from(["apiVersion", "kind", "metadata"]), _json, max_size=3),
    ns=st.none() | st.dictionaries(st.sampled_from(["metadata"]), _json, max_size=1),
)
def test_malformed_match_or_object_never_crashes(
    match: dict[str, Any], obj: dict[str, Any], ns: dict[str, Any] | None
) -> None:
    with contextlib.suppress(PolicyError):  # MatchError included
        assert matches(match, obj, ns) in (True, False)


def test_malformed_match_is_a_policy_error_not_an_autoreject() -> None:
    with pytest.raises(
        PolicyError, match=r"spec\.match\.namespaces must be a list of strings"
    ) as info:
        matches({"namespaces": "default"}, {"kind": "Pod"})
    assert not isinstance(info.value, MatchError)
