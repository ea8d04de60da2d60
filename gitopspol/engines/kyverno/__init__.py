"""The classic Kyverno engine (kyverno.io/v1 ClusterPolicy and Policy), offline.

Public API::

    evaluate(policies, request, *, values=None, namespace_labels=None) -> list[RuleResult]

``gitopspol.engines.kyverno.suite.run_suite(path)`` runs a Kyverno CLI ``kyverno-test.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gitopspol.engines.admission import AdmissionRequest, RuleResult

__all__ = ["evaluate"]


def evaluate(
    policies: Sequence[Mapping[str, Any]],
    request: AdmissionRequest,
    *,
    values: Mapping[str, Any] | None = None,
    namespace_labels: Mapping[str, str] | None = None,
    exceptions: Sequence[Mapping[str, Any]] = (),
) -> list[RuleResult]:
    """Evaluate the validate rules of kyverno.io policies on one admission request.

    ``values`` are context variables by dotted path (``{"request.operation": "UPDATE",
    "dictionary.data.env": "prod"}``), as a Kyverno values file gives them; they also stand
    in for apiCall/configMap context entries, which are never fetched. ``namespace_labels``
    are the labels of the request's namespace (for ``namespaceSelector``; default: the labels
    of ``request.namespace_object``). Rules that do not
    apply give no result; actions come from the effective failure action (Enforce -> DENY,
    Audit -> AUDIT). ``exceptions`` are kyverno.io PolicyException documents; a rule they
    exempt is SKIP. Documents that are not kyverno.io policies are ignored.
    """
    from gitopspol.engines.kyverno.engine import Inputs, evaluate_policy

    if namespace_labels is None:
        meta = (request.namespace_object or {}).get("metadata") or {}
        namespace_labels = meta.get("labels") or {}
    inputs = Inputs(
        variables=dict(values or {}),
        namespace_labels=dict(namespace_labels),
        exceptions=tuple(exceptions),
    )
    results: list[RuleResult] = []
    for policy in policies:
        api = str(policy.get("apiVersion", ""))
        if api.startswith("kyverno.io/") and policy.get("kind") in ("ClusterPolicy", "Policy"):
            results.extend(evaluate_policy(policy, request, inputs))
    return results
