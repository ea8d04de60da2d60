"""``kyverno-test.yaml`` suites: loading, naming, values, leniencies, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.engines.kyverno.suite import run_suite
from tests.conftest import build_file_tree

POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-team
spec:
  validationFailureAction: Audit
  rules:
  - name: check-team
    match:
      any:
      - resources:
          kinds: [Pod]
    preconditions:
      all:
      - key: "{{ request.operation || 'BACKGROUND' }}"
        operator: AnyIn
        value: [CREATE, UPDATE]
    validate:
      message: "label team is required"
      pattern:
        metadata:
          labels:
            team: "?*"
"""

RESOURCES = """\
apiVersion: v1
kind: Pod
metadata: {name: good, labels: {team: red}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: prod}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: baddeploy}
spec:
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc}
"""

TEST = """\
apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: t}
policies: [../policy.yaml]
resources: [resources.yaml]
variables: values.yaml
results:
- policy: require-team
  rule: check-team
  resources: [good]
  kind: Pod
  result: pass
- policy: require-team
  rule: check-team
  resources: [prod/bad, baddeploy]
  kind: Pod
  result: fail
- policy: require-team
  rule: check-team
  resources: [deleted]
  kind: Pod
  result: skip
- policy: require-team
  rule: check-team
  resources: [svc]
  kind: Service
  result: pass
"""

VALUES = """\
apiVersion: cli.kyverno.io/v1alpha1
kind: Values
policies:
- name: require-team
  resources:
  - name: deleted
    values:
      request.operation: DELETE
"""

DELETED = """\
---
apiVersion: v1
kind: Pod
metadata: {name: deleted}
spec: {containers: [{name: c, image: nginx}]}
"""


def _suite(tmp_path: Path, **overrides: str) -> Path:
    files = {
        "policy.yaml": POLICY,
        ".kyverno-test/kyverno-test.yaml": TEST,
        ".kyverno-test/resources.yaml": RESOURCES + DELETED,
        ".kyverno-test/values.yaml": VALUES,
        **overrides,
    }
    build_file_tree(tmp_path, files)
    return tmp_path / ".kyverno-test" / "kyverno-test.yaml"


def test_results_per_resource_with_autogen_values_and_namespaces(tmp_path: Path) -> None:
    results = run_suite(_suite(tmp_path))
    got = {(r.resource, r.expected, r.actual) for r in results}
    assert got == {
        ("good", "pass", "pass"),
        ("prod/bad", "fail", "fail"),
        ("baddeploy", "fail", "fail"),  # autogen-check-team
        ("deleted", "skip", "skip"),  # request.operation from the values file
        # No rule applies to a Service: the Kyverno CLI counts the line as passed
        # (kyverno/kyverno#9804); gitopspol says skip, so the line fails.
        ("svc", "pass", "skip"),
    }
    assert [r.ok for r in results] == [True, True, True, True, False]
    assert all(r.rule == "check-team" for r in results)


def test_wrong_namespace_or_missing_names_are_errors(tmp_path: Path) -> None:
    test = TEST.replace("[prod/bad, baddeploy]", "[default/bad, nothere]")
    results = run_suite(_suite(tmp_path, **{".kyverno-test/kyverno-test.yaml": test}))
    by_name = {r.resource: r for r in results}
    assert by_name["default/bad"].actual == "error"
    assert "not in the test's resources" in by_name["nothere"].detail


def test_unknown_policy_is_an_error(tmp_path: Path) -> None:
    test = TEST.replace(
        "policy: require-team\n  rule: check-team\n  resources: [good]",
        "policy: other\n  rule: x\n  resources: [good]",
    )
    results = run_suite(_suite(tmp_path, **{".kyverno-test/kyverno-test.yaml": test}))
    assert results[0].actual == "error"
    assert "policy other" in results[0].detail


def test_broken_policy_file_reports_every_line_and_continues(tmp_path: Path) -> None:
    path = _suite(tmp_path, **{"policy.yaml": "a: [b\n"})
    results = run_suite(path)
    assert len(results) == 5
    assert {r.actual for r in results} == {"error"}
    assert "policy.yaml:" in results[0].detail


def test_deprecated_schema_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _suite(tmp_path, **{".kyverno-test/kyverno-test.yaml": "name: old\npolicies: []\n"})
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}:1: deprecated test schema")


def test_verify_json_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _suite(tmp_path)
    assert main(["verify", "--format", "json", str(tmp_path)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"] == {"total": 5, "ok": 4, "failed": 1}
    assert doc["results"][0]["policy"] == "require-team"
    assert main(["verify", str(tmp_path)]) == 1
    text = capsys.readouterr().out
    assert "FAIL require-team/check-team svc: expected pass, got skip" in text
    assert text.endswith("4 passed, 1 failed\n")


def test_mutate_lines_are_not_evaluated(tmp_path: Path) -> None:
    policy = POLICY.replace(
        """      message: "label team is required"
      pattern:
        metadata:
          labels:
            team: "?*"
""",
        "",
    ).replace(
        "    validate:\n",
        "    mutate:\n      patchStrategicMerge: {metadata: {labels: {team: red}}}\n",
    )
    results = run_suite(_suite(tmp_path, **{"policy.yaml": policy}))
    by_name = {r.resource: r.actual for r in results}
    assert by_name["good"] == "not evaluated"
    assert by_name["deleted"] == "skip"  # preconditions do not hold: the rule is skipped


EXCEPTION = """\
apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {name: prod-bad, namespace: prod}
spec:
  exceptions:
  - policyName: require-team
    ruleNames: [check-team]
  match:
    any:
    - resources: {kinds: [Pod], namespaces: [prod]}
"""


def test_exceptions_listed_in_the_test(tmp_path: Path) -> None:
    test = TEST.replace(
        "variables: values.yaml", "variables: values.yaml\nexceptions: [exception.yaml]"
    )
    test = test.replace(
        "resources: [prod/bad, baddeploy]\n  kind: Pod\n  result: fail",
        "resources: [prod/bad]\n  kind: Pod\n  result: skip",
    )
    path = _suite(
        tmp_path,
        **{".kyverno-test/kyverno-test.yaml": test, ".kyverno-test/exception.yaml": EXCEPTION},
    )
    by_name = {r.resource: r for r in run_suite(path)}
    assert by_name["prod/bad"].actual == "skip"
    assert by_name["prod/bad"].ok
    assert by_name["good"].actual == "pass"


def test_per_result_operation(tmp_path: Path) -> None:
    test = TEST.replace(
        "resources: [good]\n  kind: Pod\n  result: pass",
        "resources: [good]\n  kind: Pod\n  result: pass\n- policy: require-team\n  rule: check-team\n  resources: [good]\n  operation: DELETE\n  result: skip",
    )
    results = run_suite(_suite(tmp_path, **{".kyverno-test/kyverno-test.yaml": test}))
    good = [(r.expected, r.actual) for r in results if r.resource == "good"]
    assert good == [("pass", "pass"), ("skip", "skip")]


def test_a_name_shared_by_several_objects(tmp_path: Path) -> None:
    # "bad" also names a Service: the policy says nothing about it, so only the Pod counts.
    resources = (
        RESOURCES + "---\napiVersion: v1\nkind: Service\nmetadata: {name: bad, namespace: prod}\n"
    )
    path = _suite(tmp_path, **{".kyverno-test/resources.yaml": resources + DELETED})
    by_name = {r.resource: r for r in run_suite(path)}
    assert by_name["prod/bad"].actual == "fail"
    assert by_name["prod/bad"].ok


VAP = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: max-replicas}
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= 3"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: max-replicas-binding}
spec:
  policyName: max-replicas
  validationActions: [Deny]
"""

VAP_RESOURCES = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: small}
spec: {replicas: 2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: big}
spec: {replicas: 5}
"""

VAP_TEST = """\
apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: vap}
policies: [policy.yaml]
resources: [resources.yaml]
results:
- policy: max-replicas
  resources: [small]
  kind: Deployment
  result: pass
- policy: max-replicas
  resources: [big]
  kind: Deployment
  result: fail
"""


def test_validating_admission_policy_with_binding(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {"kyverno-test.yaml": VAP_TEST, "policy.yaml": VAP, "resources.yaml": VAP_RESOURCES},
    )
    results = run_suite(tmp_path / "kyverno-test.yaml")
    assert [(r.resource, r.actual) for r in results] == [("small", "pass"), ("big", "fail")]
    assert all(r.rule is None for r in results)
