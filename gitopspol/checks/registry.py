"""The one explicit list of rules, and the functions that run and describe them.

Rule ids are stable and never reused: GP1xx consistency, GP2xx tier strictness, GP3xx
schema, GP4xx behaviour, GP5xx GitOps output. Add a rule by writing its module under
``gitopspol/checks/rules/`` and listing it here; the tests fail on a duplicate id, an id
outside its range, or a rule module that is not listed.
"""

from __future__ import annotations

from collections.abc import Iterable

from gitopspol.checks.base import Rule, RuleContext, RuleInfo
from gitopspol.checks.rules import (
    gp301_schema_violation,
    gp302_not_validated,
    gp303_constraint_parameters,
    gp304_constraint_template,
)
from gitopspol.errors import ConfigError
from gitopspol.findings import Finding

RULES: tuple[Rule, ...] = (
    gp301_schema_violation.RULE,
    gp302_not_validated.RULE,
    gp303_constraint_parameters.RULE,
    gp304_constraint_template.RULE,
)


def list_rules() -> list[RuleInfo]:
    """Every registered rule's description, ordered by id (for ``validate --list-rules``)."""
    return [rule.info for rule in sorted(RULES, key=lambda rule: rule.id)]


def get_rule(rule_id: str) -> Rule:
    """The rule with this id; an unknown id is a :class:`ConfigError`."""
    for rule in RULES:
        if rule.id == rule_id.upper():
            return rule
    raise ConfigError(f"unknown rule id {rule_id!r}")


def run_rules(ctx: RuleContext, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Run rules (all registered ones by default) and return their findings, in rule order."""
    findings: list[Finding] = []
    for rule in rules if rules is not None else RULES:
        findings.extend(rule.check(ctx))
    return findings
