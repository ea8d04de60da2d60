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
    gp101_tier_render_error,
    gp102_base_policy_missing,
    gp103_patch_target_missing,
    gp104_duplicate_resource,
    gp105_constraint_template_missing,
    gp106_kyverno_name_conflict,
    gp107_psa_label_invalid,
    gp108_change_outside_settings,
    gp109_tier_settings_weaker,
    gp110_waiver_expired,
    gp111_waiver_unused,
    gp201_kyverno_action_weaker,
    gp202_validation_actions_weaker,
    gp203_gatekeeper_action_weaker,
    gp204_exclusions_wider,
    gp205_allow_list_larger,
    gp206_pod_security_weaker,
    gp207_policy_missing,
    gp208_failure_policy_weaker,
    gp209_kubewarden_policy_weaker,
    gp301_schema_violation,
    gp302_not_validated,
    gp303_constraint_parameters,
    gp304_constraint_template,
    gp401_violation_weakened,
    gp402_denial_lost,
    gp403_unexpected_verdict,
    gp501_gitops_output,
)
from gitopspol.errors import ConfigError
from gitopspol.findings import Finding

RULES: tuple[Rule, ...] = (
    gp101_tier_render_error.RULE,
    gp102_base_policy_missing.RULE,
    gp103_patch_target_missing.RULE,
    gp104_duplicate_resource.RULE,
    gp105_constraint_template_missing.RULE,
    gp106_kyverno_name_conflict.RULE,
    gp107_psa_label_invalid.RULE,
    gp108_change_outside_settings.RULE,
    gp109_tier_settings_weaker.RULE,
    gp110_waiver_expired.RULE,
    gp111_waiver_unused.RULE,
    gp201_kyverno_action_weaker.RULE,
    gp202_validation_actions_weaker.RULE,
    gp203_gatekeeper_action_weaker.RULE,
    gp204_exclusions_wider.RULE,
    gp205_allow_list_larger.RULE,
    gp206_pod_security_weaker.RULE,
    gp207_policy_missing.RULE,
    gp208_failure_policy_weaker.RULE,
    gp209_kubewarden_policy_weaker.RULE,
    gp401_violation_weakened.RULE,
    gp402_denial_lost.RULE,
    gp403_unexpected_verdict.RULE,
    gp301_schema_violation.RULE,
    gp302_not_validated.RULE,
    gp303_constraint_parameters.RULE,
    gp304_constraint_template.RULE,
    gp501_gitops_output.RULE,
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
