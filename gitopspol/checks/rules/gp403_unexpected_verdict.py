"""A behaviour case's verdict in a tier is not the one the case expects.

Each case names the verdict it expects per tier (``allow``, ``audit``, ``warn``, ``deny``,
optionally per policy); ``gitopspol test`` prints the whole matrix, and ``validate``
reports every miss here, at the case. A tier whose policies cannot be evaluated (a
template that does not compile) is reported here too.

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

    # expect: case host-pid in tier prd: expected deny
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
      expect: {sbx: deny, prd: deny}
"""

from __future__ import annotations

from collections.abc import Iterable

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.behaviour import behaviour_findings
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterable[Finding]:
    """The GP403 findings of the behaviour cases."""
    return behaviour_findings(ctx, RULE.id)


RULE = Rule(
    id="GP403",
    name="unexpected-verdict",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
