"""gator Suite files, written inline: assertions, invalid tests, errors, reviews, inventory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.engines.gatekeeper.suite import run_suite
from tests.conftest import build_file_tree

TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sdenyimage
spec:
  crd:
    spec:
      names:
        kind: K8sDenyImage
      validation:
        openAPIV3Schema:
          type: object
          properties:
            images:
              type: array
              items:
                type: string
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sdenyimage

        violation[{"msg": msg}] {
          c := input.review.object.spec.containers[_]
          c.image == input.parameters.images[_]
          msg := sprintf("Container %v uses image %v", [c.name, c.image])
        }

        violation[{"msg": msg}] {
          input.review.operation == "UPDATE"
          msg := sprintf("update by %v", [input.review.userInfo.username])
        }

        violation[{"msg": msg}] {
          other := data.inventory.namespace[ns]["v1"]["Pod"][name]
          other.spec.containers[_].image == input.review.object.spec.containers[_].image
          name != input.review.object.metadata.name
          msg := sprintf("image shared with %v/%v", [ns, name])
        }
"""
CONSTRAINT = """\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sDenyImage
metadata:
  name: no-latest
spec:
  match:
    kinds: [{apiGroups: [""], kinds: [Pod]}]
  parameters:
    images: [nginx, busybox]
"""


def _pod(name: str, *images: str) -> str:
    containers = "".join(f"  - name: c{i}\n    image: {image}\n" for i, image in enumerate(images))
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  containers:\n{containers}"


def _suite(cases: str, extra: str = "") -> str:
    return f"""\
kind: Suite
apiVersion: test.gatekeeper.sh/v1alpha1
tests:
- name: deny-image
  template: template.yaml
  constraint: constraint.yaml
  cases:
{cases}{extra}"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path,
        {
            "template.yaml": TEMPLATE,
            "constraint.yaml": CONSTRAINT,
            "allowed.yaml": _pod("ok", "registry.example/app:1"),
            "two.yaml": _pod("bad", "nginx", "busybox"),
            "update.yaml": json.dumps(
                {
                    "apiVersion": "admission.k8s.io/v1",
                    "kind": "AdmissionReview",
                    "request": {
                        "operation": "UPDATE",
                        "userInfo": {"username": "alice"},
                        "object": {
                            "apiVersion": "v1",
                            "kind": "Pod",
                            "metadata": {"name": "ok"},
                            "spec": {"containers": []},
                        },
                    },
                }
            ),
            "inventory.yaml": _pod("db", "registry.example/app:1"),
            "notes.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n",
        },
    )


def _results(path: Path) -> list[tuple[str, str, str, bool]]:
    return [(r.resource, r.expected, r.actual, r.ok) for r in run_suite(path)]


def test_assertions_yes_no_counts_and_messages(tree: Path) -> None:
    cases = """\
  - name: allowed
    object: allowed.yaml
    assertions:
    - violations: no
  - name: two
    object: two.yaml
    assertions:
    - violations: yes
    - violations: 2
    - {violations: 1, message: "image nginx$"}
    - {violations: 0, message: "NGINX"}
    - {violations: yes, message: "c[01]"}
    - message: busybox
  - name: wrong
    object: two.yaml
    assertions:
    - violations: 3
"""
    (tree / "suite.yaml").write_text(_suite(cases))
    assert _results(tree / "suite.yaml") == [
        ("deny-image/allowed", "violations: no", "violations: 0", True),
        ("deny-image/two", "violations: yes", "violations: 2", True),
        ("deny-image/two", "violations: 2", "violations: 2", True),
        ("deny-image/two", "violations: 1, message: image nginx$", "violations: 1", True),
        ("deny-image/two", "violations: 0, message: NGINX", "violations: 0", True),
        ("deny-image/two", "violations: yes, message: c[01]", "violations: 2", True),
        ("deny-image/two", "violations: yes, message: busybox", "violations: 1", True),
        ("deny-image/wrong", "violations: 3", "violations: 2", False),
    ]
    [failed] = [r for r in run_suite(tree / "suite.yaml") if not r.ok]
    assert "Container c0 uses image nginx" in failed.detail
    assert (failed.policy, failed.rule) == ("K8sDenyImage/no-latest", "k8sdenyimage")


def test_admission_review_and_inventory(tree: Path) -> None:
    cases = """\
  - name: update
    object: update.yaml
    assertions:
    - {violations: 1, message: "^update by alice$"}
  - name: plain-object-has-empty-operation
    object: allowed.yaml
    assertions:
    - violations: no
  - name: inventory
    object: allowed.yaml
    inventory: [inventory.yaml]
    assertions:
    - {violations: 1, message: "shared with default/db"}
"""
    (tree / "suite.yaml").write_text(_suite(cases))
    assert all(ok for *_, ok in _results(tree / "suite.yaml"))


def test_invalid_constraint(tree: Path) -> None:
    (tree / "bad.yaml").write_text(CONSTRAINT.replace("[nginx, busybox]", "nginx"))
    suite = """\
kind: Suite
apiVersion: test.gatekeeper.sh/v1alpha1
tests:
- name: bad-params
  template: template.yaml
  constraint: bad.yaml
  invalid: true
- name: good-params
  template: template.yaml
  constraint: constraint.yaml
  invalid: true
"""
    (tree / "suite.yaml").write_text(suite)
    results = run_suite(tree / "suite.yaml")
    assert [(r.resource, r.expected, r.actual, r.ok) for r in results] == [
        ("bad-params", "invalid", "invalid", True),
        ("good-params", "invalid", "valid", False),
    ]
    assert "spec.parameters.images: 'nginx' is not of type 'array'" in results[0].detail


def test_template_compile_error_is_located_in_the_template_file(tree: Path) -> None:
    (tree / "template.yaml").write_text(TEMPLATE.replace("c.image == input", "c.image == == input"))
    (tree / "suite.yaml").write_text(
        _suite("  - name: a\n    object: allowed.yaml\n    assertions: [{violations: no}]\n")
    )
    [result] = run_suite(tree / "suite.yaml")
    assert (result.actual, result.ok) == ("error", False)
    line = TEMPLATE.splitlines().index("          c.image == input.parameters.images[_]") + 1
    assert result.detail.startswith(f"{tree / 'template.yaml'}:{line}: ")


def test_case_errors(tree: Path) -> None:
    cases = """\
  - name: missing
    object: nowhere.yaml
    assertions: [{violations: no}]
  - name: two-objects
    object: both.yaml
    assertions: [{violations: no}]
  - name: no-assertions
    object: allowed.yaml
  - name: bad-violations
    object: allowed.yaml
    assertions: [{violations: maybe}]
  - name: skipped
    object: nowhere.yaml
    skip: true
"""
    (tree / "both.yaml").write_text(_pod("a", "x") + "---\n" + _pod("b", "y"))
    (tree / "suite.yaml").write_text(_suite(cases))
    results = run_suite(tree / "suite.yaml")
    assert [(r.resource, r.actual, r.ok) for r in results] == [
        ("deny-image/missing", "error", False),
        ("deny-image/two-objects", "error", False),
        ("deny-image/no-assertions", "error", False),
        ("deny-image/bad-violations", "error", False),
        ("deny-image/skipped", "skip", True),
    ]
    assert results[0].detail == f"{tree / 'nowhere.yaml'}: no such file"
    assert "exactly one object, found 2" in results[1].detail
    assert "violations must be yes, no or a number" in results[3].detail


def test_kind_mismatch_and_scoped_outside_gator(tree: Path) -> None:
    (tree / "other.yaml").write_text(CONSTRAINT.replace("kind: K8sDenyImage", "kind: K8sOther"))
    (tree / "scoped.yaml").write_text(
        CONSTRAINT
        + "  enforcementAction: scoped\n  scopedEnforcementActions:\n"
        + "  - action: deny\n    enforcementPoints: [{name: validation.gatekeeper.sh}]\n"
    )
    suite = """\
kind: Suite
apiVersion: test.gatekeeper.sh/v1alpha1
tests:
- name: mismatch
  template: template.yaml
  constraint: other.yaml
  cases: [{name: a, object: two.yaml, assertions: [{violations: yes}]}]
- name: scoped
  template: template.yaml
  constraint: scoped.yaml
  cases: [{name: a, object: two.yaml, assertions: [{violations: no}]}]
"""
    (tree / "suite.yaml").write_text(suite)
    mismatch, scoped = run_suite(tree / "suite.yaml")
    assert (mismatch.actual, mismatch.ok) == ("error", False)
    assert "is not the template's kind 'K8sDenyImage'" in mismatch.detail
    assert (scoped.actual, scoped.ok) == ("violations: 0", True)


def test_verify_cli_finds_only_suites(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "suite.yaml").write_text(
        _suite("  - name: a\n    object: two.yaml\n    assertions: [{violations: no}]\n")
    )
    assert main(["verify", "--format", "json", str(tree)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"] == {"total": 1, "ok": 0, "failed": 1}
    [result] = doc["results"]
    assert result["expected"] == "violations: no"
    assert result["actual"] == "violations: 2"
    assert main(["verify", str(tree)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "0 passed, 1 failed"


@pytest.mark.parametrize("value", ['"2"', "true", "-1", "maybe"])
def test_violations_must_be_yes_no_or_a_count(tree: Path, value: str) -> None:
    # gator reads an IntOrString: a quoted number is a string, and only yes/no are valid strings.
    (tree / "suite.yaml").write_text(
        _suite(f"  - name: a\n    object: two.yaml\n    assertions: [{{violations: {value}}}]\n")
    )
    [result] = run_suite(tree / "suite.yaml")
    assert (result.actual, result.ok) == ("error", False)
    assert "violations must be yes, no or a number >= 0" in result.detail


def test_unquoted_yes_is_the_string_yes(tree: Path) -> None:
    (tree / "suite.yaml").write_text(
        _suite("  - name: a\n    object: two.yaml\n    assertions: [{violations: yes}, {}]\n")
    )
    assert [(r.expected, r.ok) for r in run_suite(tree / "suite.yaml")] == [
        ("violations: yes", True),
        ("violations: yes", True),  # the default
    ]


def test_expansion_is_reported_as_unsupported(tree: Path) -> None:
    (tree / "suite.yaml").write_text(
        _suite(
            "  - name: a\n    object: two.yaml\n    assertions: [{violations: yes}]\n",
            "  expansion: expansion.yaml\n",
        )
    )
    [result] = run_suite(tree / "suite.yaml")
    assert (result.actual, result.ok) == ("error", False)
    assert "expansion (ExpansionTemplate) is not supported" in result.detail


def test_delete_review_uses_old_object_and_empty_files_are_errors(tree: Path) -> None:
    old = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "gone"},
        "spec": {"containers": [{"name": "a", "image": "nginx"}]},
    }
    review = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {"operation": "DELETE", "oldObject": old},
    }
    (tree / "delete.yaml").write_text(json.dumps(review))
    (tree / "nothing.yaml").write_text(json.dumps({**review, "request": {"operation": "DELETE"}}))
    (tree / "empty.yaml").write_text("# no objects\n")
    cases = """\
  - name: delete
    object: delete.yaml
    assertions: [{violations: 1, message: "uses image nginx"}]
  - name: no-object
    object: nothing.yaml
    assertions: [{violations: no}]
  - name: empty-inventory
    object: allowed.yaml
    inventory: [empty.yaml]
    assertions: [{violations: no}]
"""
    (tree / "suite.yaml").write_text(_suite(cases))
    delete, nothing, empty = run_suite(tree / "suite.yaml")
    assert (delete.actual, delete.ok) == ("violations: 1", True)
    assert (nothing.actual, nothing.ok) == ("error", False)
    assert 'no "object" or "oldObject"' in nothing.detail
    assert (empty.actual, empty.ok) == ("error", False)
    assert empty.detail == f"{tree / 'empty.yaml'}: defines no YAML objects"


def test_malformed_cases_are_results(tree: Path) -> None:
    (tree / "suite.yaml").write_text(
        _suite("  - just-a-string\n  - name: a\n    object: two.yaml\n")
    )
    results = run_suite(tree / "suite.yaml")
    assert [(r.resource, r.actual, r.ok) for r in results] == [
        ("deny-image/cases[0]", "error", False),
        ("deny-image/a", "error", False),
    ]
