"""A ValidatingPolicy's or VAP binding's validationActions are weaker in a higher tier.

For Kyverno ``ValidatingPolicy`` and Kubernetes ``ValidatingAdmissionPolicyBinding``
objects, the strongest of ``spec.validationActions`` must be no weaker in the higher tier
of each adjacent pair: ``Audit`` < ``Warn`` < ``Deny``.

Passing example::

    # tier: sbx
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicyBinding
    metadata:
      name: require-team
    spec:
      policyName: require-team
      validationActions: [Audit, Warn]
    # tier: prd
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicyBinding
    metadata:
      name: require-team
    spec:
      policyName: require-team
      validationActions: [Deny]

Failing example::

    # expect: ValidatingAdmissionPolicyBinding/require-team: validationActions is weaker in prd than in sbx: Deny -> Audit
    # tier: sbx
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicyBinding
    metadata:
      name: require-team
    spec:
      policyName: require-team
      validationActions: [Deny]
    # tier: prd
    apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingAdmissionPolicyBinding
    metadata:
      name: require-team
    spec:
      policyName: require-team
      validationActions: [Audit]
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import strictness_findings
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per validationActions weakened from one tier to the next."""
    yield from strictness_findings(ctx, RULE, ("validation-actions",))


RULE = Rule(
    id="GP202",
    name="validation-actions-weaker",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
