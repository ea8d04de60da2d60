"""GP3xx on tiers rendered by gitopspol.render: findings point at the base file or the patch."""

from __future__ import annotations

from pathlib import Path

from gitopspol.checks import RuleContext, run_rules
from gitopspol.findings import Location
from gitopspol.render import build
from tests.checks.test_schema_rules import CONSTRAINT, POLICY, TEMPLATE
from tests.conftest import build_file_tree

PATCH = """\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sRequiredLabels
metadata:
  name: need-team
spec:
  parameters:
    labels: owner
"""


def test_findings_point_at_base_and_patch(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "policies/kustomization.yaml": "resources: [policy.yaml, template.yaml, constraint.yaml]\n",
            "policies/policy.yaml": POLICY.split("---")[0],
            "policies/template.yaml": TEMPLATE,
            "policies/constraint.yaml": CONSTRAINT.replace("labels: team", "labels: [team]"),
            "environments/sbx/kustomization.yaml": "resources: [../../policies]\n",
            "environments/prd/kustomization.yaml": "resources: [../../policies]\npatches:\n- path: patch.yaml\n",
            "environments/prd/patch.yaml": PATCH,
        },
    )
    tiers = {tier: build(tmp_path / "environments" / tier) for tier in ("sbx", "prd")}
    findings = run_rules(RuleContext(tiers=tiers))
    located = sorted(
        (
            f.rule_id,
            f.tier or "",
            Path(f.location.file).relative_to(tmp_path).as_posix(),
            f.location.line,
        )
        for f in findings
        if f.location
    )
    assert located == [
        ("GP301", "prd", "policies/policy.yaml", 6),
        ("GP301", "sbx", "policies/policy.yaml", 6),
        ("GP303", "prd", "environments/prd/patch.yaml", 7),
    ]
    assert all(isinstance(f.location, Location) for f in findings)
