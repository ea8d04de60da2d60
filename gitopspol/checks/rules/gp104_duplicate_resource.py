"""Two documents of a tier are the same object in the cluster.

Kustomize refuses two resources with the same group, version, kind, namespace and name,
but it keeps two that differ only in their API version (``kyverno.io/v1`` and
``kyverno.io/v2beta1`` ClusterPolicy ``restrict-image-registries``): the API server stores
one object per group, kind, namespace and name, so the last one applied silently replaces
the other. Each duplicate after the first is reported.

Passing example::

    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: restrict-image-registries
    ---
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: disallow-privileged

Failing example::

    # expect: ClusterPolicy/restrict-image-registries (group kyverno.io) is defined twice in example
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: restrict-image-registries
    ---
    apiVersion: kyverno.io/v2beta1
    kind: ClusterPolicy
    metadata:
      name: restrict-image-registries
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope, field_at, resource_id
from gitopspol.findings import Finding, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per document whose group, kind, namespace and name repeat in a tier."""
    for tier, docs in ctx.tiers.items():
        seen: set[tuple[str, str, str, str]] = set()
        for doc in docs:
            data = doc.data
            group = str(data.get("apiVersion") or "").rpartition("/")[0]
            key = (
                group,
                str(data.get("kind") or ""),
                str(field_at(data, "metadata", "namespace") or ""),
                str(field_at(data, "metadata", "name") or ""),
            )
            if key in seen:
                message = (
                    f"{resource_id(data)} (group {group or 'core'}) is defined twice in {tier}"
                )
                yield RULE.finding(message, doc=doc, tier=tier, path=("metadata", "name"))
            seen.add(key)


RULE = Rule(
    id="GP104",
    name="duplicate-resource",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
