"""Render one tier of a policy repository (its ``environments/<tier>`` overlay)."""

from __future__ import annotations

from gitopspol.errors import ConfigError
from gitopspol.repo.model import Repository


def render_tier(repo: Repository, tier: str) -> str:
    """The multi-document YAML ``kubectl kustomize environments/<tier>`` would print.

    An unknown tier, or a tier without an overlay, is a :class:`ConfigError` naming
    ``gitopspol.yaml``.
    """
    from gitopspol.render import render

    overlay = repo.environment_dir(tier)
    if not (overlay / "kustomization.yaml").is_file():
        raise ConfigError(
            f"tier {tier!r} has no overlay {overlay.relative_to(repo.root)}/kustomization.yaml "
            "(run 'gitopspol update' to create it)",
            repo.config_file,
        )
    return render(overlay)
