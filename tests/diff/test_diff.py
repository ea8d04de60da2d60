"""``gitopspol diff``: semantic per-policy changes between tiers, golden reports, truncation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gitopspol.checks import SourceDocument
from gitopspol.cli.main import main
from gitopspol.diff import (
    Category,
    Change,
    Direction,
    TierDiff,
    compare,
    diff_tiers,
    json_diff,
    markdown_diff,
    text_diff,
)
from tests.conftest import build_file_tree

GOLDEN = Path(__file__).parent / "golden"

CONFIG = """\
apiVersion: gitopspol.io/v1alpha1
kind: PolicyRepository
name: diff-demo
engines: [kyverno, gatekeeper, psa]
namespaces: [apps]
tiers:
- {name: sbx, profile: sbx}
- {name: prd, profile: prd}
"""

POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: restrict-images
spec:
  rules:
  - name: registries
    match:
      any:
      - resources:
          kinds: [Pod]
          namespaces: [apps, web]
    validate:
      failureAction: Enforce
      message: Use a trusted registry.
      pattern:
        spec:
          containers:
          - image: "ubuntu* | open-policy-agent*"
  - name: no-latest
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      failureAction: Enforce
      pattern:
        spec:
          containers:
          - image: "!*:latest"
"""

TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sallowedrepos
spec:
  crd:
    spec:
      names:
        kind: K8sAllowedRepos
      validation:
        openAPIV3Schema:
          type: object
          properties:
            repos: {type: array, items: {type: string}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package k8sallowedrepos
      violation[{"msg": "denied"}] { false }
"""

CONSTRAINT = """\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sAllowedRepos
metadata:
  name: allowed-repos
spec:
  enforcementAction: deny
  match:
    kinds:
    - apiGroups: [""]
      kinds: [Pod]
    excludedNamespaces: [kube-system]
  parameters:
    repos: [ubuntu, open-policy-agent]
"""

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: apps
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/enforce-version: v1.35
    pod-security.kubernetes.io/audit: restricted
    pod-security.kubernetes.io/warn: restricted
"""

EXCEPTION = """\
apiVersion: kyverno.io/v2
kind: PolicyException
metadata:
  name: legacy-images
  namespace: apps
spec:
  exceptions:
  - policyName: restrict-images
    ruleNames: [registries]
  match:
    any:
    - resources:
        kinds: [Pod]
        names: [legacy-*]
"""

SBX = """\
resources: [../../policies]
patches:
- target: {kind: ClusterPolicy}
  patch: |-
    - op: replace
      path: /spec/rules/0/validate/failureAction
      value: Audit
- target: {kind: K8sAllowedRepos}
  patch: |-
    - op: replace
      path: /spec/enforcementAction
      value: warn
"""

# prd: a registry added, a namespace excluded, web dropped from the match, the no-latest
# rule deleted, PSA enforce lowered and its version pinned older, a PolicyException.
PRD = """\
resources: [../../policies, exception.yaml]
patches:
- target: {kind: K8sAllowedRepos}
  patch: |-
    - op: add
      path: /spec/parameters/repos/-
      value: docker.io
    - op: add
      path: /spec/match/excludedNamespaces/-
      value: tools
- target: {kind: ClusterPolicy}
  patch: |-
    - op: replace
      path: /spec/rules/0/match/any/0/resources/namespaces
      value: [apps]
    - op: remove
      path: /spec/rules/1
    - op: replace
      path: /spec/rules/0/validate/message
      value: Only trusted registries.
- target: {kind: Namespace}
  patch: |-
    - op: replace
      path: /metadata/labels/pod-security.kubernetes.io~1enforce
      value: privileged
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small two-tier repository whose prd differs from sbx in every way diff reports."""
    return build_file_tree(
        tmp_path / "repo",
        {
            "gitopspol.yaml": CONFIG,
            "policies/kustomization.yaml": (
                "resources: [policy.yaml, template.yaml, constraint.yaml, namespace.yaml]\n"
            ),
            "policies/policy.yaml": POLICY,
            "policies/template.yaml": TEMPLATE,
            "policies/constraint.yaml": CONSTRAINT,
            "policies/namespace.yaml": NAMESPACE,
            "environments/sbx/kustomization.yaml": SBX,
            "environments/prd/kustomization.yaml": PRD,
            "environments/prd/exception.yaml": EXCEPTION,
        },
    )


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("GITOPSPOL_REGEN_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} is stale: run `make golden`"


@pytest.mark.parametrize(
    ("fmt", "name"), [("text", "diff.txt"), ("json", "diff.json"), ("markdown", "diff.md")]
)
def test_diff_golden(repo: Path, fmt: str, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "sbx", "prd", "-C", str(repo), "--format", fmt]) == 0
    _golden(name, capsys.readouterr().out)


def test_diff_reports_each_kind_of_change(repo: Path) -> None:
    diff = diff_tiers(repo, "sbx", "prd")
    found = {(c.policy, c.rule, c.aspect, c.direction.value) for c in diff.changes}
    assert found == {
        ("ClusterPolicy/restrict-images", "registries", "failureAction", "strengthened"),
        ("ClusterPolicy/restrict-images", "registries", "match", "weakened"),
        ("ClusterPolicy/restrict-images", "registries", "content", "changed"),
        ("ClusterPolicy/restrict-images", "no-latest", "rule", "removed"),
        ("K8sAllowedRepos/allowed-repos", "", "enforcementAction", "strengthened"),
        ("K8sAllowedRepos/allowed-repos", "", "match.excludedNamespaces", "weakened"),
        ("K8sAllowedRepos/allowed-repos", "", "parameters.repos", "weakened"),
        ("Namespace/apps", "", "enforce", "weakened"),
        ("PolicyException/apps/legacy-images", "", "policy", "weakened"),
    }
    assert diff.counts() == {
        "weakened": 5,
        "removed": 1,
        "added": 0,
        "changed": 1,
        "strengthened": 2,
    }
    # The reverse direction turns each weakening into a strengthening.
    back = diff_tiers(repo, "prd", "sbx")
    assert back.counts()["strengthened"] == 5
    assert back.counts()["weakened"] == 2


def test_changes_point_at_the_patch_operation(repo: Path) -> None:
    diff = diff_tiers(repo, "sbx", "prd")
    lines = (repo / "environments/prd/kustomization.yaml").read_text().splitlines()
    by_aspect = {c.aspect: c for c in diff.changes}
    for aspect, value in (
        ("parameters.repos", "value: docker.io"),
        ("match.excludedNamespaces", "value: tools"),
        ("enforce", "value: privileged"),
        ("match", "value: [apps]"),
        ("content", "value: Only trusted registries."),
    ):
        where = by_aspect[aspect].location()
        assert where is not None
        assert where[0].endswith("environments/prd/kustomization.yaml"), aspect
        assert lines[where[1] - 1].strip() == value, aspect


def test_kyverno_failure_action_sources() -> None:
    def policy(spec: str) -> list[SourceDocument]:
        text = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n" + spec
        return SourceDocument.from_text(text, "p.yaml")

    rule = "  rules:\n  - name: r\n    validate: {pattern: {a: b}%s}\n"
    deprecated = policy("  validationFailureAction: Enforce\n" + rule % "")
    default = policy(rule % "")
    override = policy(
        rule
        % ", failureAction: Enforce, failureActionOverrides: [{action: Audit, namespaces: [dev]}]"
    )
    enforce = policy(rule % ", failureAction: Enforce")
    assert [c.direction for c in compare(deprecated, default)] == [Direction.WEAKENED]
    assert [c.direction for c in compare(default, deprecated)] == [Direction.STRENGTHENED]
    # Overriding one namespace down to Audit weakens that namespace.
    changes = compare(enforce, override)
    assert [(c.direction, c.after) for c in changes] == [
        (Direction.WEAKENED, "Enforce; namespace dev: Audit")
    ]


def test_psa_versions_and_validation_actions() -> None:
    def namespace(labels: str) -> list[SourceDocument]:
        text = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels: {{{labels}}}\n"
        return SourceDocument.from_text(text, "ns.yaml")

    pinned = namespace("pod-security.kubernetes.io/enforce: baseline, "
                       "pod-security.kubernetes.io/enforce-version: v1.30")  # fmt: skip
    latest = namespace("pod-security.kubernetes.io/enforce: baseline")
    # warn follows an unlabelled enforce, version included (the admission plugin's rule).
    assert [(c.aspect, c.direction) for c in compare(latest, pinned)] == [
        ("enforce-version", Direction.WEAKENED),
        ("warn-version", Direction.WEAKENED),
    ]
    # A stricter level with an older version is stricter: the level decides.
    restricted = namespace("pod-security.kubernetes.io/enforce: restricted, "
                           "pod-security.kubernetes.io/enforce-version: v1.20")  # fmt: skip
    assert [(c.aspect, c.direction) for c in compare(latest, restricted)] == [
        ("enforce", Direction.STRENGTHENED),
        ("warn", Direction.STRENGTHENED),
    ]

    def binding(actions: str) -> list[SourceDocument]:
        text = (
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n"
            f"metadata: {{name: b}}\nspec: {{policyName: p, validationActions: {actions}}}\n"
        )
        return SourceDocument.from_text(text, "b.yaml")

    assert [c.direction for c in compare(binding("[Deny]"), binding("[Warn, Audit]"))] == [
        Direction.WEAKENED
    ]
    assert compare(binding("[Deny]"), binding("[Deny]")) == []


def test_markdown_truncates_cleanly() -> None:
    changes = tuple(
        Change(
            f"K8sAllowedRepos/policy-{i:04d}",
            "",
            "parameters.repos",
            Category.ALLOW_LIST,
            Direction.WEAKENED,
            "[a | b]",
            "[a | b, c]" + "x" * 100,
        )
        for i in range(2000)
    )
    diff = TierDiff("sbx", "prd", changes)
    full = markdown_diff(diff, limit=10**9)
    assert len(full) > 60_000
    assert full.count("\n| `K8sAllowedRepos/policy-") == 2000
    assert "\\|" in full  # pipes in values are escaped
    cut = markdown_diff(diff)
    assert len(cut) <= 60_000
    shown = cut.count("\n| `K8sAllowedRepos/policy-")
    assert 0 < shown < 2000
    assert cut.endswith(
        f"… {2000 - shown} more changes not shown (this comment stops before 60,000 "
        "characters); run `gitopspol diff sbx prd` for the full list.\n"
    )
    # Every row shown is complete: the table ends with a full row before the note.
    table_end = cut.rstrip("\n").split("\n\n…")[0]
    assert table_end.endswith(" |")
    small = markdown_diff(diff, limit=2_000)
    assert len(small) <= 2_000
    assert "more changes not shown" in small
    assert json.loads(json_diff(diff))["summary"]["weakened"] == 2000
    assert text_diff(TierDiff("sbx", "prd", ())) == "sbx -> prd: no policy differences\n"
    assert markdown_diff(TierDiff("a", "b", ())).endswith("No policy differences.\n")


def test_unknown_tier_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "sbx", "stg", "-C", str(repo)]) == 2
    assert "unknown tier 'stg'" in capsys.readouterr().err


def test_match_narrowing_and_widening() -> None:
    def constraint(match: str) -> list[SourceDocument]:
        text = (
            "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\n"
            f"metadata: {{name: c}}\nspec:\n  match: {match}\n"
        )
        return SourceDocument.from_text(text, "c.yaml")

    both = constraint("{kinds: [{kinds: [Pod]}], namespaces: [a, b]}")
    one = constraint("{kinds: [{kinds: [Pod]}], namespaces: [a]}")
    everywhere = constraint("{kinds: [{kinds: [Pod]}]}")
    selected = constraint("{kinds: [{kinds: [Pod]}], labelSelector: {matchLabels: {x: y}}}")
    directions = {
        (name, c.direction)
        for name, (lower, higher) in {
            "value removed": (both, one),
            "value added": (one, both),
            "filter dropped": (one, everywhere),
            "filter added": (everywhere, selected),
        }.items()
        for c in compare(lower, higher)
    }
    assert directions == {
        ("value removed", Direction.WEAKENED),
        ("value added", Direction.STRENGTHENED),
        ("filter dropped", Direction.STRENGTHENED),
        ("filter added", Direction.WEAKENED),
    }
