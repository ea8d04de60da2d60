"""Pure-Python Kustomize v5.5 build (``kubectl kustomize`` semantics and output).

``build(path)`` returns the rendered resources with their provenance; ``render(path)``
returns the exact text ``kubectl kustomize path`` prints; a :class:`Renderer` builds several
overlays that share bases (the tiers of one policy repository) building each base once.
"""

from __future__ import annotations

from pathlib import Path

from gitopspol.render.kustomize import Renderer
from gitopspol.render.model import Origin, Resource

__all__ = ["Origin", "Renderer", "Resource", "build", "render"]


def build(path: str | Path) -> list[Resource]:
    """Build the kustomization in ``path``; errors are :class:`~gitopspol.errors.RenderError`."""
    return Renderer().build(path)


def render(path: str | Path) -> str:
    """Build and serialise exactly as ``kubectl kustomize path`` prints it."""
    return Renderer().render(path)
