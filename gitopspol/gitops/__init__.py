"""GitOps output: the Argo CD and Flux manifests that distribute each tier to its clusters.

Public API::

    plan_apps(repo, target=None) -> AppsPlan          # in memory, nothing written
    write_apps(repo, target=None) -> WriteResult      # writes clusters/, removes stale files
    stale_files(repo, target=None) -> list[Drift]     # what write_apps would change
    MARKER                                             # first line of every generated file

``target`` is ``argocd``, ``flux`` or ``both``; None means the ``gitops`` field of
gitopspol.yaml. Output is deterministic: the same gitopspol.yaml gives the same bytes.
"""

from __future__ import annotations

from gitopspol.gitops.plan import (
    MARKER,
    AppsPlan,
    Drift,
    GeneratedFile,
    WriteResult,
    plan_apps,
    stale_files,
    write_apps,
)

__all__ = [
    "MARKER",
    "AppsPlan",
    "Drift",
    "GeneratedFile",
    "WriteResult",
    "plan_apps",
    "stale_files",
    "write_apps",
]
