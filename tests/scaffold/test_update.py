"""``gitopspol update``: two scaffold versions, a repository with local edits, copier update."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.errors import ConfigError, GitError
from gitopspol.repo.scaffold import (
    SOURCE_MARKER,
    ScaffoldVersion,
    init_repository,
    shipped_versions,
    update_repository,
)
from gitopspol.yamlio import load_file


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _two_versions(tmp_path: Path) -> list[ScaffoldVersion]:
    """The shipped scaffold as 1.0.0 and a changed copy as 2.0.0."""
    v1 = shipped_versions()[-1]
    v2 = tmp_path / "scaffold-2"
    shutil.copytree(v1.path, v2)
    readme = v2 / "template" / "clusters" / "README.md"
    readme.write_text(readme.read_text() + "\nAdded in scaffold 2.0.0.\n")
    (v2 / "template" / "SECURITY.md").write_text(
        "Report policy bypasses to security@example.com.\n"
    )
    kustomization = v2 / "template" / "policies" / "kustomization.yaml.jinja"
    text = kustomization.read_text()
    assert "# The released policy baseline, tier-neutral." in text
    kustomization.write_text(text.replace("tier-neutral.", "tier-neutral (scaffold 2)."))
    return [ScaffoldVersion("1.0.0", v1.path), ScaffoldVersion("2.0.0", v2)]


def _committed_repo(tmp_path: Path, versions: list[ScaffoldVersion]) -> Path:
    repo = init_repository(tmp_path / "repo", versions=versions).root
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "init")
    return repo


def test_update_to_a_new_version_keeps_local_edits(tmp_path: Path) -> None:
    versions = _two_versions(tmp_path)
    repo = _committed_repo(tmp_path, versions[:1])
    assert load_file(repo / ".copier-answers.yml")["_commit"] == "1.0.0"
    # Local edits: a note in the README, a new policy file listed in the kustomization, a
    # registry added to gitopspol.yaml (the answers come from there).
    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\nOwned by the platform team.\n")
    kustomization = repo / "policies" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "- extra/local-policy.yaml\n")
    config = repo / "gitopspol.yaml"
    config.write_text(
        config.read_text().replace(
            'trustedRegistries: ["open-policy-agent", "ubuntu"]',
            'trustedRegistries: ["open-policy-agent", "ubuntu", "registry.acme.example/"]',
        )
    )
    _git(repo, "commit", "-q", "-am", "local edits")

    result = update_repository(repo, versions=versions)
    assert (result.old_version, result.new_version, result.conflicts) == ("1.0.0", "2.0.0", ())
    answers = load_file(repo / ".copier-answers.yml")
    assert answers["_commit"] == "2.0.0"
    assert answers["_src_path"] == SOURCE_MARKER
    assert answers["registries"] == ["open-policy-agent", "ubuntu", "registry.acme.example/"]
    # New template content arrived ...
    assert "Added in scaffold 2.0.0." in (repo / "clusters" / "README.md").read_text()
    assert (repo / "SECURITY.md").is_file()
    new_kustomization = kustomization.read_text()
    assert "tier-neutral (scaffold 2)." in new_kustomization
    # ... and local edits survived.
    assert "Owned by the platform team." in readme.read_text()
    assert new_kustomization.endswith("- extra/local-policy.yaml\n")
    # The registry added in gitopspol.yaml reached every engine's policy.
    constraint = load_file(repo / "policies" / "gatekeeper" / "constraints" / "allowed-repos.yaml")
    assert constraint["spec"]["parameters"]["repos"][-1] == "registry.acme.example/"
    assert (
        "registry.acme.example/*"
        in (repo / "policies" / "kyverno" / "restrict-image-registries.yaml").read_text()
    )
    assert "<<<<<<<" not in new_kustomization


def test_tier_override_in_gitopspol_yaml_reaches_the_overlay(tmp_path: Path) -> None:
    versions = shipped_versions()
    repo = _committed_repo(tmp_path, list(versions))
    config = repo / "gitopspol.yaml"
    config.write_text(
        config.read_text().replace(
            '- name: "sbx"\n  profile: "sbx"\n  rank: 10\n',
            '- name: "sbx"\n  profile: "sbx"\n  rank: 10\n  gatekeeper:\n    enforcementAction: dryrun\n',
        )
    )
    _git(repo, "commit", "-q", "-am", "sbx: gatekeeper dryrun")
    result = update_repository(repo)
    assert result.old_version == result.new_version == versions[-1].version
    overlay = (repo / "environments" / "sbx" / "kustomization.yaml").read_text()
    assert 'value: "dryrun"' in overlay
    assert 'value: "deny"' in (repo / "environments" / "prd" / "kustomization.yaml").read_text()


def test_update_cli_refuses_dirty_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _committed_repo(tmp_path, list(shipped_versions()))
    (repo / "README.md").write_text("changed\n")
    assert main(["update", "-C", str(repo)]) == 2
    assert "uncommitted changes" in capsys.readouterr().err
    assert (repo / "README.md").read_text() == "changed\n"


def test_update_cli_reports_the_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _committed_repo(tmp_path, list(shipped_versions()))
    version = shipped_versions()[-1].version
    assert main(["update", "-C", str(repo)]) == 0
    assert capsys.readouterr().out.startswith(f"scaffold {version} -> {version}\n")


def test_update_needs_git_and_a_known_version(tmp_path: Path) -> None:
    repo = init_repository(tmp_path / "repo").root
    shutil.rmtree(repo / ".git")
    with pytest.raises(GitError, match="not a git repository"):
        update_repository(repo)
    _git(repo, "init", "-q")
    answers = repo / ".copier-answers.yml"
    current = f'_commit: "{shipped_versions()[-1].version}"'
    answers.write_text(answers.read_text().replace(current, "_commit: 9.9.9"))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "init")
    with pytest.raises(ConfigError, match=r"scaffold version 9\.9\.9 is not shipped"):
        update_repository(repo)


def test_conflicting_local_edit_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = _two_versions(tmp_path)
    repo = _committed_repo(tmp_path, versions[:1])
    kustomization = repo / "policies" / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("tier-neutral.", "tier-neutral (edited locally).")
    )
    _git(repo, "commit", "-q", "-am", "local edit on the line scaffold 2 changes")
    result = update_repository(repo, versions=versions)
    assert result.conflicts == ("policies/kustomization.yaml",)
    text = kustomization.read_text()
    assert "<<<<<<< " in text
    assert "(edited locally)" in text
    assert "(scaffold 2)" in text


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "tiers:\n- sbx\n- prd\n",
            "tiers:\n- sbx\n- ../../evil\n",
            "tiers[1]: '../../evil' is not a DNS-1123 label",
        ),
        ("    sbx:\n        gatekeeper:", "    ../x:\n        gatekeeper:", "tier_settings"),
    ],
)
def test_update_checks_the_recorded_answers(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    repo = init_repository(tmp_path / "repo").root
    answers = repo / ".copier-answers.yml"
    text = answers.read_text()
    assert old in text
    answers.write_text(text.replace(old, new))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "init")
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        update_repository(repo)
    assert info.value.file == str(answers)


def test_update_a_repository_in_a_monorepo_folder(tmp_path: Path) -> None:
    versions = _two_versions(tmp_path)
    mono = tmp_path / "mono"
    mono.mkdir()
    _git(mono, "init", "-q")
    (mono / "elsewhere.txt").write_text("other team's file\n")
    repo = init_repository(mono / "platform" / "policies", versions=versions[:1]).root
    shutil.rmtree(repo / ".git")  # part of the monorepo, not a repository of its own
    _git(mono, "add", "-A")
    _git(mono, "commit", "-q", "-m", "init")
    (mono / "elsewhere.txt").write_text("uncommitted work elsewhere\n")
    result = update_repository(repo, versions=versions)
    assert (result.new_version, result.conflicts) == ("2.0.0", ())
    assert (repo / "SECURITY.md").is_file()
    assert not (mono / "SECURITY.md").exists()
