"""Fixtures: Git repositories made with the default scaffold, one fresh copy per test."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

#: Fixed identity and dates: commits are reproducible and never use the machine's config.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run git in ``repo`` and return its stdout (fails the test on error)."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **GIT_ENV, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def scaffold_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default scaffold, rendered once per session (no .git)."""
    from gitopspol.repo.scaffold import init_repository

    dest = tmp_path_factory.mktemp("scaffold") / "repo"
    init_repository(dest)
    shutil.rmtree(dest / ".git", ignore_errors=True)
    return dest


@pytest.fixture
def repo(scaffold_repo: Path, tmp_path: Path) -> Path:
    """A Git repository with the default scaffold committed on ``main``, identity set
    locally in the repository."""
    root = tmp_path / "policy-repo"
    shutil.copytree(scaffold_repo, root)
    return commit_repository(root)


def commit_repository(root: Path) -> Path:
    """Make ``root`` a Git repository on ``main`` with a local identity (promote's own
    commits use it) and commit everything in it."""
    shutil.rmtree(root / ".git", ignore_errors=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "policy repository from the default scaffold")
    return root
