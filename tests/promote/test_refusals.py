"""Every refusal leaves the repository exactly as it was (tree, status, branches, HEAD)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from gitopspol.cli.main import main
from gitopspol.promote import gitrepo
from tests.promote.conftest import commit_repository, git
from tests.promote.helpers import (
    CHANGE_REPOS,
    WIDEN_REGISTRIES,
    commit_all,
    snapshot,
    stage_new_policy,
    stage_patches,
)


@pytest.fixture
def staged(repo: Path) -> Path:
    """The repository with a new policy and a changed parameter staged and committed."""
    stage_new_policy(repo)
    stage_patches(repo, CHANGE_REPOS)
    commit_all(repo, "stage")
    return repo


def promote(root: Path, *args: str, tiers: tuple[str, str] = ("sbx", "prd")) -> int:
    return main(["promote", *tiers, "-C", str(root), *args])


def test_dirty_tree(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kust = staged / "environments/prd/kustomization.yaml"
    kust.write_text(kust.read_text() + "# local edit\n")
    before = snapshot(staged)
    assert promote(staged) == 2
    err = capsys.readouterr().err
    assert "uncommitted changes (environments/prd/kustomization.yaml)" in err
    assert snapshot(staged) == before


def test_untracked_file(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (staged / "environments/sbx/notes.yaml").write_text("a: 1\n")
    before = snapshot(staged)
    assert promote(staged) == 2
    assert "environments/sbx/notes.yaml" in capsys.readouterr().err
    assert snapshot(staged) == before


def test_detached_head(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(staged, "checkout", "-q", "--detach")
    before = snapshot(staged)
    assert promote(staged) == 2
    assert "HEAD is detached" in capsys.readouterr().err
    assert snapshot(staged) == before


def test_gate_fails_when_prd_would_admit_what_it_denies(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stage_patches(repo, WIDEN_REGISTRIES)
    commit_all(repo, "stage wider registry allow-lists")
    before = snapshot(repo)
    assert promote(repo) == 1
    out = capsys.readouterr().out
    assert "FAIL  validate" in out
    assert (
        "GP403 tests/untrusted-registry.yaml:3: case untrusted-registry in tier prd: "
        "expected deny, got allow" in out
    )
    assert "a gate failed: nothing was written" in out
    assert snapshot(repo) == before
    assert promote(repo, "--dry-run") == 1  # a dry run runs the gates too


def test_soak_time(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    two_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    stage_patches(repo, CHANGE_REPOS)
    commit_all(repo, "stage two days ago", date=two_days_ago.isoformat(timespec="seconds"))
    stage_new_policy(repo)
    commit_all(repo, "stage just now")
    before = snapshot(repo)
    assert promote(repo, "--min-soak", "3d") == 1
    out = capsys.readouterr().out
    assert "FAIL  soak" in out
    assert "environments/sbx/kustomization.yaml:" in out
    assert " (patch) has been in sbx for 2d" in out
    fresh = next(line for line in out.splitlines() if "(document 1) has been" in line)
    assert fresh.endswith("s, less than 3d")  # seconds old
    assert snapshot(repo) == before
    assert promote(repo, "--min-soak", "1d", "--policy", "require-image-tag") == 1
    assert snapshot(repo) == before
    # The patch's own lines were committed two days ago, although the kustomization
    # holding them changed since: it has soaked a day.
    assert promote(repo, "--min-soak", "1d", "--policy", "allowed-repos") == 0
    assert "ok    soak" in capsys.readouterr().out
    assert promote(repo, "--min-soak", "3 days") == 2


def test_unknown_policy(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(staged)
    assert promote(staged, "--policy", "no-such-policy") == 2
    err = capsys.readouterr().err
    assert "no staged change of a policy 'no-such-policy' in sbx" in err
    assert "ClusterPolicy/require-image-tag" in err
    assert snapshot(staged) == before


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        (("sbx", "stg"), "unknown tier 'stg' (tiers: sbx, prd)"),
        (("dev", "prd"), "unknown tier 'dev'"),
        (("prd", "sbx"), "promotion goes up in rank"),
    ],
)
def test_unknown_tier(
    staged: Path, capsys: pytest.CaptureFixture[str], tiers: tuple[str, str], message: str
) -> None:
    before = snapshot(staged)
    assert promote(staged, tiers=tiers) == 2
    assert message in capsys.readouterr().err
    assert snapshot(staged) == before


def test_existing_branch(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(staged, "branch", "taken")
    before = snapshot(staged)
    assert promote(staged, "--branch", "taken") == 2
    assert "branch 'taken' exists already" in capsys.readouterr().err
    assert promote(staged, "--branch", "bad..name") == 2
    assert snapshot(staged) == before


def test_write_fails_half_way(
    staged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = gitrepo.atomic_write
    calls: list[Path] = []

    def flaky(path: Any, data: Any, **kwargs: Any) -> None:
        calls.append(Path(path))
        if len(calls) == 2:
            raise PermissionError(13, "Permission denied", str(path))
        real(path, data, **kwargs)

    monkeypatch.setattr(gitrepo, "atomic_write", flaky)
    before = snapshot(staged)
    assert promote(staged) == 2
    assert "Permission denied; every file was restored" in capsys.readouterr().err
    assert len(calls) >= 3  # the first file was written, then restored
    assert snapshot(staged) == before


def test_commit_fails(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Another git process holds the index: the files were written, the branch made, then
    the commit fails; everything is put back."""
    before = snapshot(staged)
    lock = staged / ".git/index.lock"
    lock.write_text("")
    assert promote(staged) == 2
    err = capsys.readouterr().err
    assert "cannot commit the promotion" in err
    assert "nothing was promoted" in err
    lock.unlink()
    assert snapshot(staged) == before


def test_repository_hooks_are_not_run(staged: Path) -> None:
    """gitopspol runs no code from the repository, Git hooks included."""
    marker = staged.parent / "hook-ran"
    for name in ("pre-commit", "commit-msg", "post-commit", "post-checkout"):
        hook = staged / "hooks" / name
        hook.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
        hook.chmod(0o755)
    commit_all(staged, "versioned hooks")
    git(staged, "config", "core.hooksPath", "hooks")
    assert promote(staged) == 0
    assert not marker.exists()
    assert git(staged, "log", "-1", "--format=%s").startswith("Promote 2 policies")


def test_promotion_into_a_middle_tier_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With three tiers, the shared base is the strictest tier's: promoting sbx -> stg
    would change prd too, so it is refused; sbx -> prd releases to every tier."""
    from gitopspol.repo.scaffold import init_repository

    root = tmp_path / "three-tiers"
    init_repository(root, {"tiers": ["sbx", "stg", "prd"]})
    commit_repository(root)
    stage_patches(root, CHANGE_REPOS)
    commit_all(root, "stage")
    before = snapshot(root)
    assert promote(root, tiers=("sbx", "stg")) == 1
    out = capsys.readouterr().out
    assert "FAIL  higher tiers unchanged" in out
    assert "prd would change too" in out
    assert snapshot(root) == before
    assert promote(root, tiers=("sbx", "prd")) == 0
