"""``validate --changed-since REV``: per-policy findings limited to what a change touches."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.validate import changed_files

KYVERNO = "policies/kyverno"


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(root), *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(default_repo: Path, tmp_path: Path) -> Path:
    """A committed copy of the default repository with a known problem in one policy."""
    root = Path(shutil.copytree(default_repo, tmp_path / "repo"))
    _typo(root, "pod-security-baseline.yaml")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    return root


def _typo(root: Path, name: str) -> None:
    path = root / KYVERNO / name
    path.write_text(path.read_text().replace("  background: true", "  backgrond: true"))


def _files(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> set[str]:
    assert main(["validate", "-C", str(root), "--format", "json", *args]) == 1
    return {f["file"] for f in json.loads(capsys.readouterr().out)["findings"]}


def test_only_changed_policies_are_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _typo(repo, "restrict-image-registries.yaml")
    both = {f"{KYVERNO}/pod-security-baseline.yaml", f"{KYVERNO}/restrict-image-registries.yaml"}
    assert _files(repo, capsys) == both
    assert _files(repo, capsys, "--changed-since", "HEAD") == {
        f"{KYVERNO}/restrict-image-registries.yaml"
    }
    assert changed_files(repo, "HEAD") == {
        (repo / KYVERNO / "restrict-image-registries.yaml").resolve()
    }


def test_nothing_changed_and_config_changed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-C", str(repo), "--changed-since", "HEAD"]) == 0
    assert capsys.readouterr().out.startswith("no problems found")
    # gitopspol.yaml sets every tier's settings: a change there limits nothing.
    config = repo / "gitopspol.yaml"
    config.write_text(config.read_text() + "# reviewed\n")
    assert _files(repo, capsys, "--changed-since", "HEAD") == {
        f"{KYVERNO}/pod-security-baseline.yaml"
    }


def test_untracked_files_count_as_changed(repo: Path) -> None:
    (repo / "policies" / "new.yaml").write_text("kind: ConfigMap\n")
    assert (repo / "policies" / "new.yaml").resolve() in changed_files(repo, "HEAD")


def test_bad_revision_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-C", str(repo), "--changed-since", "no-such-rev"]) == 2
    assert "git diff failed" in capsys.readouterr().err
    assert main(["validate", "-C", str(repo), "--changed-since=--output=x"]) == 2
    assert "invalid revision" in capsys.readouterr().err


def test_a_changed_policy_that_breaks_a_case_is_reported(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prd = repo / "environments" / "prd" / "kustomization.yaml"
    prd.write_text(prd.read_text().replace('value: "Enforce"', 'value: "Audit"', 1))
    assert main(["validate", "-C", str(repo), "--changed-since", "HEAD", "--format", "json"]) == 1
    rules = {f["rule_id"] for f in json.loads(capsys.readouterr().out)["findings"]}
    # The prd patch touches every ClusterPolicy, so the old typo's GP301 counts too.
    assert rules == {"GP109", "GP301", "GP403"}
