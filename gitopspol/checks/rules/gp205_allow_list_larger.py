"""An allow-list is larger (or a deny-list smaller) in a higher tier than in the tier below.

Allow-lists: Gatekeeper list parameters named like ``repos``, ``allowedCapabilities``,
``volumes``, ``allowedHostPaths`` (registries, capabilities, volume types...), the
alternatives of a Kyverno pattern value (``open-policy-agent* | ubuntu*``), the values of
a Kyverno ``NotIn`` deny condition, and CEL variables of a ValidatingPolicy or VAP that
hold a literal list and are named like one (``registries: ["ubuntu"]``). Deny-lists (parameters named like ``disallowedTags``,
``requiredDropCapabilities``, ``labels``; ``In`` deny conditions) must not lose entries.
Lists whose meaning gitopspol cannot tell from the name are reported by ``gitopspol diff``
as changed, not here.

Passing example::

    # tier: sbx
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      parameters:
        repos: [open-policy-agent, ubuntu]
    # tier: prd
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      parameters:
        repos: [open-policy-agent]

Failing example::

    # expect: K8sAllowedRepos/allowed-repos: parameters.repos is weaker in prd than in sbx: [open-policy-agent, ubuntu] -> [docker.io, open-policy-agent, ubuntu] (added docker.io)
    # tier: sbx
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      parameters:
        repos: [open-policy-agent, ubuntu]
    # tier: prd
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      parameters:
        repos: [open-policy-agent, ubuntu, docker.io]
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import strictness_findings
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per allow-list grown (or deny-list shrunk) from one tier to the next."""
    yield from strictness_findings(ctx, RULE, ("allow-list", "deny-list"))


RULE = Rule(
    id="GP205",
    name="allow-list-larger",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
