"""Kubewarden policies in the semantic diff and the GP1xx/GP2xx rules, on plain documents."""

from __future__ import annotations

import json
from typing import Any

from gitopspol.checks import RuleContext, get_rule, run_rules
from gitopspol.checks.base import SourceDocument
from gitopspol.diff import Category, Direction, compare, policy_views

MODULE = "registry://ghcr.io/kubewarden/policies/pod-privileged:v1.0.2"


def _policy(kind: str = "ClusterAdmissionPolicy", **spec: Any) -> SourceDocument:
    data = {
        "apiVersion": "policies.kubewarden.io/v1",
        "kind": kind,
        "metadata": {"name": "p"},
        "spec": {"module": MODULE, **spec},
    }
    return SourceDocument(data, "p.yaml", text=json.dumps(data, indent=1))


def _changes(lower: SourceDocument, higher: SourceDocument) -> list[tuple[str, str, str]]:
    return [
        (c.aspect, c.category.value, c.direction.value)
        for c in compare([lower], [higher])
        if c.category is not Category.CONTENT
    ]


def test_views_of_kubewarden_kinds_only() -> None:
    server = SourceDocument(
        {"apiVersion": "policies.kubewarden.io/v1", "kind": "PolicyServer", "metadata": {}}, ""
    )
    views = policy_views([_policy(), _policy("AdmissionPolicyGroup", policies={}), server])
    assert sorted(views) == ["AdmissionPolicyGroup/p", "ClusterAdmissionPolicy/p"]
    modes = {s.aspect: s.value for s in views["ClusterAdmissionPolicy/p"].settings}
    assert modes["mode"] == {"": (1, "protect")}  # protect is Kubewarden's default


def test_mode_and_failure_policy_are_ordered() -> None:
    assert _changes(_policy(mode="protect"), _policy(mode="monitor")) == [
        ("mode", "kubewarden-mode", "weakened")
    ]
    assert _changes(_policy(mode="monitor"), _policy()) == [
        ("mode", "kubewarden-mode", "strengthened")
    ]
    assert _changes(_policy(), _policy(failurePolicy="Ignore")) == [
        ("failurePolicy", "failure-policy", "weakened")
    ]


def test_compare_judgements_become_weakenings() -> None:
    lower = _policy(settings={"allowedRegistries": ["a"]}, rules=[{"resources": ["pods"]}])
    higher = _policy(
        module="registry://ghcr.io/acme/allow-all:v1",
        settings={"allowedRegistries": ["a", "b"]},
        rules=[],
    )
    found = _changes(lower, higher)
    assert sorted(found) == [
        ("module", "kubewarden", "weakened"),
        ("rules", "kubewarden", "weakened"),
        ("settings.allowedRegistries", "kubewarden", "weakened"),
    ]
    # Another version of the same module is a promotion: content changed, nothing weaker.
    bumped = _policy(module=MODULE.replace("v1.0.2", "v1.0.3"))
    assert _changes(_policy(), bumped) == []
    assert [c.direction for c in compare([_policy()], [bumped])] == [Direction.CHANGED]


def test_group_member_missing() -> None:
    member = {"module": MODULE, "settings": {}}
    lower = _policy("ClusterAdmissionPolicyGroup", policies={"a": member, "b": member})
    higher = _policy("ClusterAdmissionPolicyGroup", policies={"a": member})
    assert _changes(lower, higher) == [("policies.b", "kubewarden", "weakened")]


def _rule_messages(rule_id: str, ctx: RuleContext) -> list[str]:
    return [f.message for f in run_rules(ctx, [get_rule(rule_id)])]


def test_rules_on_a_tier_pair() -> None:
    sbx = [_policy(mode="protect", settings={"rejectedTags": ["latest", "dev"]})]
    prd = [_policy(mode="monitor", settings={"rejectedTags": ["latest"]}, failurePolicy="Ignore")]
    ctx = RuleContext(tiers={"sbx": sbx, "prd": prd})
    assert _rule_messages("GP209", ctx) == [
        "ClusterAdmissionPolicy/p: mode is weaker in prd than in sbx: protect -> monitor",
        "ClusterAdmissionPolicy/p: settings.rejectedTags is weaker in prd than in sbx: "
        "deny-list is smaller: drops ['dev']",
    ]
    assert _rule_messages("GP208", ctx) == [
        "ClusterAdmissionPolicy/p: failurePolicy is weaker in prd than in sbx: Fail -> Ignore"
    ]
    assert _rule_messages("GP207", RuleContext(tiers={"sbx": sbx, "prd": []})) == [
        "ClusterAdmissionPolicy/p is in sbx but missing from prd"
    ]
    waiver = {"policy": "p", "tier": "prd", "reason": "r", "expires": "2999-01-01"}
    waived = RuleContext(tiers={"sbx": sbx, "prd": prd}, settings={"waivers": [waiver]})
    assert _rule_messages("GP209", waived) == []


def test_gp109_profile_mode_and_failure_policy() -> None:
    prd = [_policy(mode="monitor", failurePolicy="Ignore")]
    profiles = {"prd": {"kubewarden": {"mode": "protect", "failurePolicy": "Fail"}}}
    ctx = RuleContext(tiers={"prd": prd}, settings={"profiles": profiles})
    assert _rule_messages("GP109", ctx) == [
        "ClusterAdmissionPolicy/p: mode is monitor, weaker than tier prd's profile (protect)",
        "ClusterAdmissionPolicy/p: failurePolicy is Ignore, weaker than tier prd's profile (Fail)",
    ]
    # A Kubewarden failurePolicy in the profile does not apply to other engines' policies.
    data = {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "k"},
        "spec": {"failurePolicy": "Ignore", "rules": []},
    }
    kyverno = SourceDocument(data, "k.yaml", text=json.dumps(data))
    ctx = RuleContext(tiers={"prd": [kyverno]}, settings={"profiles": profiles})
    assert _rule_messages("GP109", ctx) == []
