"""The rule registry of ``gitopspol validate`` (yamllint-style: rules are data plus a generator).

Public API::

    RULES: tuple[Rule, ...]                       the one explicit registry
    list_rules() -> list[RuleInfo]                for ``validate --list-rules`` and SARIF
    get_rule(rule_id) -> Rule
    run_rules(ctx, rules=None) -> list[Finding]
    RuleContext(tiers, crds=None, settings={})    what rules read
    Subject                                       protocol: ``.data`` and ``.field_location(pointer)``
    SourceDocument                                a Subject read straight from a file
"""

from __future__ import annotations

from gitopspol.checks.base import (
    Rule,
    RuleContext,
    RuleInfo,
    Scope,
    SourceDocument,
    Subject,
    field_at,
    for_each_document,
    path_to_pointer,
    pointer_to_path,
    resource_id,
)
from gitopspol.checks.registry import RULES, get_rule, list_rules, run_rules

__all__ = [
    "RULES",
    "Rule",
    "RuleContext",
    "RuleInfo",
    "Scope",
    "SourceDocument",
    "Subject",
    "field_at",
    "for_each_document",
    "get_rule",
    "list_rules",
    "path_to_pointer",
    "pointer_to_path",
    "resource_id",
    "run_rules",
]
