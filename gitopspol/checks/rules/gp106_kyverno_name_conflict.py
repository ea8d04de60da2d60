"""Two Kyverno policies of different kinds share a name in a tier.

Kyverno names policy reports, events and the ValidatingAdmissionPolicies it generates after
the policy name alone: a ClusterPolicy, a namespaced Policy and a ValidatingPolicy called
``require-labels`` in one tier overwrite each other's reports and generated objects, and
people cannot tell from a report which one spoke. Kyverno policy names must be unique
across kinds within a tier.

Passing example::

    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: require-labels
    ---
    apiVersion: policies.kyverno.io/v1alpha1
    kind: ValidatingPolicy
    metadata:
      name: require-labels-cel

Failing example::

    # expect: Kyverno policy name "require-labels" is used by ClusterPolicy/require-labels and ValidatingPolicy/require-labels in example
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: require-labels
    ---
    apiVersion: policies.kyverno.io/v1alpha1
    kind: ValidatingPolicy
    metadata:
      name: require-labels
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope, field_at, resource_id
from gitopspol.findings import Finding, Severity

_KINDS = frozenset(
    {
        "ClusterPolicy",
        "Policy",
        "ValidatingPolicy",
        "NamespacedValidatingPolicy",
        "ImageValidatingPolicy",
        "MutatingPolicy",
        "GeneratingPolicy",
        "DeletingPolicy",
    }
)
_GROUPS = frozenset({"kyverno.io", "policies.kyverno.io"})


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per Kyverno policy whose name another kind already uses."""
    for tier, docs in ctx.tiers.items():
        first: dict[str, tuple[str, str]] = {}
        for doc in docs:
            data = doc.data
            kind = str(data.get("kind") or "")
            group = str(data.get("apiVersion") or "").rpartition("/")[0]
            if kind not in _KINDS or group not in _GROUPS:
                continue
            name = str(field_at(data, "metadata", "name") or "")
            if name not in first:
                first[name] = (kind, resource_id(data))
            elif first[name][0] != kind:
                message = (
                    f'Kyverno policy name "{name}" is used by {first[name][1]} and '
                    f"{resource_id(data)} in {tier}"
                )
                yield RULE.finding(message, doc=doc, tier=tier, path=("metadata", "name"))


RULE = Rule(
    id="GP106",
    name="kyverno-name-conflict",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
