"""``gitopspol.engines.gatekeeper.evaluate``: actions, scoped enforcement, errors, CEL and Rego."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitopspol.engines.admission import Action, AdmissionRequest, Status
from gitopspol.engines.gatekeeper import (
    AUDIT_POINT,
    GATOR_POINT,
    WEBHOOK_POINT,
    enforcement_actions,
    evaluate,
)
from gitopspol.engines.gatekeeper.template import compile_template
from gitopspol.errors import PolicyError

REGO = """package k8srequiredlabels

violation[{"msg": msg, "details": {"missing": missing}}] {
  provided := {label | input.review.object.metadata.labels[label]}
  required := {label | label := input.parameters.labels[_]}
  missing := required - provided
  count(missing) > 0
  msg := sprintf("you must provide labels: %v", [missing])
}
"""


def _template(
    rego: str | None = REGO, cel: dict[str, Any] | None = None, kind: str = "K8sRequiredLabels"
) -> dict[str, Any]:
    target: dict[str, Any] = {"target": "admission.k8s.gatekeeper.sh"}
    code: list[dict[str, Any]] = []
    if cel is not None:
        code.append({"engine": "K8sNativeValidation", "source": cel})
    if rego is not None:
        code.append({"engine": "Rego", "source": {"rego": rego}})
    target["code"] = code
    return {
        "apiVersion": "templates.gatekeeper.sh/v1",
        "kind": "ConstraintTemplate",
        "metadata": {"name": kind.lower()},
        "spec": {
            "crd": {
                "spec": {
                    "names": {"kind": kind},
                    "validation": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "labels": {"type": "array", "items": {"type": "string"}}
                            },
                        }
                    },
                }
            },
            "targets": [target],
        },
    }


def _constraint(
    name: str = "need-owner", kind: str = "K8sRequiredLabels", **spec: Any
) -> dict[str, Any]:
    spec.setdefault("parameters", {"labels": ["owner"]})
    return {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": spec,
    }


def _pod(labels: dict[str, str] | None = None, namespace: str = "default") -> AdmissionRequest:
    meta: dict[str, Any] = {"name": "web", "namespace": namespace}
    if labels is not None:
        meta["labels"] = labels
    return AdmissionRequest({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {}})


def test_violation_and_pass() -> None:
    [fail] = evaluate([_template()], [_constraint()], _pod())
    assert (fail.engine, fail.policy, fail.rule) == (
        "gatekeeper",
        "K8sRequiredLabels/need-owner",
        "k8srequiredlabels",
    )
    assert fail.status is Status.FAIL
    assert fail.message == 'you must provide labels: {"owner"}'
    assert fail.actions == (Action.DENY,)
    [ok] = evaluate([_template()], [_constraint()], _pod({"owner": "me"}))
    assert ok.status is Status.PASS


def test_unmatched_constraint_is_skipped() -> None:
    constraint = _constraint(match={"namespaces": ["prd"]})
    [skip] = evaluate([_template()], [constraint], _pod())
    assert skip.status is Status.SKIP


@pytest.mark.parametrize(
    ("action", "expected"),
    [(None, Action.DENY), ("deny", Action.DENY), ("warn", Action.WARN), ("dryrun", Action.AUDIT)],
)
def test_enforcement_action(action: str | None, expected: Action) -> None:
    constraint = _constraint(**({"enforcementAction": action} if action else {}))
    for point in (WEBHOOK_POINT, AUDIT_POINT, GATOR_POINT):
        assert enforcement_actions(constraint, point) == (expected,)
    [result] = evaluate([_template()], [constraint], _pod())
    assert result.actions == (expected,)


def test_scoped_enforcement_actions() -> None:
    constraint = _constraint(
        enforcementAction="scoped",
        scopedEnforcementActions=[
            {"action": "warn", "enforcementPoints": [{"name": WEBHOOK_POINT}]},
            {
                "action": "deny",
                "enforcementPoints": [{"name": GATOR_POINT}, {"name": WEBHOOK_POINT}],
            },
            {"action": "dryrun", "enforcementPoints": [{"name": "*"}]},
        ],
    )
    assert enforcement_actions(constraint, WEBHOOK_POINT) == (
        Action.AUDIT,
        Action.WARN,
        Action.DENY,
    )
    assert enforcement_actions(constraint, GATOR_POINT) == (Action.AUDIT, Action.DENY)
    assert enforcement_actions(constraint, AUDIT_POINT) == (Action.AUDIT,)


def test_scoped_without_the_point_is_not_evaluated() -> None:
    constraint = _constraint(
        enforcementAction="scoped",
        scopedEnforcementActions=[{"action": "deny", "enforcementPoints": [{"name": AUDIT_POINT}]}],
    )
    [result] = evaluate([_template()], [constraint], _pod())
    assert result.status is Status.SKIP
    assert "not enforced at validation.gatekeeper.sh" in result.message
    [audit] = evaluate([_template()], [constraint], _pod(), enforcement_point=AUDIT_POINT)
    assert audit.status is Status.FAIL


def test_unknown_enforcement_action_is_an_error() -> None:
    with pytest.raises(PolicyError, match="unknown enforcementAction 'block'"):
        evaluate([_template()], [_constraint(enforcementAction="block")], _pod())


def test_parameters_are_validated_against_the_schema() -> None:
    bad = _constraint(parameters={"labels": "owner"})
    with pytest.raises(
        PolicyError, match=r"spec\.parameters\.labels: 'owner' is not of type 'array'"
    ):
        evaluate([_template()], [bad], _pod())
    worse = _constraint(parameters={"labels": [1]})
    with pytest.raises(
        PolicyError, match=r"spec\.parameters\.labels\[0\]: 1 is not of type 'string'"
    ):
        evaluate([_template()], [worse], _pod())


def test_parameters_default_to_an_empty_object() -> None:
    rego = 'package p\nviolation[{"msg": msg}] { msg := sprintf("%v", [input.parameters]) }\n'
    constraint = _constraint()
    del constraint["spec"]["parameters"]
    [result] = evaluate([_template(rego)], [constraint], _pod())
    assert result.message == "{}"


def test_input_review_layout() -> None:
    rego = 'package p\nviolation[{"msg": msg}] { msg := json.marshal(input.review) }\n'
    [result] = evaluate(
        [_template(rego)], [_constraint()], _pod(), namespace={"metadata": {"name": "default"}}
    )
    review = json.loads(result.message)
    assert review["operation"] == "CREATE"
    assert review["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert review["name"] == "web"
    assert review["namespace"] == "default"
    assert review["namespaceObject"] == {"metadata": {"name": "default"}}
    assert review["userInfo"] == {}


def test_inventory_is_data_inventory() -> None:
    rego = """package p
violation[{"msg": msg}] {
  other := data.inventory.namespace[ns]["v1"]["Pod"][name]
  name != input.review.object.metadata.name
  msg := sprintf("%v/%v", [ns, name])
}
violation[{"msg": "cluster"}] { data.inventory.cluster["v1"]["Namespace"]["default"] }
"""
    inventory = [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db", "namespace": "default"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
    ]
    results = evaluate([_template(rego)], [_constraint()], _pod(), inventory=inventory)
    assert sorted(r.message for r in results) == ["cluster", "default/db"]
    [ok] = evaluate([_template(rego)], [_constraint()], _pod())
    assert ok.status is Status.PASS


def test_namespace_selector_without_namespace_autorejects() -> None:
    constraint = _constraint(match={"namespaceSelector": {"matchLabels": {"tier": "prd"}}})
    [result] = evaluate([_template()], [constraint], _pod())
    assert result.status is Status.ERROR
    assert result.message.startswith("autoreject: namespace selector")
    [selected] = evaluate(
        [_template()],
        [constraint],
        _pod(),
        namespace={
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "default", "labels": {"tier": "prd"}},
        },
    )
    assert selected.status is Status.FAIL


def test_runtime_error_becomes_an_error_result() -> None:
    rego = 'package p\nviolation[{"msg": msg}] { msg := sprintf("%v %v", [1]) }\n'
    [result] = evaluate([_template(rego)], [_constraint()], _pod())
    assert result.status is Status.ERROR
    assert "template.rego:2" in result.message or "k8srequiredlabels.rego:2" in result.message
    assert "Stack backtrace" not in result.message


def test_compile_error_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match=r"k8srequiredlabels\.rego:2: ") as info:
        evaluate(
            [_template('package p\nviolation[{"msg": m}] { m := }\n')], [_constraint()], _pod()
        )
    assert "\n" not in info.value.message


def test_result_without_msg_is_an_error() -> None:
    rego = 'package p\nviolation[{"text": "x"}] { true }\n'
    [result] = evaluate([_template(rego)], [_constraint()], _pod())
    assert result.status is Status.ERROR
    assert "has no msg" in result.message


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(PolicyError, match="no ConstraintTemplate defines its kind"):
        evaluate([_template()], [_constraint(kind="K8sOther")], _pod())


def test_rego_v1_template() -> None:
    rego = 'package p\nviolation contains {"msg": "v1"} if { input.review.object.kind == "Pod" }\n'
    template = _template(None)
    template["spec"]["targets"][0]["code"] = [
        {"engine": "Rego", "source": {"rego": rego, "version": "v1"}}
    ]
    [result] = evaluate([template], [_constraint()], _pod())
    assert result.message == "v1"


CEL_SOURCE: dict[str, Any] = {
    "variables": [
        {
            "name": "labels",
            "expression": "has(variables.anyObject.metadata.labels) ? variables.anyObject.metadata.labels : {}",
        },
        {
            "name": "missing",
            "expression": "variables.params.labels.filter(l, !(l in variables.labels))",
        },
    ],
    "validations": [
        {
            "expression": "size(variables.missing) == 0",
            "messageExpression": '"missing labels: " + variables.missing.join(", ")',
        },
        {"expression": 'request.operation != "DELETE"', "message": "no deletes"},
        {"expression": "variables.anyObject.metadata.name != 'forbidden'"},
    ],
}


def test_cel_is_preferred_when_a_template_has_both() -> None:
    template = _template(cel=CEL_SOURCE)
    assert compile_template(template).backend.engine == "K8sNativeValidation"
    assert compile_template(template, prefer_cel=False).backend.engine == "Rego"
    [result] = evaluate([template], [_constraint()], _pod())
    assert result.status is Status.FAIL
    assert result.message == "missing labels: owner"
    [ok] = evaluate([template], [_constraint()], _pod({"owner": "me"}))
    assert ok.status is Status.PASS


def test_cel_messages_and_delete() -> None:
    template = _template(None, cel=CEL_SOURCE)
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "forbidden", "namespace": "default", "labels": {"owner": "x"}},
    }
    results = evaluate(
        [template], [_constraint()], AdmissionRequest(None, old_object=obj, operation="DELETE")
    )
    assert [r.message for r in results] == [
        "no deletes",
        "failed expression: variables.anyObject.metadata.name != 'forbidden'",
    ]


def test_cel_evaluation_error_is_a_violation() -> None:
    constraint = _constraint()
    del constraint["spec"]["parameters"]  # variables.params is null: params.labels fails
    [result] = evaluate([_template(None, cel=CEL_SOURCE)], [constraint], _pod())
    assert result.status is Status.FAIL
    assert "failed" in result.message


def test_cel_failure_policy_ignore() -> None:
    source = {**CEL_SOURCE, "failurePolicy": "Ignore"}
    constraint = _constraint()
    del constraint["spec"]["parameters"]
    [result] = evaluate([_template(None, cel=source)], [constraint], _pod())
    assert result.status is Status.PASS


def test_cel_params_is_the_constraint() -> None:
    source = {
        "validations": [
            {
                "expression": "params.metadata.name != 'need-owner'",
                "messageExpression": "'constraint ' + params.metadata.name + ' wants ' + variables.params.labels[0]",
            }
        ]
    }
    [result] = evaluate([_template(None, cel=source)], [_constraint()], _pod())
    assert result.message == "constraint need-owner wants owner"


def test_template_name_must_be_the_lowercase_kind() -> None:
    template = _template()
    template["metadata"]["name"] = "requiredlabels"
    with pytest.raises(PolicyError, match="must be 'k8srequiredlabels', its kind in lowercase"):
        evaluate([template], [_constraint()], _pod())


def _calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the Rego evaluations that reach the engine (the worker)."""
    from gitopspol.engines.gatekeeper import rego

    calls: list[str] = []
    real = rego.RegoProgram.violations

    def counting(self: Any, input_json: str, data: Any = None) -> list[Any]:
        calls.append(input_json)
        return real(self, input_json, data)

    monkeypatch.setattr(rego.RegoProgram, "violations", counting)
    return calls


def _labelled_pod(name: str, labels: dict[str, str], namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }


def test_rego_reads_are_the_static_prefixes_of_input_references() -> None:
    from gitopspol.engines.gatekeeper.rego import compile_modules

    program = compile_modules(
        """package x
import input.review.object.spec as spec
violation[{"msg": m}] {
  c := spec.containers[_]
  input.review.object.metadata.labels[k]
  input["parameters"].repos[i] == c.image
  m := sprintf("%v", [input.review.object.metadata.labels.app, k, i])
}
"""
    )
    assert program.input_paths == (
        ("parameters", "repos"),
        ("review", "object", "spec"),
        ("review", "object", "metadata", "labels"),
    )
    whole = compile_modules('package y\nviolation[{"msg": m}] { m := sprintf("%v", [input]) }\n')
    assert whole.input_paths == ((),)


def test_rego_results_are_shared_by_reviews_that_agree_on_what_it_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _calls(monkeypatch)
    template = _template(kind="K8sSharedLabels")
    constraint = _constraint(kind="K8sSharedLabels", parameters={"labels": ["team"]})
    first = evaluate(
        [template], [constraint], AdmissionRequest(object=_labelled_pod("a", {"x": "1"}))
    )
    assert first[0].status is Status.FAIL
    assert len(calls) == 1
    # Another name and namespace, same labels: the template does not read them.
    other = AdmissionRequest(object=_labelled_pod("b", {"x": "1"}, namespace="other"))
    assert evaluate([template], [constraint], other) == first
    assert len(calls) == 1
    # Different labels (read by the template): evaluated again, and now it passes.
    passing = evaluate(
        [template], [constraint], AdmissionRequest(object=_labelled_pod("c", {"team": "a"}))
    )
    assert passing[0].status is Status.PASS
    assert len(calls) == 2
    # Empty labels: evaluated again.
    assert evaluate([template], [constraint], AdmissionRequest(object=_labelled_pod("d", {})))
    assert len(calls) == 3
    # Other parameters: evaluated again.
    wider = _constraint(kind="K8sSharedLabels", parameters={"labels": ["team", "x"]})
    evaluate([template], [wider], AdmissionRequest(object=_labelled_pod("e", {"x": "1"})))
    assert len(calls) == 4


def test_rego_that_reads_input_whole_is_evaluated_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _calls(monkeypatch)
    rego = 'package k8swhole\nviolation[{"msg": m}] { m := sprintf("%v", [count(input)]) }\n'
    template = _template(rego, kind="K8sWhole")
    constraint = _constraint(kind="K8sWhole")
    for name in ("a", "a", "b"):
        evaluate([template], [constraint], AdmissionRequest(object=_labelled_pod(name, {})))
    assert len(calls) == 3
