"""Helpers for the scaffold tests: kubectl renders and document pairing."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from gitopspol.yamlio import load_all
from tests.conftest import need_kubectl


def kubectl_kustomize(folder: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize folder`` (the oracle), loaded; fails the test on an error."""
    return [doc for doc in load_all(kubectl_text(folder)) if doc is not None]


def kubectl_text(folder: Path) -> str:
    """``kubectl kustomize folder`` output; fails the test on an error."""
    proc = subprocess.run(
        [need_kubectl(), "kustomize", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def by_id(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Documents keyed by (kind, name)."""
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def leaf_diff(a: Any, b: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of the leaves that differ between two JSON-like values."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[Any, ...]] = []
        for key in sorted(set(a) | set(b), key=str):
            out += leaf_diff(a.get(key), b.get(key), (*path, key))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            out += leaf_diff(x, y, (*path, index))
        return out
    return [] if a == b else [path]
