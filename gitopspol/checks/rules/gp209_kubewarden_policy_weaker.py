"""A Kubewarden policy is weaker in a higher tier than in the tier below.

Covers ``ClusterAdmissionPolicy``, ``AdmissionPolicy`` and the policy groups
(``policies.kubewarden.io``): ``spec.mode`` (``monitor`` < ``protect``, the default), and
what ``gitopspol.engines.kubewarden.compare`` judges: ``spec.rules`` and the
namespace/object selectors no narrower, no ``matchConditions`` the lower tier lacks,
allow-lists in ``spec.settings`` no larger (nor removed), deny-lists no smaller, the same
policy module (another tag or digest of it is a promotion), and every group member kept.
``failurePolicy`` is GP208's; a policy missing from the higher tier is GP207's.

Passing example::

    # tier: sbx
    apiVersion: policies.kubewarden.io/v1
    kind: ClusterAdmissionPolicy
    metadata:
      name: trusted-registries
    spec:
      module: registry://ghcr.io/kubewarden/policies/trusted-repos:v0.2.0
      mode: monitor
      settings:
        registries:
          allow: [registry.example.com, ghcr.io]
    # tier: prd
    apiVersion: policies.kubewarden.io/v1
    kind: ClusterAdmissionPolicy
    metadata:
      name: trusted-registries
    spec:
      module: registry://ghcr.io/kubewarden/policies/trusted-repos:v0.2.1
      mode: protect
      settings:
        registries:
          allow: [registry.example.com]

Failing example::

    # expect: ClusterAdmissionPolicy/no-privileged: mode is weaker in prd than in sbx: protect -> monitor
    # tier: sbx
    apiVersion: policies.kubewarden.io/v1
    kind: ClusterAdmissionPolicy
    metadata:
      name: no-privileged
    spec:
      module: registry://ghcr.io/kubewarden/policies/pod-privileged:v1.0.2
    # tier: prd
    apiVersion: policies.kubewarden.io/v1
    kind: ClusterAdmissionPolicy
    metadata:
      name: no-privileged
    spec:
      module: registry://ghcr.io/kubewarden/policies/pod-privileged:v1.0.2
      mode: monitor
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import change_finding, describe, weakened
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per Kubewarden policy setting weakened from one tier to the next."""
    for lower, higher, change in weakened(ctx, ("kubewarden-mode", "kubewarden")):
        # Ordered settings say both values; compare()'s judgements say what is wrong.
        detail = f"{change.before} -> {change.after}" if change.before else change.after
        message = f"{describe(change)} is weaker in {higher} than in {lower}: {detail}"
        yield change_finding(RULE, change, higher, message)


RULE = Rule(
    id="GP209",
    name="kubewarden-policy-weaker",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
