"""Fixtures of the validate and diff tests: one default repository per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopspol.repo.scaffold import init_repository


@pytest.fixture(scope="session")
def default_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository from ``gitopspol init --defaults``, shared: tests must not modify it."""
    return init_repository(tmp_path_factory.mktemp("validate") / "policy-repo").root


@pytest.fixture(scope="session")
def vpol_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default repository with the ValidatingPolicy flavour, shared and read-only."""
    root = tmp_path_factory.mktemp("validate-vpol") / "policy-repo"
    return init_repository(root, {"kyverno_flavour": "ValidatingPolicy"}).root
