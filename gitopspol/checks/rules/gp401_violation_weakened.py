"""A behaviour case's violation is weaker in a higher tier than in the tier below it.

Every behaviour case (``tests/*.yaml``) runs in every tier through each engine. For each
adjacent pair of tiers, a policy the case violates in the lower tier must be violated in
the higher tier with an effect no weaker (``audit`` < ``warn`` < ``deny``): the tiers'
behaviour, not only their settings, is ordered. The finding points at the case.

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

    # expect: case host-pid: kyverno policy no-host-pid (rule host-pid) is violated in sbx (effect deny) but not violated in prd
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
    """The GP401 findings of the behaviour cases."""
    return behaviour_findings(ctx, RULE.id)


RULE = Rule(
    id="GP401",
    name="violation-weakened",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
