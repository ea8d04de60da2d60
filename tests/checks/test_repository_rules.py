"""Helpers the repository rules share: template lookup, locations, waivers."""

from __future__ import annotations

from pathlib import Path

from gitopspol.checks import RuleContext, SourceDocument, field_at, pointer_to_path
from gitopspol.checks.repository import waived
from gitopspol.diff.locate import refine


def _template(kind: str) -> str:
    return (
        "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\n"
        f"metadata: {{name: {kind.lower()}}}\nspec: {{crd: {{spec: {{names: {{kind: {kind}}}}}}}}}\n"
    )


def test_template_for_finds_each_kind_of_the_tier() -> None:
    docs = SourceDocument.from_text(_template("K8sA") + "---\n" + _template("K8sB"), "t.yaml")
    ctx = RuleContext(tiers={"prd": docs})
    for kind in ("K8sA", "K8sB"):
        template = ctx.template_for("prd", kind)
        assert template is not None
        assert template["spec"]["crd"]["spec"]["names"]["kind"] == kind
    assert ctx.template_for("prd", "K8sC") is None


def test_field_at_and_pointers() -> None:
    assert field_at({"a": {"b": 1}}, "a", "b") == 1
    assert field_at({"a": [1]}, "a", "b") is None
    assert field_at("text", "a") is None
    assert pointer_to_path("/spec/rules/0/x~1y/²") == ("spec", "rules", 0, "x/y", "²")


def test_refine_points_at_the_operation_value(tmp_path: Path) -> None:
    kustomization = tmp_path / "kustomization.yaml"
    kustomization.write_text(
        "patches:\n- target: {kind: K}\n  patch: |-\n"
        "    - op: add\n      path: /spec/a\n      value: 1\n"
        "    - op: add\n      path: /spec/list/-\n      value: x\n"
        "- target: {kind: L}\n  patch: |-\n    - {op: add, path: /spec/b, value: 2}\n"
        '    - {"op": "add", "path": "/spec/c", "value": 3}\n'
    )
    file = str(kustomization)
    assert refine(file, 4, "/spec/a") == (file, 6)
    assert refine(file, 4, "/spec/list/3") == (file, 9)
    assert refine(file, 4, "/spec/other") == (file, 4)  # not in the block: unchanged
    assert refine(file, 12, "/spec/a") == (file, 12)  # the next patch's block does not match
    assert refine(file, 12, "/spec/c") == (file, 13)  # one operation per line


def test_waivers_hold_through_their_expiry_day() -> None:
    waiver = {"policy": "p", "tier": "prd", "reason": "r", "expires": "2026-03-01"}
    for today, expected in (("2026-03-01", True), ("2026-03-02", False)):
        ctx = RuleContext(tiers={}, settings={"waivers": [waiver], "today": today})
        assert waived(ctx, "ClusterPolicy/p", "prd") is expected
        assert waived(ctx, "p", "sbx") is False
    rule_waiver = {**waiver, "rule": "r1", "expires": "2999-01-01"}
    ctx = RuleContext(tiers={}, settings={"waivers": [rule_waiver]})
    assert waived(ctx, "p", "prd", "r1")
    assert not waived(ctx, "p", "prd", "r2")
