"""gitopspol: Kubernetes admission policy kept in Git, layered by risk tier.

The library raises :class:`gitopspol.errors.GitopspolError` (or a subclass) when it cannot
evaluate something, and returns findings when it evaluated and found a problem. Only
``gitopspol.cli`` prints or exits.
"""

from __future__ import annotations

__version__ = "0.1.0"
