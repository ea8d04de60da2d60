"""ValidatingPolicy, ValidatingAdmissionPolicy (+ binding) and validate.cel evaluation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitopspol.engines.admission import Action, AdmissionRequest, Status
from gitopspol.engines.vpol import (
    evaluate_all,
    evaluate_cel_rule,
    evaluate_validating_policy,
    evaluate_vap,
    load_context,
    rewrite_cel,
)
from gitopspol.errors import InputError, PolicyError
from tests.conftest import build_file_tree

PODS_RULE = {
    "apiGroups": [""],
    "apiVersions": ["v1"],
    "operations": ["CREATE", "UPDATE"],
    "resources": ["pods"],
}


def vpol(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "validationActions": ["Deny"],
        "matchConstraints": {"resourceRules": [PODS_RULE]},
        "validations": [
            {
                "expression": "!has(object.spec.hostPID) || !object.spec.hostPID",
                "message": "no hostPID",
            }
        ],
    }
    base.update(spec)
    return {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": "no-host-pid"},
        "spec": base,
    }


def pod(name: str = "p", host_pid: bool = False, **meta: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx"}]}
    if host_pid:
        spec["hostPID"] = True
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", **meta},
        "spec": spec,
    }


def deployment(host_pid: bool = False) -> dict[str, Any]:
    template = pod(host_pid=host_pid)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {"template": {"metadata": {"labels": {"app": "x"}}, "spec": template["spec"]}},
    }


def cronjob(host_pid: bool = False) -> dict[str, Any]:
    template = pod(host_pid=host_pid)
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "cj", "namespace": "default"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": template["spec"]}}}},
    }


def one(results: list[Any]) -> Any:
    assert len(results) == 1
    return results[0]


def test_pass_and_fail_with_message_and_actions() -> None:
    good = one(evaluate_validating_policy(vpol(), AdmissionRequest(pod())))
    assert (good.engine, good.policy, good.rule, good.status) == (
        "vpol",
        "no-host-pid",
        None,
        Status.PASS,
    )
    bad = one(evaluate_validating_policy(vpol(), AdmissionRequest(pod(host_pid=True))))
    assert bad.status is Status.FAIL
    assert bad.message == "no hostPID"
    assert bad.actions == (Action.DENY,)
    warn = one(
        evaluate_validating_policy(
            vpol(validationActions=["Warn", "Audit"]), AdmissionRequest(pod(host_pid=True))
        )
    )
    assert warn.actions == (Action.WARN, Action.AUDIT)


def test_message_expression_wins_and_default_message() -> None:
    checks = [
        {
            "expression": "object.metadata.name != 'p'",
            "message": "static",
            "messageExpression": "'pod ' + object.metadata.name + ' is not allowed'",
        }
    ]
    result = one(evaluate_validating_policy(vpol(validations=checks), AdmissionRequest(pod())))
    assert result.message == "pod p is not allowed"
    checks[0]["messageExpression"] = "object.metadata.nope"  # fails: falls back to message
    result = one(evaluate_validating_policy(vpol(validations=checks), AdmissionRequest(pod())))
    assert result.message == "static"
    bare = [{"expression": "false"}]
    result = one(evaluate_validating_policy(vpol(validations=bare), AdmissionRequest(pod())))
    assert result.message == "failed expression: false"


def test_not_matching_gives_no_result() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "default"},
    }
    assert evaluate_validating_policy(vpol(), AdmissionRequest(service)) == []
    assert evaluate_validating_policy(vpol(), AdmissionRequest(None, pod(), "DELETE")) == []


def test_match_conditions_false_is_skip() -> None:
    conditions = [{"name": "only-labelled", "expression": "has(object.metadata.labels)"}]
    result = one(
        evaluate_validating_policy(
            vpol(matchConditions=conditions), AdmissionRequest(pod(host_pid=True))
        )
    )
    assert result.status is Status.SKIP
    assert "only-labelled" in result.message
    labelled = pod(host_pid=True, labels={"a": "b"})
    result = one(
        evaluate_validating_policy(vpol(matchConditions=conditions), AdmissionRequest(labelled))
    )
    assert result.status is Status.FAIL


def test_autogen_for_controllers() -> None:
    policy = vpol()
    assert (
        one(evaluate_validating_policy(policy, AdmissionRequest(deployment(True)))).status
        is Status.FAIL
    )
    assert (
        one(evaluate_validating_policy(policy, AdmissionRequest(deployment(False)))).status
        is Status.PASS
    )
    assert (
        one(evaluate_validating_policy(policy, AdmissionRequest(cronjob(True)))).status
        is Status.FAIL
    )
    assert (
        one(evaluate_validating_policy(policy, AdmissionRequest(cronjob(False)))).status
        is Status.PASS
    )
    off = vpol(autogen={"podControllers": {"controllers": []}})
    assert evaluate_validating_policy(off, AdmissionRequest(deployment(True))) == []
    only_cron = vpol(autogen={"podControllers": {"controllers": ["cronjobs"]}})
    assert evaluate_validating_policy(only_cron, AdmissionRequest(deployment(True))) == []
    assert (
        one(evaluate_validating_policy(only_cron, AdmissionRequest(cronjob(True)))).status
        is Status.FAIL
    )


def test_autogen_guards_match_conditions_and_rewrites_metadata() -> None:
    conditions = [{"name": "labelled", "expression": "has(object.metadata.labels)"}]
    policy = vpol(matchConditions=conditions)
    # object.metadata becomes object.spec.template.metadata: the template is labelled
    result = one(evaluate_validating_policy(policy, AdmissionRequest(deployment(True))))
    assert result.status is Status.FAIL
    assert rewrite_cel("object.spec.x + oldObject.metadata.y", "pods") == (
        "object.spec.template.spec.x + oldObject.spec.template.metadata.y"
    )
    assert (
        rewrite_cel("object.spec.x", "cronjobs") == "object.spec.jobTemplate.spec.template.spec.x"
    )


def test_variables_chain_duration_and_failures() -> None:
    variables = [
        {"name": "names", "expression": "object.spec.containers.map(c, c.name)"},
        {"name": "count", "expression": "variables.names.size()"},
        {"name": "limit", "expression": "duration('2h')"},
        {"name": "broken", "expression": "object.spec.nope"},
    ]
    checks = [
        {"expression": "variables.count == 1 && variables.limit > duration('1h')"},
    ]
    result = one(
        evaluate_validating_policy(
            vpol(variables=variables, validations=checks), AdmissionRequest(pod())
        )
    )
    assert result.status is Status.PASS
    uses_broken = [{"expression": "variables.broken == 1"}]
    result = one(
        evaluate_validating_policy(
            vpol(variables=variables, validations=uses_broken), AdmissionRequest(pod())
        )
    )
    assert result.status is Status.ERROR
    assert result.message.startswith(
        "spec.validations[0]: uses variable 'broken' (spec.variables[3]):"
    )
    assert "no such key: nope" in result.message


def test_errors_and_failure_policy_ignore() -> None:
    checks = [{"expression": "object.spec.nope == 1"}]
    result = one(evaluate_validating_policy(vpol(validations=checks), AdmissionRequest(pod())))
    assert result.status is Status.ERROR
    assert "object.spec.nope == 1" in result.message
    ignored = one(
        evaluate_validating_policy(
            vpol(validations=checks, failurePolicy="Ignore"), AdmissionRequest(pod())
        )
    )
    assert ignored.status is Status.SKIP
    not_bool = [{"expression": "'yes'"}]
    result = one(evaluate_validating_policy(vpol(validations=not_bool), AdmissionRequest(pod())))
    assert result.status is Status.ERROR
    assert "must evaluate to bool" in result.message


def test_bad_cel_is_an_error_result_naming_the_expression() -> None:
    checks = [{"expression": "object.spec.containers.all(c, "}]
    result = one(evaluate_validating_policy(vpol(validations=checks), AdmissionRequest(pod())))
    assert result.status is Status.ERROR
    assert "does not compile" in result.message
    assert result.message.startswith("spec.validations[0]: CEL expression")


def test_wrong_policy_kind_and_unknown_action() -> None:
    with pytest.raises(PolicyError, match="is not a ValidatingPolicy"):
        evaluate_validating_policy(
            {"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "x"}},
            AdmissionRequest(pod()),
        )
    with pytest.raises(
        PolicyError, match=r"policy 'no-host-pid' spec\.validationActions: unknown action 'Block'"
    ):
        evaluate_validating_policy(vpol(validationActions=["Block"]), AdmissionRequest(pod()))


def test_request_variables() -> None:
    checks = [
        {
            "expression": "request.operation == 'UPDATE' && request.kind.kind == 'Pod' && "
            "request.resource.resource == 'pods' && request.namespace == 'default' && "
            "request.userInfo.username == 'alice' && oldObject.metadata.name == 'p'"
        }
    ]
    req = AdmissionRequest(pod(), pod(), "UPDATE", user_info={"username": "alice"})
    assert one(evaluate_validating_policy(vpol(validations=checks), req)).status is Status.PASS


def vap(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "matchConstraints": {"resourceRules": [PODS_RULE]},
        "validations": [{"expression": "object.spec.containers.size() <= int(params.data.max)"}],
        "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
    }
    base.update(spec)
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "max-containers"},
        "spec": base,
    }


def binding(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "max-containers-prd"},
        "spec": {"policyName": "max-containers", "validationActions": ["Warn"], **spec},
    }


def configmap(name: str, value: str, namespace: str = "default", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "data": {"max": value},
    }


PARAMS = [
    configmap("zero", "0", tier="prd"),
    configmap("one", "1", tier="sbx"),
    configmap("two", "2", "other"),
]


def test_vap_binding_param_by_name_and_actions() -> None:
    req = AdmissionRequest(pod())
    result = one(evaluate_vap(vap(), binding(paramRef={"name": "zero"}), req, params=PARAMS))
    assert (result.engine, result.status, result.actions) == ("vap", Status.FAIL, (Action.WARN,))
    result = one(evaluate_vap(vap(), binding(paramRef={"name": "one"}), req, params=PARAMS))
    assert result.status is Status.PASS


def test_vap_param_selector_gives_one_result_per_param() -> None:
    ref = {
        "selector": {
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["prd", "sbx"]}]
        }
    }
    results = evaluate_vap(vap(), binding(paramRef=ref), AdmissionRequest(pod()), params=PARAMS)
    assert [r.status for r in results] == [Status.FAIL, Status.PASS]


def test_vap_param_namespace_defaults_to_request_namespace() -> None:
    results = evaluate_vap(
        vap(), binding(paramRef={"selector": {}}), AdmissionRequest(pod()), params=PARAMS
    )
    assert len(results) == 2  # "two" lives in another namespace


def test_vap_missing_params() -> None:
    deny = binding(paramRef={"name": "missing"})
    result = one(evaluate_vap(vap(), deny, AdmissionRequest(pod()), params=PARAMS))
    assert result.status is Status.FAIL
    assert "no params found" in result.message
    allow = binding(paramRef={"name": "missing", "parameterNotFoundAction": "Allow"})
    assert evaluate_vap(vap(), allow, AdmissionRequest(pod()), params=PARAMS) == []


def test_vap_binding_match_resources_and_policy_name() -> None:
    prod_only = binding(
        paramRef={"name": "zero"},
        matchResources={
            "resourceRules": [PODS_RULE],
            "namespaceSelector": {"matchLabels": {"env": "prd"}},
        },
    )
    req = AdmissionRequest(pod())
    assert evaluate_vap(vap(), prod_only, req, params=PARAMS) == []
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "default", "labels": {"env": "prd"}},
    }
    req_prd = AdmissionRequest(pod(), namespace_object=ns)
    assert one(evaluate_vap(vap(), prod_only, req_prd, params=PARAMS)).status is Status.FAIL
    other = binding(policyName="something-else")
    assert evaluate_vap(vap(), other, req, params=PARAMS) == []


def test_vap_without_binding_through_the_combined_entry_point() -> None:
    policy = vap(paramKind=None, validations=[{"expression": "false", "message": "never"}])
    result = one(evaluate_validating_policy(policy, AdmissionRequest(pod())))
    assert (result.engine, result.status, result.message, result.actions) == (
        "vap",
        Status.FAIL,
        "never",
        (Action.DENY,),
    )


def test_vap_audit_annotation_error_is_reported() -> None:
    notes = [{"key": "k", "valueExpression": "object.spec.nope"}]
    policy = vap(paramKind=None, validations=[], auditAnnotations=notes)
    result = one(evaluate_validating_policy(policy, AdmissionRequest(pod())))
    assert result.status is Status.ERROR


CLUSTER_POLICY: dict[str, Any] = {
    "apiVersion": "kyverno.io/v1",
    "kind": "ClusterPolicy",
    "metadata": {"name": "host-namespaces"},
    "spec": {"validationFailureAction": "Enforce", "rules": []},
}
CEL_RULE: dict[str, Any] = {
    "name": "no-host-pid",
    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
    "celPreconditions": [{"name": "named", "expression": "object.metadata.name != 'skip-me'"}],
    "validate": {
        "cel": {
            "variables": [{"name": "pid", "expression": "object.spec.?hostPID.orValue(false)"}],
            "expressions": [{"expression": "!variables.pid", "message": "hostPID is forbidden"}],
        }
    },
}


def test_cel_rule_pass_fail_skip_and_action() -> None:
    good = evaluate_cel_rule(CLUSTER_POLICY, CEL_RULE, AdmissionRequest(pod()))
    assert (good.engine, good.policy, good.rule, good.status) == (
        "kyverno",
        "host-namespaces",
        "no-host-pid",
        Status.PASS,
    )
    bad = evaluate_cel_rule(CLUSTER_POLICY, CEL_RULE, AdmissionRequest(pod(host_pid=True)))
    assert (bad.status, bad.message, bad.actions) == (
        Status.FAIL,
        "hostPID is forbidden",
        (Action.DENY,),
    )
    skipped = evaluate_cel_rule(
        CLUSTER_POLICY, CEL_RULE, AdmissionRequest(pod("skip-me", host_pid=True))
    )
    assert skipped.status is Status.SKIP
    audit_rule = copy.deepcopy(CEL_RULE)
    audit_rule["validate"]["failureAction"] = "Audit"
    assert evaluate_cel_rule(
        CLUSTER_POLICY, audit_rule, AdmissionRequest(pod(host_pid=True))
    ).actions == (Action.AUDIT,)


def test_cel_rule_evaluation_error_is_a_failure() -> None:
    """The Kubernetes validator library that validate.cel runs on denies on an error."""
    rule = copy.deepcopy(CEL_RULE)
    rule["validate"]["cel"]["expressions"] = [{"expression": "object.spec.nope"}]
    result = evaluate_cel_rule(CLUSTER_POLICY, rule, AdmissionRequest(pod()))
    assert result.status is Status.FAIL
    assert "no such key: nope" in result.message
    assert "validate.cel.expressions[0]" in result.message


def test_cel_rule_params_from_context_resources(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "context.yaml": """
apiVersion: cli.kyverno.io/v1alpha1
kind: Context
metadata: {name: context}
spec:
  resources:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: limits, namespace: default}
    data: {max: "0"}
  images:
  - image: nginx
    config: {User: root}
"""
        },
    )
    context = load_context(tmp_path / "context.yaml")
    assert context.images["nginx"]["config"] == {"User": "root"}
    assert context.images["nginx"]["image"] == "nginx"
    rule = copy.deepcopy(CEL_RULE)
    rule["validate"]["cel"] = {
        "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
        "paramRef": {"name": "limits", "namespace": "default"},
        "expressions": [
            {"expression": "object.spec.containers.size() <= int(params.data.max)"},
            {"expression": "image.GetMetadata('nginx').config.User != 'root'", "message": "root"},
        ],
    }
    result = evaluate_cel_rule(CLUSTER_POLICY, rule, AdmissionRequest(pod()), context=context)
    assert result.status is Status.FAIL
    assert (
        result.message == "failed expression: object.spec.containers.size() <= int(params.data.max)"
    )


def test_bad_context_file(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {"c.yaml": "kind: Values\n", "d.yaml": "kind: Context\nspec: {images: [{config: {}}]}\n"},
    )
    with pytest.raises(InputError, match="kind: Context"):
        load_context(tmp_path / "c.yaml")
    with pytest.raises(InputError, match=r"spec\.images"):
        load_context(tmp_path / "d.yaml")


def test_optional_and_timestamp_variables_are_inlined() -> None:
    variables = [
        {"name": "pid", "expression": "object.spec.?hostPID"},
        {"name": "created", "expression": "timestamp('2024-01-01T00:00:00Z')"},
        {"name": "later", "expression": "variables.created + duration('1h')"},
    ]
    checks = [
        {"expression": "!variables.pid.orValue(false)", "message": "hostPID"},
        {"expression": "variables.later > variables.created"},
    ]
    policy = vpol(variables=variables, validations=checks)
    assert one(evaluate_validating_policy(policy, AdmissionRequest(pod()))).status is Status.PASS
    bad = one(evaluate_validating_policy(policy, AdmissionRequest(pod(host_pid=True))))
    assert (bad.status, bad.message) == (Status.FAIL, "hostPID")


def test_delete_requests_see_old_object() -> None:
    rules = [{**PODS_RULE, "operations": ["DELETE"]}]
    checks = [{"expression": "object == null && oldObject.metadata.name == 'p'"}]
    policy = vpol(matchConstraints={"resourceRules": rules}, validations=checks)
    result = one(evaluate_validating_policy(policy, AdmissionRequest(None, pod(), "DELETE")))
    assert result.status is Status.PASS
    assert evaluate_validating_policy(policy, AdmissionRequest(pod())) == []


def test_first_failing_validation_decides() -> None:
    checks = [
        {"expression": "true"},
        {"expression": "object.spec.nope == 1"},
        {"expression": "false", "message": "second"},
    ]
    result = one(evaluate_validating_policy(vpol(validations=checks), AdmissionRequest(pod())))
    assert result.status is Status.ERROR
    assert result.message.startswith("spec.validations[1]:")
    checks = [{"expression": "false", "message": "first"}, {"expression": "object.spec.nope"}]
    result = one(evaluate_validating_policy(vpol(validations=checks), AdmissionRequest(pod())))
    assert (result.status, result.message) == (Status.FAIL, "first")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"matchConstraints": "pods"}, "spec.matchConstraints: expected a mapping, got str"),
        (
            {"matchConstraints": {"resourceRules": [{**PODS_RULE, "operations": "CREATE"}]}},
            r"spec.matchConstraints.resourceRules\[0\].operations: expected a list",
        ),
        ({"validations": "true"}, "spec.validations: expected a list, got str"),
        (
            {"validations": [{"expression": 1}]},
            r"spec.validations\[0\].expression: expected a string, got int",
        ),
        ({"variables": [None]}, r"spec.variables\[0\]: expected a mapping, got null"),
        ({"validationActions": "Deny"}, "spec.validationActions: expected a list"),
        (
            {"autogen": {"podControllers": {"controllers": "deployments"}}},
            "spec.autogen.podControllers.controllers: expected a list",
        ),
    ],
)
def test_malformed_policy_is_a_policy_error_naming_the_field(
    spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(PolicyError, match=f"ValidatingPolicy 'no-host-pid': {message}"):
        evaluate_validating_policy(vpol(**spec), AdmissionRequest(pod()))


def test_malformed_binding_and_rule() -> None:
    with pytest.raises(
        PolicyError, match=r"binding 'max-containers-prd': spec\.paramRef: expected a mapping"
    ):
        evaluate_vap(vap(), binding(paramRef="zero"), AdmissionRequest(pod()), params=PARAMS)
    rule = copy.deepcopy(CEL_RULE)
    rule["validate"]["cel"]["expressions"] = "true"
    with pytest.raises(
        PolicyError,
        match=r"policy 'host-namespaces' rule 'no-host-pid': validate\.cel\.expressions: expected a list",
    ):
        evaluate_cel_rule(CLUSTER_POLICY, rule, AdmissionRequest(pod()))
    with pytest.raises(PolicyError, match="a policy must be a mapping"):
        evaluate_validating_policy("policy", AdmissionRequest(pod()))  # type: ignore[arg-type]


def test_evaluate_all_objects_of_a_tier() -> None:
    broken = vpol(validations="oops")
    broken["metadata"] = {"name": "broken"}
    unbound = vap(paramKind=None)
    unbound["metadata"] = {"name": "unbound"}
    objects: list[Any] = [
        vpol(),
        broken,
        vap(),
        binding(paramRef={"name": "zero"}),
        unbound,
        *PARAMS,
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}},
        "not an object",
    ]
    results = evaluate_all(objects, AdmissionRequest(pod(host_pid=True)))
    summary = sorted((r.engine, r.policy, r.status.value) for r in results)
    assert summary == [
        ("vap", "max-containers", "fail"),
        ("vpol", "broken", "error"),
        ("vpol", "no-host-pid", "fail"),
    ]
    broken_result = next(r for r in results if r.policy == "broken")
    assert "spec.validations: expected a list" in broken_result.message


def test_binding_match_resources_without_rules_only_narrow_by_namespace() -> None:
    ns_only = binding(
        paramRef={"name": "zero"},
        matchResources={"namespaceSelector": {"matchLabels": {"env": "prd"}}},
    )
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "default", "labels": {"env": "prd"}},
    }
    assert (
        one(
            evaluate_vap(
                vap(), ns_only, AdmissionRequest(pod(), namespace_object=ns), params=PARAMS
            )
        ).status
        is Status.FAIL
    )
    assert evaluate_vap(vap(), ns_only, AdmissionRequest(pod()), params=PARAMS) == []


def test_vap_binding_without_param_ref_and_failure_policy() -> None:
    no_ref = binding()
    result = one(evaluate_vap(vap(), no_ref, AdmissionRequest(pod()), params=PARAMS))
    assert (result.status, result.message) == (
        Status.ERROR,
        "binding 'max-containers-prd': paramKind is set but paramRef is missing",
    )
    ignore = vap(failurePolicy="Ignore")
    assert (
        one(evaluate_vap(ignore, no_ref, AdmissionRequest(pod()), params=PARAMS)).status
        is Status.SKIP
    )
    missing = binding(paramRef={"name": "missing"})
    assert (
        one(evaluate_vap(ignore, missing, AdmissionRequest(pod()), params=PARAMS)).status
        is Status.SKIP
    )


_KEYS = [
    "matchConstraints",
    "resourceRules",
    "excludeResourceRules",
    "namespaceSelector",
    "objectSelector",
    "matchLabels",
    "matchExpressions",
    "apiGroups",
    "apiVersions",
    "resources",
    "operations",
    "matchConditions",
    "variables",
    "validations",
    "auditAnnotations",
    "validationActions",
    "failurePolicy",
    "paramKind",
    "autogen",
    "podControllers",
    "controllers",
    "expression",
    "name",
    "message",
    "messageExpression",
    "valueExpression",
]
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from(["", "x", "pods", "CREATE", "true", "Deny", "*"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=6))
def test_any_policy_shape_gives_results_or_policy_error(spec: dict[str, Any]) -> None:
    """Arbitrary specs never raise anything but PolicyError (the run goes on)."""
    base = vpol()["spec"]
    policy = vpol(**{**base, **spec})
    for obj in (pod(), deployment(True)):
        try:
            results = evaluate_validating_policy(policy, AdmissionRequest(obj))
        except PolicyError:
            continue
        assert all(r.status in Status for r in results)
