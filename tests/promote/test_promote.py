"""``gitopspol promote`` end to end in Git repositories made with the default scaffold."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.diff import compare
from gitopspol.promote.plan import is_tier_setting
from gitopspol.render import build
from tests.promote.conftest import git
from tests.promote.helpers import (
    CHANGE_REPOS,
    NEW_POLICY,
    commit_all,
    renders,
    stage_new_policy,
    stage_patches,
)


def promote(root: Path, *args: str) -> int:
    return main(["promote", "sbx", "prd", "-C", str(root), *args])


def test_stage_and_promote_one_by_one(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage_new_policy(repo)
    stage_patches(repo, CHANGE_REPOS)
    commit_all(repo, "stage a new policy and a narrower allow-list in sbx")
    staged = renders(repo)
    assert "require-image-tag" in staged["sbx"]
    assert "require-image-tag" not in staged["prd"]

    # The plan lists both; promote only the changed parameter.
    assert promote(repo, "--policy", "allowed-repos", "--branch", "promote-repos") == 0
    out = capsys.readouterr().out
    assert " * change  K8sAllowedRepos/allowed-repos" in out
    assert "   add     ClusterPolicy/require-image-tag" in out
    assert "committed" in out
    # The new policy still staged makes prd behave more leniently than sbx (GP401), before
    # and after: the gate lets that through and says so.
    assert "error(s) it had before remain ('gitopspol validate' lists them)" in out
    assert "on branch promote-repos" in out
    first = renders(repo)
    assert first["sbx"] == staged["sbx"]  # sbx renders the same bytes
    prd = {d["metadata"]["name"]: d for d in (r.data for r in build(repo / "environments/prd"))}
    assert prd["allowed-repos"]["spec"]["parameters"]["repos"] == [
        "open-policy-agent",
        "ubuntu",
        "gcr.io/distroless",
    ]
    assert prd["allowed-repos"]["spec"]["enforcementAction"] == "deny"  # prd's own setting
    assert "require-image-tag" not in first["prd"]
    base = (repo / "policies/gatekeeper/constraints/allowed-repos.yaml").read_text()
    assert base.startswith("# OWASP Kubernetes Top 10 K04: Pods in the workload namespaces")
    assert (
        '    repos: ["open-policy-agent", "ubuntu", "gcr.io/distroless"]\n' in base
    )  # flow style and quoting kept
    assert '    namespaces: ["sbx", "prd"]\n' in base  # untouched lines byte for byte
    sbx_kust = (repo / "environments/sbx/kustomization.yaml").read_text()
    assert "# Kyverno: rules[].validate.failureAction (Audit < Enforce)" in sbx_kust
    assert "name: allowed-repos" not in sbx_kust
    assert "- require-image-tag.yaml" in sbx_kust
    message = git(repo, "log", "-1", "--format=%B")
    assert message.startswith("Promote 1 policy from sbx to prd\n")
    trailers = git(repo, "log", "-1", "--format=%(trailers:only,unfold)")
    source = git(repo, "rev-parse", "HEAD~1").strip()
    assert trailers.strip().splitlines() == [
        "Promoted-From: sbx",
        "Promoted-To: prd",
        f"Source-Commit: {source}",
        "Policy: K8sAllowedRepos/allowed-repos",
    ]
    assert git(repo, "status", "--porcelain") == ""

    # Then the new policy, by Kind/name, with a custom subject and the default branch name.
    assert (
        promote(repo, "--policy", "ClusterPolicy/require-image-tag", "--message", "Tag rule") == 0
    )
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").startswith("promote/sbx-to-prd/")
    assert git(repo, "log", "-1", "--format=%s").strip() == "Tag rule"
    assert "error(s) it had before are fixed" in capsys.readouterr().out
    second = renders(repo)
    assert second["sbx"] == staged["sbx"]
    prd = {d["metadata"]["name"]: d for d in (r.data for r in build(repo / "environments/prd"))}
    rule = prd["require-image-tag"]["spec"]["rules"][0]
    assert rule["validate"]["failureAction"] == "Enforce"  # prd's enforcement
    moved = repo / "policies/kyverno/require-image-tag.yaml"
    assert moved.read_text() == NEW_POLICY.replace(
        'failureAction: "Audit"', 'failureAction: "Enforce"'
    )  # comments kept; the strictest tier's value, as in the rest of the base
    assert not (repo / "environments/sbx/require-image-tag.yaml").exists()
    assert "- kyverno/require-image-tag.yaml" in (repo / "policies/kustomization.yaml").read_text()

    # sbx and prd now differ only in tier settings.
    changes = compare(build(repo / "environments/sbx"), build(repo / "environments/prd"))
    assert changes
    assert all(is_tier_setting(c) for c in changes)
    assert promote(repo, "--dry-run") == 0
    assert "nothing staged in sbx to promote" in capsys.readouterr().out

    # git revert of each promotion restores the render before it, byte for byte.
    git(repo, "revert", "--no-edit", "HEAD")
    assert renders(repo) == first
    git(repo, "revert", "--no-edit", "HEAD~2")
    assert renders(repo) == staged


def test_removal_staged_as_delete_patch(repo: Path) -> None:
    stage_patches(
        repo,
        "- patch: |-\n"
        "    $patch: delete\n"
        "    apiVersion: kyverno.io/v1\n"
        "    kind: ClusterPolicy\n"
        "    metadata:\n"
        "      name: pod-security-baseline\n",
    )
    commit_all(repo, "stage the removal of the Kyverno baseline")
    before = renders(repo)
    assert promote(repo) == 0
    after = renders(repo)
    assert after["sbx"] == before["sbx"]
    assert "kind: ClusterPolicy\nmetadata:\n  annotations:" in before["prd"]
    assert not (repo / "policies/kyverno/pod-security-baseline.yaml").exists()
    assert "kyverno/pod-security-baseline" not in (repo / "policies/kustomization.yaml").read_text()
    assert "$patch: delete" not in (repo / "environments/sbx/kustomization.yaml").read_text()
    names = [r.name for r in build(repo / "environments/prd") if r.kind == "ClusterPolicy"]
    assert names == ["restrict-image-registries"]
    git(repo, "revert", "--no-edit", "HEAD")
    assert renders(repo) == before


def test_no_commit_and_dry_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage_patches(repo, CHANGE_REPOS)
    commit_all(repo, "stage")
    head = git(repo, "rev-parse", "HEAD")
    assert promote(repo, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would write (--dry-run)\n        environments/sbx/kustomization.yaml\n" in out
    assert git(repo, "status", "--porcelain") == ""
    assert promote(repo, "--no-commit") == 0
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "branch", "--list", "--format=%(refname:short)").split() == ["main"]
    assert git(repo, "status", "--porcelain").split() == [
        "M",
        "environments/sbx/kustomization.yaml",
        "M",
        "policies/gatekeeper/constraints/allowed-repos.yaml",
    ]
