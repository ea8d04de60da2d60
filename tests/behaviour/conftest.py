"""Fixtures of the behaviour tests: a default policy repository made once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitopspol.repo.scaffold import init_repository


@pytest.fixture(scope="session")
def pristine_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``gitopspol init --defaults`` output; never modified (copy it with ``repo``)."""
    return init_repository(tmp_path_factory.mktemp("behaviour") / "policy-repo").root


@pytest.fixture
def repo(pristine_repo: Path, tmp_path: Path) -> Path:
    """A private copy of the default repository that a test may edit."""
    return Path(shutil.copytree(pristine_repo, tmp_path / "policy-repo"))
