"""A behaviour case denied in a lower tier is admitted in the tier above it.

For each adjacent pair of tiers, a case whose requests the lower tier denies must be denied
by the higher tier too (by any engine): a request that sandbox clusters already reject must
never reach production. The finding points at the case.

Passing example::

    # tier: sbx
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: no-host-pid
    spec:
      rules:
      - name: host-pid
        match:
          any:
          - resources:
              kinds: [Pod]
        validate:
          failureAction: Audit
          message: hostPID is not allowed.
          pattern:
            spec:
              =(hostPID): "false"
    # tier: prd
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: no-host-pid
    spec:
      rules:
      - name: host-pid
        match:
          any:
          - resources:
              kinds: [Pod]
        validate:
          failureAction: Enforce
          message: hostPID is not allowed.
          pattern:
            spec:
              =(hostPID): "false"
    # settings:
    cases:
    - apiVersion: gitopspol.io/v1alpha1
      kind: BehaviourCase
      metadata: {name: host-pid}
      namespace: apps
      resources:
      - apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec: {hostPID: true, containers: [{name: c, image: busybox}]}
      expect: {sbx: audit, prd: deny}

Failing example::

    # expect: case host-pid: denied in sbx (by kyverno:no-host-pid) but allow in prd
    # tier: sbx
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: no-host-pid
    spec:
      rules:
      - name: host-pid
        match:
          any:
          - resources:
              kinds: [Pod]
        validate:
          failureAction: Enforce
          message: hostPID is not allowed.
          pattern:
            spec:
              =(hostPID): "false"
    # tier: prd
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: no-host-pid
    spec:
      rules:
      - name: host-pid
        match:
          any:
          - resources:
              kinds: [Pod]
              namespaces: [other]
        validate:
          failureAction: Enforce
          message: hostPID is not allowed.
          pattern:
            spec:
              =(hostPID): "false"
    # settings:
    cases:
    - apiVersion: gitopspol.io/v1alpha1
      kind: BehaviourCase
      metadata: {name: host-pid}
      namespace: apps
      resources:
      - apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec: {hostPID: true, containers: [{name: c, image: busybox}]}
      expect: {sbx: deny}
"""

from __future__ import annotations

from collections.abc import Iterable

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.behaviour import behaviour_findings
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterable[Finding]:
    """The GP402 findings of the behaviour cases."""
    return behaviour_findings(ctx, RULE.id)


RULE = Rule(
    id="GP402",
    name="denial-lost",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
