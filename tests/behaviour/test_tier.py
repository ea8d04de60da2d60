"""evaluate_tier: every engine present, combined into the cluster's verdict."""

from __future__ import annotations

from typing import Any

import pytest

from gitopspol.behaviour.cases import Verdict
from gitopspol.behaviour.tier import Admission, effect, evaluate_tier, prepare_tier
from gitopspol.engines.admission import Action, AdmissionRequest, RuleResult, Status
from gitopspol.errors import PolicyError


def _pod(name: str = "p", ns: str = "team", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"containers": [{"name": "c", "image": "ubuntu"}], **spec},
    }


def _namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _kyverno(action: str, name: str = "no-host-pid") -> dict[str, Any]:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": name},
        "spec": {
            "rules": [
                {
                    "name": "host-pid",
                    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                    "validate": {
                        "failureAction": action,
                        "message": "hostPID is not allowed",
                        "pattern": {"spec": {"=(hostPID)": False}},
                    },
                }
            ]
        },
    }


VAP = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicy",
    "metadata": {"name": "need-team-label"},
    "spec": {
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["pods"],
                }
            ]
        },
        "validations": [
            {"expression": "has(object.metadata.labels.team)", "message": "label team missing"}
        ],
    },
}


def _binding(*actions: str) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "need-team-label"},
        "spec": {"policyName": "need-team-label", "validationActions": list(actions)},
    }


def _verdict(rendered: list[dict[str, Any]], obj: dict[str, Any]) -> Admission:
    return evaluate_tier(rendered, AdmissionRequest(object=obj))


def test_effect_order_and_errors() -> None:
    def r(status: Status, *actions: Action) -> RuleResult:
        return RuleResult("x", "p", None, status, "", actions)

    assert effect(r(Status.FAIL, Action.WARN, Action.AUDIT)) is Verdict.WARN
    assert effect(r(Status.FAIL)) is Verdict.ALLOW  # PSA enforce on a workload
    assert effect(r(Status.ERROR)) is Verdict.AUDIT  # reported, never silently passed
    assert effect(r(Status.ERROR, Action.DENY)) is Verdict.DENY
    assert effect(r(Status.PASS, Action.DENY)) is Verdict.ALLOW
    assert [v.rank for v in Verdict] == [0, 1, 2, 3]


def test_kyverno_enforce_and_audit() -> None:
    bad = _pod(hostPID=True)
    assert _verdict([_kyverno("Enforce")], bad).verdict is Verdict.DENY
    assert _verdict([_kyverno("Audit")], bad).verdict is Verdict.AUDIT
    assert _verdict([_kyverno("Enforce")], _pod()).verdict is Verdict.ALLOW


def test_psa_from_rendered_namespace_labels() -> None:
    rendered = [
        _namespace(
            "team",
            **{
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        )
    ]
    denied = _verdict(rendered, _pod(hostPID=True))
    assert denied.verdict is Verdict.DENY
    assert [(r.engine, r.rule) for r in denied.deciding] == [("psa", "enforce")]
    warned = _verdict(rendered, _pod())  # baseline-compliant, not restricted
    assert warned.verdict is Verdict.WARN
    # another namespace has no labels: privileged
    assert _verdict(rendered, _pod(ns="other", hostPID=True)).verdict is Verdict.ALLOW


def test_vap_binding_actions() -> None:
    pod = _pod()
    assert _verdict([VAP, _binding("Deny")], pod).verdict is Verdict.DENY
    assert _verdict([VAP, _binding("Warn", "Audit")], pod).verdict is Verdict.WARN
    assert _verdict([VAP, _binding("Audit")], pod).verdict is Verdict.AUDIT
    assert _verdict([VAP], pod).verdict is Verdict.ALLOW  # unbound: does nothing
    labelled = _pod()
    labelled["metadata"]["labels"]["team"] = "a"
    assert _verdict([VAP, _binding("Deny")], labelled).verdict is Verdict.ALLOW


def test_validating_policy_with_namespace_selector() -> None:
    vpol = {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": "no-host-pid"},
        "spec": {
            "validationActions": ["Deny"],
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE"],
                        "resources": ["pods"],
                    }
                ],
                # the API server sets this label on every namespace
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "team"},
                },
            },
            "validations": [{"expression": "!has(object.spec.hostPID) || !object.spec.hostPID"}],
        },
    }
    assert _verdict([vpol], _pod(hostPID=True)).verdict is Verdict.DENY
    assert _verdict([vpol], _pod(ns="other", hostPID=True)).verdict is Verdict.ALLOW


def test_policy_exception_exempts_matching_requests() -> None:
    exception = {
        "apiVersion": "kyverno.io/v2",
        "kind": "PolicyException",
        "metadata": {"name": "debug", "namespace": "team"},
        "spec": {
            "exceptions": [{"policyName": "no-host-pid", "ruleNames": ["host-pid"]}],
            "match": {"any": [{"resources": {"kinds": ["Pod"], "names": ["debug-*"]}}]},
        },
    }
    rendered = [_kyverno("Enforce"), exception]
    exempt = _verdict(rendered, _pod("debug-1", hostPID=True))
    assert exempt.verdict is Verdict.ALLOW
    assert "exempted by PolicyException team/debug" in exempt.results[0].message
    assert _verdict(rendered, _pod("web", hostPID=True)).verdict is Verdict.DENY


def test_deny_beats_warn_beats_audit_and_deciding_keeps_the_strongest() -> None:
    rendered = [_kyverno("Audit", "audit-pid"), VAP, _binding("Warn"), _kyverno("Enforce")]
    admission = _verdict(rendered, _pod(hostPID=True))
    assert admission.verdict is Verdict.DENY
    assert [r.policy for r in admission.deciding] == ["no-host-pid"]
    assert [effect(r).value for r in admission.reported] == ["deny", "warn", "audit"]
    assert admission.policy_verdicts() == {
        "kyverno:audit-pid": Verdict.AUDIT,
        "kyverno:no-host-pid": Verdict.DENY,
        "vap:need-team-label": Verdict.WARN,
    }
    assert admission.policy_verdict("need-team-label") is Verdict.WARN
    assert admission.policy_verdict("missing") is None


def test_prepared_tier_lists_engines_and_refuses_orphan_constraints() -> None:
    tier = prepare_tier([_kyverno("Audit"), VAP, _binding("Deny"), _namespace("a")], "t")
    assert tier.engines == ("kyverno", "vap")  # a Namespace without PSA labels is no engine
    orphan = {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": "K8sMissing",
        "metadata": {"name": "x"},
    }
    with pytest.raises(PolicyError, match="no ConstraintTemplate defines its kind"):
        prepare_tier([orphan], "prd")
