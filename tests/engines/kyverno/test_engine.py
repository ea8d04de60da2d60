"""The classic Kyverno engine on admission requests: ``gitopspol.engines.kyverno.evaluate``."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitopspol import yamlio
from gitopspol.engines.admission import Action, AdmissionRequest, Status
from gitopspol.engines.kyverno import evaluate
from gitopspol.engines.kyverno.autogen import expand_rules

POLICY = yamlio.load("""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: demo
spec:
  validationFailureAction: Enforce
  rules:
  - name: no-latest
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "image {{ request.object.metadata.name }} uses latest"
      pattern:
        spec:
          containers:
          - image: "!*:latest"
  - name: no-host-pid
    match:
      any:
      - resources:
          kinds: [Pod]
    preconditions:
      all:
      - key: "{{ request.operation || 'BACKGROUND' }}"
        operator: NotEquals
        value: DELETE
    validate:
      failureAction: Audit
      deny:
        conditions:
          any:
          - key: "{{ request.object.spec.hostPID || `false` }}"
            operator: Equals
            value: true
""")


def pod(image: str = "nginx:1.25", host_pid: bool = False, kind: str = "Pod") -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": image}], "hostPID": host_pid}
    if kind == "Pod":
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": spec,
        }
    template = {"metadata": {"labels": {"app": "x"}}, "spec": spec}
    if kind == "CronJob":
        body: dict[str, Any] = {"jobTemplate": {"spec": {"template": template}}}
        api = "batch/v1"
    else:
        body = {"template": template}
        api = "apps/v1"
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": "w", "namespace": "default"},
        "spec": body,
    }


def results(
    obj: dict[str, Any], policies: list[dict[str, Any]] | None = None, **kw: Any
) -> dict[str, tuple[Status, tuple[Action, ...]]]:
    request = AdmissionRequest(object=obj, operation=kw.pop("operation", "CREATE"))
    out = evaluate(policies or [POLICY], request, **kw)
    return {str(r.rule): (r.status, r.actions) for r in out}


def test_pattern_and_deny_with_failure_actions() -> None:
    assert results(pod()) == {
        "no-latest": (Status.PASS, ()),
        "no-host-pid": (Status.PASS, ()),
    }
    assert results(pod("nginx:latest", host_pid=True)) == {
        "no-latest": (Status.FAIL, (Action.DENY,)),
        "no-host-pid": (Status.FAIL, (Action.AUDIT,)),
    }


def test_message_is_substituted() -> None:
    request = AdmissionRequest(object=pod("nginx:latest"))
    (fail,) = [r for r in evaluate([POLICY], request) if r.status is Status.FAIL]
    assert fail.message.startswith("image p uses latest")
    assert fail.engine == "kyverno"
    assert fail.policy == "demo"


def test_preconditions_skip() -> None:
    request = AdmissionRequest(object=None, old_object=pod(host_pid=True), operation="DELETE")
    out = {r.rule: r.status for r in evaluate([POLICY], request)}
    assert out["no-host-pid"] is Status.SKIP


def test_values_stand_in_for_the_request() -> None:
    out = results(pod(host_pid=True), values={"request.operation": "DELETE"})
    assert out["no-host-pid"][0] is Status.SKIP


@pytest.mark.parametrize(
    ("kind", "rule"),
    [("Deployment", "autogen-no-latest"), ("CronJob", "autogen-cronjob-no-latest")],
)
def test_autogen_rules_check_pod_templates(kind: str, rule: str) -> None:
    out = results(pod("nginx:latest", host_pid=True, kind=kind))
    assert out[rule] == (Status.FAIL, (Action.DENY,))
    deny_rule = rule.replace("no-latest", "no-host-pid")
    assert out[deny_rule][0] is Status.FAIL  # deny rules are auto-generated too, JMESPath rewritten
    assert results(pod(kind=kind))[rule][0] is Status.PASS


def test_autogen_controllers_annotation() -> None:
    policy = copy.deepcopy(POLICY)
    policy["metadata"]["annotations"] = {
        "pod-policies.kyverno.io/autogen-controllers": "Deployment"
    }
    names = [r["name"] for r in expand_rules(policy)]
    assert names == ["no-latest", "no-host-pid", "autogen-no-latest", "autogen-no-host-pid"]
    assert expand_rules(policy)[2]["match"]["any"][0]["resources"]["kinds"] == ["Deployment"]
    policy["metadata"]["annotations"]["pod-policies.kyverno.io/autogen-controllers"] = "none"
    assert results(pod(kind="Deployment"), [policy]) == {}


def test_no_autogen_for_named_or_mixed_kinds() -> None:
    policy = copy.deepcopy(POLICY)
    policy["spec"]["rules"][0]["match"]["any"][0]["resources"]["kinds"] = ["Pod", "Service"]
    policy["spec"]["rules"][1]["match"]["any"][0]["resources"]["names"] = ["p*"]
    assert [r["name"] for r in expand_rules(policy)] == ["no-latest", "no-host-pid"]


def test_rules_that_do_not_match_give_no_result() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "default"},
    }
    assert results(service) == {}


FOREACH = yamlio.load("""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: each}
spec:
  rules:
  - name: registries
    match:
      any:
      - resources: {kinds: [Pod]}
    validate:
      message: "bad image"
      foreach:
      - list: "request.object.spec.containers"
        preconditions:
          all:
          - key: "{{ element.name }}"
            operator: NotEquals
            value: sidecar
        deny:
          conditions:
            all:
            - key: "{{ images.containers.\\"{{ element.name }}\\".registry }}"
              operator: NotEquals
              value: ghcr.io
      - list: "request.object.spec.initContainers"
        pattern:
          image: "ghcr.io/*"
""")


@pytest.mark.parametrize(
    ("containers", "init", "status"),
    [
        ([("app", "ghcr.io/a:1")], None, Status.PASS),
        ([("app", "docker.io/a:1")], None, Status.FAIL),
        ([("sidecar", "docker.io/a:1")], None, Status.SKIP),  # every element filtered out
        ([("app", "ghcr.io/a:1")], [("init", "quay.io/b:1")], Status.FAIL),
        ([("app", "ghcr.io/a:1")], [("init", "ghcr.io/b:1")], Status.PASS),
    ],
)
def test_foreach(
    containers: list[tuple[str, str]], init: list[tuple[str, str]] | None, status: Status
) -> None:
    obj = pod()
    obj["spec"]["containers"] = [{"name": n, "image": i} for n, i in containers]
    if init:
        obj["spec"]["initContainers"] = [{"name": n, "image": i} for n, i in init]
    assert results(obj, [FOREACH])["registries"][0] is status


CONTEXT = yamlio.load("""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: ctx}
spec:
  rules:
  - name: team
    match:
      any:
      - resources: {kinds: [Pod]}
    context:
    - name: team
      variable:
        jmesPath: request.object.metadata.labels.team
        default: none
    - name: allowed
      configMap: {name: teams, namespace: default}
    validate:
      deny:
        conditions:
          any:
          - key: "{{ team }}"
            operator: AnyNotIn
            value: "{{ allowed.data.teams || '[]' }}"
""")


def test_context_variables_and_values_for_config_maps() -> None:
    obj = pod()
    obj["metadata"]["labels"] = {"team": "red"}
    values = {"allowed.data.teams": '["red", "blue"]'}
    assert results(obj, [CONTEXT], values=values)["team"][0] is Status.PASS
    obj["metadata"]["labels"] = {"team": "green"}
    assert results(obj, [CONTEXT], values=values)["team"][0] is Status.FAIL
    del obj["metadata"]["labels"]
    assert results(obj, [CONTEXT], values=values)["team"][0] is Status.FAIL  # default "none"


def test_match_exclude_namespace_selector_and_operations() -> None:
    policy = copy.deepcopy(POLICY)
    rule = policy["spec"]["rules"][0]
    rule["match"]["any"][0]["resources"]["namespaceSelector"] = {"matchLabels": {"env": "prod"}}
    rule["match"]["any"][0]["resources"]["operations"] = ["CREATE"]
    rule["exclude"] = {"any": [{"resources": {"names": ["skip-*"]}}]}
    obj = pod("nginx:latest")
    assert "no-latest" not in results(obj, [policy])
    assert results(obj, [policy], namespace_labels={"env": "prod"})["no-latest"][0] is Status.FAIL
    assert "no-latest" not in results(
        obj, [policy], namespace_labels={"env": "prod"}, operation="UPDATE"
    )
    obj["metadata"]["name"] = "skip-me"
    assert "no-latest" not in results(obj, [policy], namespace_labels={"env": "prod"})


def test_failure_action_overrides() -> None:
    policy = copy.deepcopy(POLICY)
    policy["spec"]["validationFailureActionOverrides"] = [
        {"action": "Audit", "namespaces": ["default"]}
    ]
    assert results(pod("nginx:latest"), [policy])["no-latest"][1] == (Action.AUDIT,)


@pytest.mark.parametrize(
    ("rule_patch", "field"),
    [
        (
            {
                "validate": {
                    "deny": {
                        "conditions": {"all": [{"key": "a", "operator": "Equal", "value": "a"}]}
                    }
                }
            },
            "validate.deny.conditions.all[0].operator",
        ),
        (
            {
                "validate": {
                    "deny": {
                        "conditions": {
                            "all": [{"key": "{{ request.[ }}", "operator": "Equals", "value": "a"}]
                        }
                    }
                }
            },
            "validate.deny.conditions",
        ),
        ({"validate": {"pattern": {"metadata": {"+(name)": "x"}}}}, "validate.pattern"),
        ({"validate": {"message": "nothing to check"}}, "validate"),
    ],
)
def test_bad_rules_are_errors_naming_policy_rule_and_field(
    rule_patch: dict[str, Any], field: str
) -> None:
    policy = copy.deepcopy(POLICY)
    policy["spec"]["rules"][0].pop("validate")
    policy["spec"]["rules"][0].update(rule_patch)
    out = evaluate([policy], AdmissionRequest(object=pod("nginx:latest", host_pid=True)))
    by_rule = {r.rule: r for r in out}
    broken = by_rule["no-latest"]
    assert broken.status is Status.ERROR
    assert broken.message.startswith(f"policy demo, rule no-latest, {field}")
    assert by_rule["no-host-pid"].status is Status.FAIL  # the run continues


def test_mutate_rules_are_not_evaluated() -> None:
    policy = yamlio.load("""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: mut}
spec:
  rules:
  - name: add-label
    match: {any: [{resources: {kinds: [Pod]}}]}
    preconditions:
      all: [{key: "{{ request.object.metadata.name }}", operator: Equals, value: "p"}]
    mutate:
      patchStrategicMerge: {metadata: {labels: {a: b}}}
""")
    out = evaluate([policy], AdmissionRequest(object=pod()))
    assert [(r.rule, r.status) for r in out] == [("add-label", Status.NOT_EVALUATED)]
    other = pod()
    other["metadata"]["name"] = "q"
    out = evaluate([policy], AdmissionRequest(object=other))
    assert [r.status for r in out] == [Status.SKIP]


def test_namespaced_policy_only_applies_in_its_namespace() -> None:
    policy = copy.deepcopy(POLICY)
    policy["kind"] = "Policy"
    policy["metadata"]["namespace"] = "team-a"
    assert results(pod("nginx:latest"), [policy]) == {}
    obj = pod("nginx:latest")
    obj["metadata"]["namespace"] = "team-a"
    out = evaluate([policy], AdmissionRequest(object=obj))
    assert {r.policy for r in out} == {"team-a/demo"}


def test_pod_security_rule_with_excludes() -> None:
    policy = yamlio.load("""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: pss}
spec:
  rules:
  - name: baseline
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      podSecurity:
        level: baseline
        version: latest
        exclude:
        - controlName: Capabilities
          images: ["nginx*"]
""")
    obj = pod()
    obj["spec"]["containers"][0]["securityContext"] = {"capabilities": {"add": ["NET_ADMIN"]}}
    assert results(obj, [policy])["baseline"][0] is Status.PASS
    obj["spec"]["containers"][0]["image"] = "busybox"
    assert results(obj, [policy])["baseline"][0] is Status.FAIL
    assert (
        results(pod(kind="Deployment", host_pid=True), [policy])["autogen-baseline"][0]
        is Status.FAIL
    )


def test_pod_security_pod_level_exclude_and_unknown_control() -> None:
    policy = yamlio.load("""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: pss}
spec:
  rules:
  - name: baseline
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      podSecurity:
        level: baseline
        exclude:
        - controlName: Host Namespaces
""")
    assert results(pod(host_pid=True), [policy])["baseline"][0] is Status.PASS
    privileged = pod(host_pid=True)
    privileged["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    assert results(privileged, [policy])["baseline"][0] is Status.FAIL
    policy["spec"]["rules"][0]["validate"]["podSecurity"]["exclude"] = [{"controlName": "Nope"}]
    (result,) = evaluate([policy], AdmissionRequest(object=pod()))
    assert result.status is Status.ERROR
    assert "validate.podSecurity" in result.message


def test_autogen_is_a_policy_wide_gate() -> None:
    policy = copy.deepcopy(POLICY)
    policy["spec"]["rules"][1]["match"]["any"][0]["resources"]["kinds"] = ["Deployment"]
    names = [r["name"] for r in expand_rules(policy)]
    assert names == ["no-latest", "no-host-pid", "autogen-no-latest", "autogen-cronjob-no-latest"]
    # one rule selecting by name turns auto-gen off for every rule of the policy (CanAutoGen)
    policy["spec"]["rules"][1]["match"]["any"][0]["resources"]["names"] = ["web"]
    assert [r["name"] for r in expand_rules(policy)] == ["no-latest", "no-host-pid"]


def test_pattern_rules_on_update_and_delete() -> None:
    bad = pod("nginx:latest")
    good = pod()
    update = evaluate([POLICY], AdmissionRequest(object=bad, old_object=bad, operation="UPDATE"))
    # an update that does not change a pattern rule's verdict is skipped (validateOldObject)
    assert {r.rule: r.status for r in update}["no-latest"] is Status.SKIP
    fixed = evaluate([POLICY], AdmissionRequest(object=good, old_object=bad, operation="UPDATE"))
    assert {r.rule: r.status for r in fixed}["no-latest"] is Status.PASS
    broke = evaluate([POLICY], AdmissionRequest(object=bad, old_object=good, operation="UPDATE"))
    assert {r.rule: r.status for r in broke}["no-latest"] is Status.FAIL
    # pattern rules do not validate deleted objects (no response at all)
    deleted = evaluate([POLICY], AdmissionRequest(object=None, old_object=bad, operation="DELETE"))
    assert "no-latest" not in {r.rule for r in deleted}


def test_foreach_pattern_on_scalars_checks_the_resource() -> None:
    policy = yamlio.load("""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: scalars}
spec:
  rules:
  - name: each-name
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      foreach:
      - list: "request.object.spec.containers[].name"
        pattern:
          metadata:
            name: "p"
""")
    assert results(pod(), [policy])["each-name"][0] is Status.PASS
    policy["spec"]["rules"][0]["validate"]["foreach"][0]["elementScope"] = True
    (result,) = evaluate([policy], AdmissionRequest(object=pod()))
    assert result.status is Status.ERROR
    assert "elementScope" in result.message


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from(["", "*", "{{ a.[ }}", "(x)", ">1Gi", "1-", "?*"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "(a)",
                    "=(b)",
                    "X(c)",
                    "^(d)",
                    "<(e)",
                    "+(f)",
                    "spec",
                    "key",
                    "operator",
                    "value",
                    "any",
                    "all",
                    "kinds",
                    "list",
                ]
            ),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    spot=st.sampled_from(["match", "exclude", "preconditions", "validate", "context", "name"]),
    junk=_JSON,
)
def test_malformed_rules_never_raise(spot: str, junk: Any) -> None:
    policy = copy.deepcopy(POLICY)
    policy["spec"]["rules"][0][spot] = junk
    for op in ("CREATE", "UPDATE", "DELETE"):
        request = AdmissionRequest(object=pod("nginx:latest"), old_object=pod(), operation=op)
        for result in evaluate([policy], request):
            if result.status is Status.ERROR:
                assert result.message.startswith("policy demo, rule ")


def test_namespace_labels_default_to_the_namespace_object() -> None:
    policy = copy.deepcopy(POLICY)
    policy["spec"]["rules"][0]["match"]["any"][0]["resources"]["namespaceSelector"] = {
        "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]
    }
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "default", "labels": {"env": "prod"}},
    }
    request = AdmissionRequest(object=pod("nginx:latest"), namespace_object=namespace)
    assert {r.rule: r.status for r in evaluate([policy], request)}["no-latest"] is Status.FAIL
    assert "no-latest" not in {r.rule for r in evaluate([policy], request, namespace_labels={})}


def test_context_entries_fail_only_when_used() -> None:
    policy = copy.deepcopy(CONTEXT)
    rule = policy["spec"]["rules"][0]
    rule["context"][0]["variable"] = {"jmesPath": "request.object.spec.volumes[].name"}
    rule["preconditions"] = {
        "all": [
            {
                "key": "{{ request.object.spec.volumes || `[]` | length(@) }}",
                "operator": "GreaterThan",
                "value": 0,
            }
        ]
    }
    # no volumes: the entry is null, but the preconditions skip before anything uses it
    assert results(pod(), [policy])["team"][0] is Status.SKIP
    rule.pop("preconditions")
    (result,) = evaluate([policy], AdmissionRequest(object=pod()))
    assert result.status is Status.ERROR
    assert "context entry team could not be loaded" in result.message
    assert "context[0].variable: variable team evaluated to null" in result.message


EXCEPTION = yamlio.load("""
apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {name: allow-debug, namespace: default}
spec:
  exceptions:
  - policyName: demo
    ruleNames: [no-latest, "autogen-*"]
  match:
    any:
    - resources:
        kinds: [Pod, Deployment]
        names: ["debug-*"]
  conditions:
    all:
    - key: "{{ request.object.metadata.labels.team || '' }}"
      operator: Equals
      value: ops
""")


def test_policy_exceptions_skip_the_rules_they_name() -> None:
    obj = pod("nginx:latest", host_pid=True)
    obj["metadata"].update(name="debug-1", labels={"team": "ops"})
    out = {
        r.rule: r for r in evaluate([POLICY], AdmissionRequest(object=obj), exceptions=[EXCEPTION])
    }
    assert out["no-latest"].status is Status.SKIP
    assert "allow-debug" in out["no-latest"].message
    assert out["no-host-pid"].status is Status.FAIL  # not named by the exception
    deployment = pod("nginx:latest", kind="Deployment")
    deployment["metadata"].update(name="debug-2", labels={"team": "ops"})
    out = {
        r.rule: r.status
        for r in evaluate([POLICY], AdmissionRequest(object=deployment), exceptions=[EXCEPTION])
    }
    assert out["autogen-no-latest"] is Status.SKIP
    obj["metadata"]["labels"] = {"team": "dev"}  # conditions do not hold
    out = {
        r.rule: r.status
        for r in evaluate([POLICY], AdmissionRequest(object=obj), exceptions=[EXCEPTION])
    }
    assert out["no-latest"] is Status.FAIL


def test_policy_exception_pod_security_controls() -> None:
    policy = yamlio.load("""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: pss}
spec:
  rules:
  - name: baseline
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      podSecurity: {level: baseline, version: latest}
""")
    exception = copy.deepcopy(EXCEPTION)
    exception["spec"]["exceptions"] = [{"policyName": "pss", "ruleNames": ["baseline"]}]
    exception["spec"]["podSecurity"] = [{"controlName": "Host Namespaces"}]
    del exception["spec"]["conditions"]
    obj = pod(host_pid=True)
    obj["metadata"]["name"] = "debug-3"
    request = AdmissionRequest(object=obj)
    assert [r.status for r in evaluate([policy], request)] == [Status.FAIL]
    assert [r.status for r in evaluate([policy], request, exceptions=[exception])] == [Status.PASS]


def test_policy_sets_share_outcomes_across_tiers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two tiers' copies of a policy that differ in failure actions and exclusions: each
    rule's outcome is computed once, and each tier keeps its own failure action."""
    from gitopspol.engines.kyverno import engine, evaluate_prepared, prepare

    engine._OUTCOMES.clear()
    calls: list[str] = []
    real = engine._validate

    def counting(run: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(run.rule.get("name")))
        return real(run, *args, **kwargs)

    monkeypatch.setattr(engine, "_validate", counting)
    sbx = copy.deepcopy(POLICY)
    sbx["spec"]["validationFailureAction"] = "Audit"
    sbx["spec"]["background"] = False
    sbx["spec"]["rules"][0]["exclude"] = {"any": [{"resources": {"namespaces": ["sbx-system"]}}]}
    sbx["spec"]["rules"][1]["validate"]["failureAction"] = "Enforce"
    prd = copy.deepcopy(POLICY)
    request = AdmissionRequest(object=pod("nginx:latest", host_pid=True))
    low = evaluate_prepared(prepare([sbx]), request)
    assert len(calls) == 2  # both rules evaluated once
    high = evaluate_prepared(prepare([prd]), request)
    assert len(calls) == 2  # shared: nothing evaluated again
    assert [(r.rule, r.status, r.message) for r in low] == [
        (r.rule, r.status, r.message) for r in high
    ]
    assert [r.actions for r in low] == [(Action.AUDIT,), (Action.DENY,)]
    assert [r.actions for r in high] == [(Action.DENY,), (Action.AUDIT,)]
    # A change outside the action fields is evaluated on its own.
    changed = copy.deepcopy(prd)
    changed["spec"]["rules"][0]["validate"]["message"] = "changed"
    evaluate_prepared(prepare([changed]), request)
    assert calls[2:] == ["no-latest"]
    # An exclusion that applies in one tier only removes the result there.
    excluded = evaluate_prepared(
        prepare([sbx]),
        AdmissionRequest(
            object={**pod("nginx:latest"), "metadata": {"name": "p", "namespace": "sbx-system"}}
        ),
    )
    assert [r.rule for r in excluded] == ["no-host-pid"]
    # One-shot evaluate() (which remembers no outcomes) gives the same results.
    assert high == evaluate([prd], request)


def test_one_shot_evaluations_do_not_see_later_changes_to_a_policy() -> None:
    """evaluate() prepares equal policies once; the prepared copy is the caller's no more."""
    request = AdmissionRequest(object=pod("nginx:latest"))
    first = copy.deepcopy(POLICY)
    before = evaluate([first], request)
    first["spec"]["rules"][0]["validate"]["pattern"] = {"spec": {"hostPID": True}}
    assert evaluate([copy.deepcopy(POLICY)], request) == before
    assert evaluate([first], request) != before
