"""The BehaviourCase format: resources or an AdmissionReview, per-policy expectations, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopspol.behaviour.cases import CASE_SCHEMA, Verdict, load_case_file, load_cases
from gitopspol.behaviour.run import run_cases
from gitopspol.behaviour.tier import prepare_tier
from gitopspol.errors import ConfigError
from tests.conftest import build_file_tree

HEADER = "apiVersion: gitopspol.io/v1alpha1\nkind: BehaviourCase\n"

# Kyverno: only the "ops" group may delete protected ConfigMaps; everyone is audited when
# changing data.mode.
POLICIES = [
    {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "protect-config"},
        "spec": {
            "rules": [
                {
                    "name": "no-delete",
                    "match": {
                        "any": [{"resources": {"kinds": ["ConfigMap"], "operations": ["DELETE"]}}]
                    },
                    "exclude": {"any": [{"subjects": [{"kind": "Group", "name": "ops"}]}]},
                    "validate": {
                        "failureAction": "Enforce",
                        "message": "protected",
                        "deny": {},
                    },
                },
                {
                    "name": "mode-change",
                    "match": {
                        "any": [{"resources": {"kinds": ["ConfigMap"], "operations": ["UPDATE"]}}]
                    },
                    "validate": {
                        "failureAction": "Audit",
                        "message": "mode changed",
                        "deny": {
                            "conditions": {
                                "any": [
                                    {
                                        "key": "{{ request.object.data.mode }}",
                                        "operator": "NotEquals",
                                        "value": "{{ request.oldObject.data.mode }}",
                                    }
                                ]
                            }
                        },
                    },
                },
            ]
        },
    }
]

CASES = (
    HEADER
    + """metadata: {name: delete-by-dev}
namespace: app
review:
  apiVersion: admission.k8s.io/v1
  kind: AdmissionReview
  request:
    operation: DELETE
    userInfo: {username: dev, groups: [dev]}
    oldObject: {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {mode: a}}
expect: {prd: deny}
---
"""
    + HEADER
    + """metadata: {name: delete-by-ops}
namespace: app
review:
  operation: DELETE
  userInfo: {username: root, groups: [ops]}
  oldObject: {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {mode: a}}
expect: {prd: allow}
---
"""
    + HEADER
    + """metadata: {name: mode-change}
namespace: app
review:
  request:
    operation: UPDATE
    object: {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {mode: b}}
    oldObject: {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {mode: a}}
expect:
  prd:
    verdict: audit
    policies: {"kyverno:protect-config": audit}
---
"""
    + HEADER
    + """metadata: {name: create}
namespace: app
resources:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {mode: a}}
expect:
  prd:
    verdict: warn
    policies: {protect-config: deny}
"""
)


def test_reviews_user_info_and_per_policy_expectations(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"tests/cases.yaml": CASES})
    cases = load_cases(tmp_path, ("prd",))
    assert [c.name for c in cases] == ["delete-by-dev", "delete-by-ops", "mode-change", "create"]
    delete = cases[0].requests[0]
    assert delete.operation == "DELETE"
    assert delete.object is None
    assert delete.namespace == "app"  # the case namespace fills in
    assert delete.user_info["groups"] == ["dev"]
    assert cases[2].line == 24
    assert cases[2].expect["prd"].verdict is Verdict.AUDIT

    matrix = run_cases(cases, {"prd": prepare_tier(POLICIES, "prd")})
    verdicts = {c.name: matrix.cell(c.name, "prd").verdict.value for c in cases}
    assert verdicts == {
        "delete-by-dev": "deny",
        "delete-by-ops": "allow",
        "mode-change": "audit",
        "create": "allow",
    }
    failures = matrix.failures
    assert [cell.case.name for cell in failures] == ["create"]
    assert [m.describe() for m in failures[0].mismatches] == [
        "expected warn, got allow",
        "protect-config: expected deny, got not evaluated",
    ]


def test_warn_expectation_is_met_by_audit_but_audit_is_not_met_by_warn(tmp_path: Path) -> None:
    from gitopspol.behaviour.run import verdict_meets

    assert verdict_meets(Verdict.WARN, Verdict.AUDIT)
    assert not verdict_meets(Verdict.AUDIT, Verdict.WARN)
    assert not verdict_meets(Verdict.DENY, Verdict.WARN)


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        ("metadata: {name: a}\nexpect: {prd: deny}\n", "'resources' is a required property", 1),
        (
            "metadata: {name: a}\nresources: [{kind: Pod}]\nexpect: {prd: deny}\n",
            "resources[0]: 'apiVersion' is a required property",
            4,
        ),
        (
            "metadata: {name: a}\nresources: [{apiVersion: v1, kind: Pod, metadata: {}}]\n"
            "expect:\n  prd: {verdict: forbid}\n",
            "expect.prd",
            6,
        ),
        (
            "metadata: {name: a}\nresources: [{apiVersion: v1, kind: Pod, metadata: {}}]\n"
            "expect: {qa: deny}\n",
            "unknown tier 'qa'",
            5,
        ),
        (
            "metadata: {name: a}\nreview: {request: {operation: PATCH, object: {}}}\n"
            "expect: {prd: deny}\n",
            "review",
            4,
        ),
    ],
)
def test_errors_name_field_and_line(tmp_path: Path, body: str, message: str, line: int) -> None:
    path = build_file_tree(tmp_path, {"c.yaml": HEADER + body}) / "c.yaml"
    with pytest.raises(ConfigError) as info:
        load_case_file(path, ("sbx", "prd"))
    assert message in info.value.message
    assert info.value.line == line


def test_duplicate_names_and_schema_is_draft_2020(tmp_path: Path) -> None:
    case = HEADER + "metadata: {name: a}\nresources: [{apiVersion: v1, kind: Pod, metadata: {}}]\n"
    build_file_tree(tmp_path, {"tests/a.yaml": case + "expect: {prd: deny}\n"})
    build_file_tree(tmp_path, {"tests/b.yml": case + "expect: {prd: allow}\n"})
    with pytest.raises(ConfigError, match="duplicate case name 'a'"):
        load_cases(tmp_path)
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(CASE_SCHEMA)


def test_case_schema_file_golden() -> None:
    """``gitopspol/behaviour/case.schema.json`` (for editors) is CASE_SCHEMA; ``make golden``."""
    import json
    import os

    import gitopspol.behaviour

    path = Path(gitopspol.behaviour.__file__).parent / "case.schema.json"
    text = json.dumps(CASE_SCHEMA, indent=2) + "\n"
    if os.environ.get("GITOPSPOL_REGEN_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `make golden`"
