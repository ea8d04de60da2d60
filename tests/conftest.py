"""Shared fixtures: the ../shared corpora, the kubectl oracle, inline file trees."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_shared(*parts: str) -> Path:
    """Path inside ../shared; skip (with a reason) when it is absent, fail under CI=true."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing, and CI=true requires the shared corpora")
        pytest.skip(f"{path} is absent (a user's clone without ../shared)")
    return path


def need_kubectl() -> str:
    """The kubectl oracle; skip when it is not installed, fail under CI=true."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        if IN_CI:
            pytest.fail("kubectl is not installed, and CI=true requires the oracle")
        pytest.skip("kubectl is not installed")
    return kubectl


def build_file_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create ``{relative path: content}`` under ``root`` (copier's test helper idiom)."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
