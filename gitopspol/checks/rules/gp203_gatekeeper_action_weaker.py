"""A Gatekeeper constraint's enforcementAction is weaker in a higher tier.

``dryrun`` < ``warn`` < ``deny`` (the default when unset). A ``scoped`` constraint is
compared per enforcement point of its ``scopedEnforcementActions``, the admission webhook
(``validation.gatekeeper.sh``) standing for the constraint as a whole.

Passing example::

    # tier: sbx
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      enforcementAction: warn
    # tier: prd
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec: {}

Failing example::

    # expect: K8sAllowedRepos/allowed-repos: enforcementAction is weaker in prd than in sbx: warn -> dryrun
    # tier: sbx
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      enforcementAction: warn
    # tier: prd
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      enforcementAction: dryrun
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import strictness_findings
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per enforcementAction weakened from one tier to the next."""
    yield from strictness_findings(ctx, RULE, ("gatekeeper-action",))


RULE = Rule(
    id="GP203",
    name="gatekeeper-action-weaker",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
