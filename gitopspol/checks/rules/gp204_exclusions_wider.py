"""A policy excludes more, or matches less, in a higher tier than in the tier below it.

Exclusions must be no wider going up the tiers: Kyverno rule ``exclude`` blocks and
``podSecurity.exclude`` controls, Kyverno ``PolicyException`` objects (a new one, or a
wider one), Gatekeeper ``match.excludedNamespaces`` and exemption parameters
(``exemptImages``...), ValidatingPolicy/VAP ``excludeResourceRules``. The match must be no
narrower: a value removed from a match list (a namespace, a kind) or a condition the lower
tier does not have (a label selector) lets resources through in the higher tier.

Passing example::

    # tier: sbx
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      match:
        namespaces: [sbx, prd]
        excludedNamespaces: [kube-system, tools]
    # tier: prd
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      match:
        namespaces: [sbx, prd, payments]
        excludedNamespaces: [kube-system]

Failing example::

    # expect: K8sAllowedRepos/allowed-repos: match.excludedNamespaces is weaker in prd than in sbx
    # expect: [kube-system] -> [kube-system, tools] (added tools)
    # expect: K8sAllowedRepos/allowed-repos: match is weaker in prd than in sbx
    # tier: sbx
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      match:
        namespaces: [sbx, prd]
        excludedNamespaces: [kube-system]
    # tier: prd
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      match:
        namespaces: [sbx]
        excludedNamespaces: [kube-system, tools]
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import strictness_findings
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per exclusion widened or match narrowed from one tier to the next."""
    yield from strictness_findings(ctx, RULE, ("exclusion", "match"))


RULE = Rule(
    id="GP204",
    name="exclusions-wider",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
