"""Fixtures for the schema tests: the shared corpora's policy documents and the upstream CRDs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitopspol import yamlio
from gitopspol.schema import CrdRegistry
from tests.conftest import need_shared

Doc = tuple[Path, int, dict[str, Any]]


def kyverno_policy_files(root: Path) -> list[Path]:
    """Every policy file a ``kyverno-test.yaml`` of the corpus names (the files under test)."""
    files: set[Path] = set()
    for folder, _, names in os.walk(root):
        if "kyverno-test.yaml" in names:
            test = yamlio.load_file(Path(folder) / "kyverno-test.yaml")
            files.update((Path(folder) / rel).resolve() for rel in test.get("policies", []))
    return sorted(files)


def gatekeeper_pairs(root: Path) -> Iterator[tuple[Path, Path]]:
    """``(template file, constraint file)`` for every test of every gator suite."""
    for suite in sorted(root.rglob("suite.yaml")):
        for test in yamlio.load_file(suite).get("tests", []):
            yield suite.parent / test["template"], suite.parent / test["constraint"]


@pytest.fixture(scope="session")
def upstream_crds() -> CrdRegistry:
    return CrdRegistry.from_paths([need_shared("schemas", "crds")])


@pytest.fixture(scope="session")
def kyverno_docs() -> list[Doc]:
    files = kyverno_policy_files(need_shared("corpus", "kyverno"))
    return list(yamlio.iter_documents(files))


@pytest.fixture(scope="session")
def gatekeeper_docs() -> list[Doc]:
    root = need_shared("corpus", "gatekeeper")
    files = sorted({path for pair in gatekeeper_pairs(root) for path in pair})
    return list(yamlio.iter_documents(files))
