"""Semantic per-policy comparison of two rendered tiers (``gitopspol diff``, tier strictness).

Public API::

    compare(lower, higher) -> list[Change]         two sequences of Subjects (rendered tiers)
    compare_policies(lower_views, higher_views) -> list[Change]
    policy_views(documents) -> dict[str, PolicyView]
    diff_tiers(root, from_tier, to_tier) -> TierDiff     (TierDiff.ordered(), .counts())
    text_diff(diff), json_diff(diff), markdown_diff(diff, limit=60000) -> str
    Change, Category, Direction, PolicyView, Setting
"""

from __future__ import annotations

from gitopspol.diff.compare import compare, compare_policies
from gitopspol.diff.extract import policy_view, policy_views
from gitopspol.diff.model import Category, Change, Direction, PolicyView, Setting
from gitopspol.diff.tiers import (
    MARKDOWN_LIMIT,
    TierDiff,
    diff_tiers,
    json_diff,
    markdown_diff,
    text_diff,
)

__all__ = [
    "MARKDOWN_LIMIT",
    "Category",
    "Change",
    "Direction",
    "PolicyView",
    "Setting",
    "TierDiff",
    "compare",
    "compare_policies",
    "diff_tiers",
    "json_diff",
    "markdown_diff",
    "policy_view",
    "policy_views",
    "text_diff",
]
