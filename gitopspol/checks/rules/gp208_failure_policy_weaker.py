"""A policy fails open in a higher tier where the tier below it fails closed.

``spec.failurePolicy`` says what the API server does when a policy cannot be evaluated (the
webhook is down, a CEL expression errors): ``Fail`` rejects the request, ``Ignore`` admits
it. It is compared for Kyverno ClusterPolicy/Policy, Kyverno ValidatingPolicy and
ValidatingAdmissionPolicy (``Fail`` is the default of all three): ``Ignore`` < ``Fail``.

Passing example::

    # tier: sbx
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: require-labels
    spec:
      failurePolicy: Ignore
      rules: []
    # tier: prd
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: require-labels
    spec:
      rules: []

Failing example::

    # expect: ClusterPolicy/require-labels: failurePolicy is weaker in prd than in sbx: Fail -> Ignore
    # tier: sbx
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: require-labels
    spec:
      rules: []
    # tier: prd
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: require-labels
    spec:
      failurePolicy: Ignore
      rules: []
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import strictness_findings
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per failure policy weakened from one tier to the next."""
    yield from strictness_findings(ctx, RULE, ("failure-policy",))


RULE = Rule(
    id="GP208",
    name="failure-policy-weaker",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
