"""A Kyverno rule's failure action is weaker in a higher tier than in the tier below it.

For each adjacent pair of tiers by rank, every validate rule of every Kyverno
ClusterPolicy/Policy must fail no more softly in the higher tier: ``Audit`` < ``Enforce``.
The effective action is the rule's ``validate.failureAction``, else the deprecated
``spec.validationFailureAction``, else Kyverno's default ``Audit``; per-namespace
``failureActionOverrides`` (or ``spec.validationFailureActionOverrides``) are compared
namespace by namespace. A waiver in gitopspol.yaml (policy, tier, reason, expiry) accepts
the difference until it expires. The finding points at the line that sets the action in
the higher tier (the overlay's patch, or the base policy).

Passing example::

    # tier: sbx
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: disallow-privileged
    spec:
      rules:
      - name: privileged
        match:
          any:
          - resources:
              kinds: [Pod]
        validate:
          failureAction: Audit
          pattern:
            spec:
              =(hostPID): "false"
    # tier: prd
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: disallow-privileged
    spec:
      rules:
      - name: privileged
        match:
          any:
          - resources:
              kinds: [Pod]
        validate:
          failureAction: Enforce
          pattern:
            spec:
              =(hostPID): "false"

Failing example::

    # expect: ClusterPolicy/disallow-privileged rule privileged: failureAction is weaker in prd than in sbx: Enforce -> Audit
    # tier: sbx
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: disallow-privileged
    spec:
      validationFailureAction: Enforce
      rules:
      - name: privileged
        match:
          any:
          - resources:
              kinds: [Pod]
        validate:
          pattern:
            spec:
              =(hostPID): "false"
    # tier: prd
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: disallow-privileged
    spec:
      rules:
      - name: privileged
        match:
          any:
          - resources:
              kinds: [Pod]
        validate:
          failureAction: Audit
          pattern:
            spec:
              =(hostPID): "false"
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import strictness_findings
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per Kyverno failure action weakened from one tier to the next."""
    yield from strictness_findings(ctx, RULE, ("kyverno-action",))


RULE = Rule(
    id="GP201",
    name="kyverno-action-weaker",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
