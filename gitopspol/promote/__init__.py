"""``gitopspol promote``: policy-by-policy promotion as one gated, revertible Git commit.

Public API::

    promote(root, from_tier, to_tier, *, policies=(), dry_run=False, branch=None,
            message=None, commit=True, min_soak=None, now=None) -> Promotion
    commit_message(plan, source, subject=None) -> str
    parse_duration(text) -> datetime.timedelta
    stage(root, tier, *, add=(), edit=(), remove=()) -> list[str]   (gitopspol.promote.stage)
    Promotion, Plan, PolicyPlan, StagedItem, Gate, Action, ItemKind

This package is the only user of GitPython in gitopspol (imported lazily, in
:mod:`gitopspol.promote.gitrepo`). See docs/promote.md for staging and the gates.
"""

from __future__ import annotations

from gitopspol.promote.core import commit_message, promote
from gitopspol.promote.gitrepo import parse_duration
from gitopspol.promote.model import (
    Action,
    Gate,
    ItemKind,
    Plan,
    PolicyPlan,
    Promotion,
    StagedItem,
)

__all__ = [
    "Action",
    "Gate",
    "ItemKind",
    "Plan",
    "PolicyPlan",
    "Promotion",
    "StagedItem",
    "commit_message",
    "parse_duration",
    "promote",
]
