"""A Pod Security level is lower, or its version older, in a higher tier.

For each Namespace, the effective Pod Security Admission level of each mode (``enforce``,
``audit``, ``warn``; ``privileged`` < ``baseline`` < ``restricted``) must be no lower in the
higher tier of each adjacent pair, and at the same level the version pin no older
(``latest`` is newest). Labels resolve as the admission plugin does (an invalid enforce
level fails closed, ``warn`` follows a stricter ``enforce``). Kyverno ``podSecurity``
rules are compared the same way.

Passing example::

    # tier: sbx
    apiVersion: v1
    kind: Namespace
    metadata:
      name: payments
      labels:
        pod-security.kubernetes.io/enforce: privileged
        pod-security.kubernetes.io/audit: restricted
    # tier: prd
    apiVersion: v1
    kind: Namespace
    metadata:
      name: payments
      labels:
        pod-security.kubernetes.io/enforce: baseline
        pod-security.kubernetes.io/audit: restricted

Failing example::

    # expect: Namespace/payments: audit is weaker in prd than in sbx: restricted -> baseline
    # expect: Namespace/payments: enforce-version is weaker in prd than in sbx: v1.35 -> v1.30
    # tier: sbx
    apiVersion: v1
    kind: Namespace
    metadata:
      name: payments
      labels:
        pod-security.kubernetes.io/enforce: baseline
        pod-security.kubernetes.io/enforce-version: v1.35
        pod-security.kubernetes.io/audit: restricted
    # tier: prd
    apiVersion: v1
    kind: Namespace
    metadata:
      name: payments
      labels:
        pod-security.kubernetes.io/enforce: baseline
        pod-security.kubernetes.io/enforce-version: v1.30
        pod-security.kubernetes.io/audit: baseline
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import strictness_findings
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per Pod Security level or version weakened from one tier to the next."""
    yield from strictness_findings(ctx, RULE, ("pod-security",))


RULE = Rule(
    id="GP206",
    name="pod-security-weaker",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
