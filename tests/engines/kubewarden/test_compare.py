"""Tier strictness of one Kubewarden policy: what makes the higher tier weaker."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitopspol.engines.kubewarden import compare
from gitopspol.engines.kubewarden.compare import module_name

BASE: dict[str, Any] = {
    "apiVersion": "policies.kubewarden.io/v1",
    "kind": "ClusterAdmissionPolicy",
    "metadata": {"name": "allowed-registries"},
    "spec": {
        "module": "registry://ghcr.io/kubewarden/policies/trusted-repos:v0.2.0",
        "mode": "protect",
        "mutating": False,
        "rules": [
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["pods"],
                "operations": ["CREATE", "UPDATE"],
            }
        ],
        "namespaceSelector": {"matchLabels": {"tier": "prd"}},
        "settings": {
            "registries": {"allow": ["ghcr.io"], "reject": ["docker.io"]},
            "images": {"rejectedTags": ["latest"]},
        },
    },
}


def _with(**changes: Any) -> dict[str, Any]:
    policy = copy.deepcopy(BASE)
    policy["spec"].update(changes)
    return policy


def _messages(lower: dict[str, Any], higher: dict[str, Any]) -> list[str]:
    return [str(w) for w in compare(lower, higher)]


def test_identical_and_stricter_are_fine() -> None:
    assert compare(BASE, copy.deepcopy(BASE)) == []
    stricter = _with(
        rules=[{"apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"], "operations": ["*"]}],
        namespaceSelector={},
        settings={
            "registries": {"allow": [], "reject": ["docker.io", "quay.io"]},
            "images": {"rejectedTags": ["latest", "dev"]},
        },
    )
    assert compare(BASE, stricter) == []
    assert compare(_with(mode="monitor"), BASE) == []  # monitor -> protect is stronger


def test_monitor_in_the_higher_tier() -> None:
    assert _messages(BASE, _with(mode="monitor")) == [
        "spec.mode: monitor in the higher tier, protect below"
    ]
    no_mode = copy.deepcopy(BASE)
    del no_mode["spec"]["mode"]  # protect is the default
    assert len(compare(no_mode, _with(mode="monitor"))) == 1


def test_failure_policy_ignore() -> None:
    assert _messages(BASE, _with(failurePolicy="Ignore")) == [
        "spec.failurePolicy: Ignore in the higher tier, Fail below"
    ]


def test_allow_list_grows_or_disappears() -> None:
    bigger = _with(
        settings={
            **BASE["spec"]["settings"],
            "registries": {"allow": ["ghcr.io", "docker.io"], "reject": ["docker.io"]},
        }
    )
    assert _messages(BASE, bigger) == [
        "spec.settings.registries.allow: allow-list is larger: adds ['docker.io']"
    ]
    removed = _with(settings={**BASE["spec"]["settings"], "registries": {"reject": ["docker.io"]}})
    assert _messages(BASE, removed) == [
        "spec.settings.registries.allow: allow-list removed (the lower tier restricts it)"
    ]


@pytest.mark.parametrize(
    "key",
    [
        "allowedRegistries",
        "allowed_capabilities",
        "trustedRegistries",
        "registries",
        "allowedHostPaths",
    ],
)
def test_allow_list_key_names(key: str) -> None:
    lower = _with(settings={key: ["a"]})
    assert len(compare(lower, _with(settings={key: ["a", "b"]}))) == 1
    assert compare(lower, _with(settings={key: []})) == []


def test_deny_list_shrinks() -> None:
    smaller = _with(settings={**BASE["spec"]["settings"], "images": {"rejectedTags": []}})
    assert _messages(BASE, smaller) == [
        "spec.settings.images.rejectedTags: deny-list is smaller: drops ['latest']"
    ]


@pytest.mark.parametrize(
    "key", ["reject", "rejectedTags", "deniedCapabilities", "blockedRegistries"]
)
def test_deny_list_key_names(key: str) -> None:
    lower = _with(settings={"images": {key: ["a", "b"]}})
    assert len(compare(lower, _with(settings={"images": {key: ["a"]}}))) == 1
    assert len(compare(lower, _with(settings={}))) == 1
    assert compare(lower, _with(settings={"images": {key: ["a", "b", "c"]}})) == []


def test_other_settings_lists_are_not_compared() -> None:
    assert compare(_with(settings={"labels": ["a"]}), _with(settings={"labels": ["b"]})) == []


def test_rules_narrower() -> None:
    narrower = _with(
        rules=[
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["pods"],
                "operations": ["CREATE"],
            }
        ]
    )
    [weakening] = compare(BASE, narrower)
    assert weakening.path == ("spec", "rules")
    assert "operations=['CREATE', 'UPDATE']" in weakening.message
    split = _with(
        rules=[
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["pods"],
                "operations": ["CREATE"],
            },
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["*/*"],
                "operations": ["UPDATE", "CREATE"],
            },
        ]
    )
    assert compare(BASE, split) == []
    scoped = _with(rules=[{**BASE["spec"]["rules"][0], "scope": "Cluster"}])
    assert len(compare(BASE, scoped)) == 1


def test_selectors_and_conditions_narrower() -> None:
    other = _with(namespaceSelector={"matchLabels": {"tier": "prd", "team": "a"}})
    assert _messages(BASE, other) == [
        "spec.namespaceSelector: selects less than (or not provably as much as) below"
    ]
    assert len(compare(BASE, _with(objectSelector={"matchLabels": {"app": "x"}}))) == 1
    condition = {"name": "c", "expression": "true"}
    assert len(compare(BASE, _with(matchConditions=[condition]))) == 1
    assert compare(_with(matchConditions=[condition]), BASE) == []


def test_policy_group_members() -> None:
    def group(members: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": "ClusterAdmissionPolicyGroup",
            "spec": {"policies": members, "expression": "a()"},
        }

    lower = group(
        {"a": {"module": "m", "settings": {"allowedRegistries": ["ghcr.io"]}}, "b": {"module": "n"}}
    )
    higher = group({"a": {"module": "m", "settings": {"allowedRegistries": ["ghcr.io", "x.io"]}}})
    assert _messages(lower, higher) == [
        "spec.policies.a.settings.allowedRegistries: allow-list is larger: adds ['x.io']",
        "spec.policies.b: member policy missing in the higher tier",
    ]


def test_module_versions_and_other_modules() -> None:
    ref = "ghcr.io/kubewarden/policies/trusted-repos"
    for other in (f"registry://{ref}:v0.3.0", f"{ref}@sha256:0123", f"{ref}:v1@sha256:ab"):
        assert module_name(other) == ref
        assert compare(BASE, _with(module=other)) == []
    assert module_name("file://policies/p.wasm") == "policies/p.wasm"
    assert module_name("p.wasm") == "p.wasm"
    assert _messages(BASE, _with(module="registry://ghcr.io/kubewarden/policies/other:v1")) == [
        "spec.module: a different policy module than below: not comparable"
    ]
