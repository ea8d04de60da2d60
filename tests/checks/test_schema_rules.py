"""GP3xx rules on small tiers: locations, tiers, resources, template lookup per tier."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import gitopspol.checks.schema as schema_checks
from gitopspol.checks import RULES, RuleContext, SourceDocument, get_rule, run_rules
from gitopspol.findings import Location, Severity
from gitopspol.schema import CrdRegistry
from tests.conftest import build_file_tree

POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-labels
spec:
  validationFailureActon: Enforce
  rules:
  - name: check
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      pattern: {metadata: {labels: {team: "?*"}}}
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: settings
  namespace: kyverno
"""

TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8srequiredlabels
spec:
  crd:
    spec:
      names:
        kind: K8sRequiredLabels
      validation:
        openAPIV3Schema:
          type: object
          properties:
            labels:
              type: array
              items: {type: string}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: "package k8srequiredlabels"
"""

CONSTRAINT = """\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sRequiredLabels
metadata:
  name: need-team
spec:
  enforcementAction: deny
  parameters:
    labels: team
"""


def test_schema_findings_point_at_the_source_line() -> None:
    ctx = RuleContext(tiers={"prd": SourceDocument.from_text(POLICY, "policies/require.yaml")})
    findings = run_rules(ctx)
    assert [(f.rule_id, f.severity, f.location, f.tier, f.resource) for f in findings] == [
        (
            "GP301",
            Severity.ERROR,
            Location("policies/require.yaml", 6, 27),
            "prd",
            "ClusterPolicy/require-labels",
        ),
        (
            "GP302",
            Severity.WARNING,
            Location("policies/require.yaml", 17, 7),
            "prd",
            "Widget/kyverno/settings",
        ),
    ]
    assert (
        findings[0].message == 'spec.validationFailureActon: unknown field "validationFailureActon"'
    )


def test_constraint_parameters_use_the_template_of_the_same_tier() -> None:
    constraint = SourceDocument.from_text(CONSTRAINT, "policies/gatekeeper/need-team.yaml")
    template = SourceDocument.from_text(TEMPLATE, "policies/gatekeeper/template.yaml")
    ctx = RuleContext(tiers={"sbx": constraint, "prd": template + constraint})
    findings = run_rules(ctx, [get_rule("GP303")])
    assert [(f.tier, f.location, f.message) for f in findings] == [
        (
            "prd",
            Location("policies/gatekeeper/need-team.yaml", 8, 13),
            "spec.parameters.labels: must be of type array, not string",
        )
    ]
    # GP301 leaves parameters to GP303, even when the template comes in through --crd.
    registry = CrdRegistry()
    registry.add(template[0].data)
    ctx = RuleContext(tiers={"sbx": constraint}, crds=registry)
    schema_rules = [rule for rule in RULES if rule.id.startswith("GP3")]
    assert [f.rule_id for f in run_rules(ctx, schema_rules)] == ["GP303"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered resource whose spec.parameters was set by a patch file (as the renderer reports)."""

    data: dict[str, Any]

    def field_location(self, pointer: str) -> tuple[str, int]:
        if pointer.startswith("/spec/parameters"):
            return "environments/prd/patch.yaml", 4
        return "policies/gatekeeper/need-team.yaml", 1


def test_findings_follow_the_subject_provenance() -> None:
    template = SourceDocument.from_text(TEMPLATE, "t.yaml")
    constraint = Rendered(SourceDocument.from_text(CONSTRAINT, "c.yaml")[0].data)
    findings = run_rules(RuleContext(tiers={"prd": [*template, constraint]}))
    assert [(f.rule_id, f.location) for f in findings] == [
        ("GP303", Location("environments/prd/patch.yaml", 4))
    ]


def test_rendered_resources_are_subjects(tmp_path: Path) -> None:
    from gitopspol.render.model import Origin, Resource

    build_file_tree(
        tmp_path,
        {
            "policies/constraint.yaml": CONSTRAINT.replace("labels: team", "labels: [team]"),
            "environments/prd/patch.yaml": "spec:\n  parameters:\n    labels: team\n",
        },
    )
    data = SourceDocument.from_text(CONSTRAINT, "c.yaml")[0].data
    rendered = Resource(
        data,
        Origin(str(tmp_path / "policies/constraint.yaml")),
        {
            "/spec/parameters": Origin(
                str(tmp_path / "environments/prd/patch.yaml"), 0, ("spec", "parameters")
            )
        },
    )
    template = SourceDocument.from_text(TEMPLATE, "t.yaml")
    findings = run_rules(RuleContext(tiers={"prd": [*template, rendered]}))
    assert [(f.rule_id, f.location) for f in findings] == [
        ("GP303", Location(str(tmp_path / "environments/prd/patch.yaml"), 3))
    ]


def test_each_document_is_validated_once_and_reported_where_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    validate = schema_checks.validate_manifest

    def counted(data: dict[str, Any], **kwargs: Any) -> Any:
        calls.append(data["metadata"]["name"])
        return validate(data, **kwargs)

    monkeypatch.setattr(schema_checks, "validate_manifest", counted)
    # The same content in two files of two tiers, and one document object in two tiers.
    sbx = SourceDocument.from_text(POLICY, "environments/sbx/require.yaml")
    prd = SourceDocument.from_text(POLICY, "environments/prd/require.yaml")
    ctx = RuleContext(tiers={"sbx": sbx, "prd": prd, "dr": prd})
    schema_rules = [rule for rule in RULES if rule.id.startswith("GP3")]
    findings = run_rules(ctx, schema_rules)
    assert [(f.rule_id, f.tier, f.location.file if f.location else None) for f in findings] == [
        ("GP301", "sbx", "environments/sbx/require.yaml"),
        ("GP301", "prd", "environments/prd/require.yaml"),
        ("GP301", "dr", "environments/prd/require.yaml"),
        ("GP302", "sbx", "environments/sbx/require.yaml"),
        ("GP302", "prd", "environments/prd/require.yaml"),
        ("GP302", "dr", "environments/prd/require.yaml"),
    ]
    # GP301 and GP302 share one validation per document object (4 objects).
    assert sorted(calls) == ["require-labels", "require-labels", "settings", "settings"]
