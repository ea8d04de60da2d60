"""The policy repository: ``gitopspol.yaml``, tier profiles, and the copier scaffold.

Public API:

* :func:`load_repository` -> :class:`Repository` (tiers ordered by rank, clusters, engines,
  GitOps target, trusted registries, waivers);
* :func:`builtin_profiles` / :func:`load_profile` -> :class:`Tier`;
* :func:`gitopspol.repo.build.render_tier` -> one tier rendered;
* :func:`init_repository`, :func:`update_repository`, :func:`parse_data` (in
  :mod:`gitopspol.repo.scaffold`, which imports copier lazily).
"""

from __future__ import annotations

from gitopspol.repo.config import CONFIG_FILE, builtin_profiles, load_profile, load_repository
from gitopspol.repo.model import Cluster, PsaMode, Repository, Tier, Waiver

__all__ = [
    "CONFIG_FILE",
    "Cluster",
    "PsaMode",
    "Repository",
    "Tier",
    "Waiver",
    "builtin_profiles",
    "load_profile",
    "load_repository",
]
