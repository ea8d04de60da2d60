"""A policy or rule of a lower tier is missing from the tier above it.

Going up the tiers nothing may disappear: every policy (and every rule of a Kyverno
policy) the lower tier of an adjacent pair renders must be rendered by the higher one,
unless gitopspol.yaml waives it for the higher tier (policy, reason, expiry). A policy
staged in a lower tier that the base (``policies/``) does not have yet is not reported:
that is what promotion is for. The finding points at the ``$patch: delete`` that removed
the policy when there is one, else at the higher tier's kustomization.

Passing example::

    # tier: sbx
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    # tier: prd
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos

Failing example::

    # expect: K8sAllowedRepos/allowed-repos is in sbx but missing from prd
    # tier: sbx
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    # tier: prd
    apiVersion: v1
    kind: Namespace
    metadata:
      name: prd
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import (
    base_views,
    change_finding,
    missing_location,
    pair_changes,
    tier_pairs,
    views,
    waived,
)
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per policy or rule present in a tier and missing from the next one."""
    base = base_views(ctx)
    for lower, higher in tier_pairs(ctx):
        for change in pair_changes(ctx, lower, higher):
            if change.category != "presence" or change.direction != "removed":
                continue
            if waived(ctx, change.policy, higher, change.rule):
                continue
            if base is not None and change.policy not in base:
                continue  # staged in the lower tier, not released yet
            if change.rule:
                message = (
                    f"{change.policy} rule {change.rule} is in {lower} but missing from {higher}"
                )
                yield change_finding(RULE, change, higher, message)
                continue
            view = views(ctx, lower)[change.policy]
            message = f"{change.policy} is in {lower} but missing from {higher}"
            location = missing_location(ctx, higher, view)
            yield Finding(RULE.id, RULE.severity, message, location, higher, change.policy)


RULE = Rule(
    id="GP207",
    name="policy-missing",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
