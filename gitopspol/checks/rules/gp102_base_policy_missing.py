"""A policy of the base (policies/) is missing from a tier.

Every policy the base renders must be rendered by every tier, unless gitopspol.yaml waives
it for that tier (policy, reason, expiry date). When the tier below still has the policy,
the difference is reported once, as GP207; this rule reports the lowest tier that lost it.
The finding points at the ``$patch: delete`` in the tier's overlay when there is one. A
removal staged in a lower tier for promotion is such a difference: waive it (with its
reason and an expiry) while it is staged.

Passing example::

    # tier: sbx
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    # settings:
    base:
    - apiVersion: constraints.gatekeeper.sh/v1beta1
      kind: K8sAllowedRepos
      metadata: {name: allowed-repos}

Failing example::

    # expect: K8sAllowedRepos/allowed-repos of the base is missing from sbx
    # tier: sbx
    apiVersion: v1
    kind: Namespace
    metadata:
      name: sbx
    # settings:
    base:
    - apiVersion: constraints.gatekeeper.sh/v1beta1
      kind: K8sAllowedRepos
      metadata: {name: allowed-repos}
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import base_views, missing_location, views, waived
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per base policy missing from a tier (and from the tier below it)."""
    base = base_views(ctx)
    if base is None:
        return
    below: str | None = None
    for tier in ctx.tiers:
        present = views(ctx, tier)
        for key, view in base.items():
            if key in present or (below is not None and key in views(ctx, below)):
                continue
            if waived(ctx, key, tier):
                continue
            message = f"{key} of the base is missing from {tier}"
            location = missing_location(ctx, tier, view)
            yield Finding(RULE.id, RULE.severity, message, location, tier, key)
        below = tier


RULE = Rule(
    id="GP102",
    name="base-policy-missing",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
