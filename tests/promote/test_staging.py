"""The plain Kustomize ways of staging in sbx, each promoted policy by policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.render import build
from tests.promote.conftest import git
from tests.promote.helpers import (
    NEW_POLICY,
    commit_all,
    renders,
    snapshot,
    stage_new_policy,
    stage_patches,
)


def promote(root: Path, *args: str) -> int:
    return main(["promote", "sbx", "prd", "-C", str(root), *args])


def prd_policy(root: Path, kind: str, name: str) -> dict[str, object]:
    found = [r.data for r in build(root / "environments/prd") if (r.kind, r.name) == (kind, name)]
    assert len(found) == 1
    return found[0]


def list_in_sbx(root: Path, entry: str) -> None:
    kust = root / "environments/sbx/kustomization.yaml"
    kust.write_text(
        kust.read_text().replace("- ../../policies\n", f"- ../../policies\n- {entry}\n")
    )


def test_multi_document_file_promoted_one_document_at_a_time(repo: Path) -> None:
    second = NEW_POLICY.replace("require-image-tag", "require-image-tag-init").replace(
        "containers:", "=(initContainers):"
    )
    (repo / "environments/sbx/tags.yaml").write_text(
        "# Two staged policies in one file.\n---\n" + NEW_POLICY + "---\n" + second
    )
    list_in_sbx(repo, "tags.yaml")
    commit_all(repo, "stage two policies in one file")
    staged = renders(repo)
    assert promote(repo, "--policy", "require-image-tag-init") == 0
    assert renders(repo)["sbx"] == staged["sbx"]
    base = repo / "policies/kyverno/tags.yaml"
    assert "name: require-image-tag-init" in base.read_text()
    assert "name: require-image-tag\n" not in base.read_text()
    left = (repo / "environments/sbx/tags.yaml").read_text()
    assert left == "# Two staged policies in one file.\n---\n" + NEW_POLICY
    assert prd_policy(repo, "ClusterPolicy", "require-image-tag-init")
    assert promote(repo) == 0  # the other one, appended to the same base file
    assert renders(repo)["sbx"] == staged["sbx"]
    assert not (repo / "environments/sbx/tags.yaml").exists()
    assert "tags.yaml" not in (repo / "environments/sbx/kustomization.yaml").read_text()
    assert (repo / "policies/kustomization.yaml").read_text().count("kyverno/tags.yaml") == 1
    rule = prd_policy(repo, "ClusterPolicy", "require-image-tag")["spec"]["rules"][0]  # type: ignore[index]
    assert rule["validate"]["failureAction"] == "Enforce"


def test_strategic_merge_patch_file(repo: Path) -> None:
    (repo / "environments/sbx/registries-message.yaml").write_text(
        "# staged: a clearer message\n"
        "apiVersion: kyverno.io/v1\n"
        "kind: ClusterPolicy\n"
        "metadata:\n"
        "  name: restrict-image-registries\n"
        "spec:\n"
        "  background: false\n"
    )
    stage_patches(repo, "- path: registries-message.yaml\n")
    commit_all(repo, "stage a patch file")
    staged = renders(repo)
    assert promote(repo) == 0
    assert renders(repo)["sbx"] == staged["sbx"]
    assert not (repo / "environments/sbx/registries-message.yaml").exists()
    assert "registries-message" not in (repo / "environments/sbx/kustomization.yaml").read_text()
    base = (repo / "policies/kyverno/restrict-image-registries.yaml").read_text()
    assert base.startswith("# OWASP Kubernetes Top 10 K04: only images from the trusted")
    assert "  background: false\n" in base
    assert (
        prd_policy(repo, "ClusterPolicy", "restrict-image-registries")["spec"]["background"]
        is False
    )  # type: ignore[index]


def test_patch_changing_two_policies_is_promoted_whole(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stage_patches(
        repo,
        "- target:\n"
        "    kind: ClusterPolicy\n"
        "  patch: |-\n"
        "    - op: replace\n"
        "      path: /spec/background\n"
        "      value: false\n",
    )
    commit_all(repo, "stage background scans off for every Kyverno policy")
    before = snapshot(repo)
    assert promote(repo, "--policy", "restrict-image-registries") == 2
    err = capsys.readouterr().err
    assert "also changes ClusterPolicy/pod-security-baseline: promote it together" in err
    assert snapshot(repo) == before
    assert promote(repo) == 0
    for name in ("pod-security-baseline", "restrict-image-registries"):
        assert prd_policy(repo, "ClusterPolicy", name)["spec"]["background"] is False  # type: ignore[index]
    assert "/spec/background" not in (repo / "environments/sbx/kustomization.yaml").read_text()


def test_drift_in_prd_is_shown_not_promoted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stage_patches(
        repo,
        "- target:\n"
        "    kind: K8sAllowedRepos\n"
        "    name: allowed-repos\n"
        "  patch: |-\n"
        "    - op: replace\n"
        "      path: /spec/parameters/repos\n"
        '      value: ["ubuntu"]\n',
        tier="prd",
    )
    commit_all(repo, "edit prd directly")
    head = git(repo, "rev-parse", "HEAD")
    assert promote(repo) == 0
    out = capsys.readouterr().out
    assert "   change  K8sAllowedRepos/allowed-repos" in out
    assert "not promotable: no resources or patches entry of sbx's overlay" in out
    assert "nothing staged in sbx to promote" in out
    assert git(repo, "rev-parse", "HEAD") == head
    assert promote(repo, "--policy", "allowed-repos") == 2


def test_new_policy_with_a_staged_patch_of_it(repo: Path) -> None:
    stage_new_policy(repo)
    stage_patches(
        repo,
        "- target:\n"
        "    kind: ClusterPolicy\n"
        "    name: require-image-tag\n"
        "  patch: |-\n"
        "    - op: replace\n"
        "      path: /spec/rules/0/validate/message\n"
        "      value: Pin an image tag.\n",
    )
    commit_all(repo, "stage a new policy, then a patch of it")
    staged = renders(repo)
    assert promote(repo, "--policy", "require-image-tag") == 0
    assert renders(repo)["sbx"] == staged["sbx"]
    rule = prd_policy(repo, "ClusterPolicy", "require-image-tag")["spec"]["rules"][0]  # type: ignore[index]
    assert rule["validate"]["message"] == "Pin an image tag."
    assert rule["validate"]["failureAction"] == "Enforce"
    base = (repo / "policies/kyverno/require-image-tag.yaml").read_text()
    assert '      message: "Pin an image tag."\n' in base  # quoted like the value it replaced
    assert base.startswith("# Staged in sbx: every image names a tag.\n")


@pytest.mark.kubectl
def test_promoted_repository_renders_alike_with_kubectl(repo: Path) -> None:
    """What promotion writes is plain Kustomize: ``kubectl kustomize`` renders each tier
    exactly as gitopspol does, before and after (the repository needs no gitopspol)."""
    from tests.scaffold.helpers import kubectl_text

    stage_new_policy(repo)
    stage_patches(
        repo,
        "- patch: |-\n"
        "    $patch: delete\n"
        "    apiVersion: kyverno.io/v1\n"
        "    kind: ClusterPolicy\n"
        "    metadata:\n"
        "      name: pod-security-baseline\n",
    )
    commit_all(repo, "stage an addition and a removal")
    staged = renders(repo)
    for tier, text in staged.items():
        assert kubectl_text(repo / "environments" / tier) == text
    assert promote(repo) == 0
    promoted = renders(repo)
    assert promoted["sbx"] == staged["sbx"]
    for tier, text in promoted.items():
        assert kubectl_text(repo / "environments" / tier) == text


def test_new_policy_listed_by_the_base_folder_kustomization(repo: Path) -> None:
    """A base folder with its own kustomization lists the promoted file itself."""
    base = repo / "policies/kustomization.yaml"
    kyverno = [line for line in base.read_text().splitlines() if line.startswith("- kyverno/")]
    base.write_text(
        "\n".join(line for line in base.read_text().splitlines() if line not in kyverno)
        + "\n- kyverno\n"
    )
    (repo / "policies/kyverno/kustomization.yaml").write_text(
        "# Kyverno policies\nresources:\n"
        + "".join(line.replace("kyverno/", "") + "\n" for line in kyverno)
    )
    stage_new_policy(repo)
    commit_all(repo, "kyverno folder with its own kustomization; a new policy staged")
    staged = renders(repo)
    assert promote(repo) == 0
    assert renders(repo)["sbx"] == staged["sbx"]
    listed = (repo / "policies/kyverno/kustomization.yaml").read_text()
    assert listed.startswith("# Kyverno policies\n")
    assert listed.endswith("- require-image-tag.yaml\n")
    assert "require-image-tag" not in base.read_text()
    assert prd_policy(repo, "ClusterPolicy", "require-image-tag")
