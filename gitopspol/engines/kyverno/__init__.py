"""The classic Kyverno engine (kyverno.io/v1 ClusterPolicy and Policy), offline.

Public API::

    evaluate(policies, request, *, values=None, namespace_labels=None) -> list[RuleResult]
    prepare(policies) -> PolicySet
    request_input(request, *, namespace_labels=None) -> RequestInput
    evaluate_prepared(policy_set, request_or_input, *, namespace_labels=None, only=None)
    evaluate_each(...)  # the same, one list of results per policy

``gitopspol.engines.kyverno.suite.run_suite(path)`` runs a Kyverno CLI ``kyverno-test.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gitopspol.engines.admission import AdmissionRequest, RuleResult

if TYPE_CHECKING:
    from gitopspol.engines.kyverno.engine import Inputs, PolicySet, RequestInput

__all__ = ["evaluate", "evaluate_each", "evaluate_prepared", "prepare", "request_input"]


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
    from gitopspol.engines.kyverno.engine import PolicySet

    inputs = _inputs(request, values, namespace_labels, exceptions)
    chosen = [p for p in policies if _is_policy(p)]
    return PolicySet.one_shot(chosen).evaluate(request, inputs)


def prepare(policies: Sequence[Mapping[str, Any]]) -> PolicySet:
    """The kyverno.io policies among ``policies``, prepared for :func:`evaluate_prepared`."""
    from gitopspol.engines.kyverno.engine import PolicySet

    return PolicySet([p for p in policies if _is_policy(p)])


def evaluate_prepared(
    policies: PolicySet,
    request: AdmissionRequest | RequestInput,
    *,
    namespace_labels: Mapping[str, str] | None = None,
    only: Sequence[int] | None = None,
) -> list[RuleResult]:
    """:func:`evaluate` on prepared policies (all, or those at indexes ``only``): the same
    results, with the work shared between requests and sets (see ``PolicySet``).
    ``request`` may be a :func:`request_input` shared by several calls."""
    return [
        r
        for each in evaluate_each(policies, request, namespace_labels=namespace_labels, only=only)
        for r in each
    ]


def evaluate_each(
    policies: PolicySet,
    request: AdmissionRequest | RequestInput,
    *,
    namespace_labels: Mapping[str, str] | None = None,
    only: Sequence[int] | None = None,
) -> list[list[RuleResult]]:
    """:func:`evaluate_prepared`, one list of results per policy (in order)."""
    if not isinstance(request, AdmissionRequest):
        return policies.evaluate_each(request, only=only)
    return policies.evaluate_each(request, _inputs(request, None, namespace_labels, ()), only)


def request_input(
    request: AdmissionRequest, *, namespace_labels: Mapping[str, str] | None = None
) -> RequestInput:
    """``request`` prepared for several :func:`evaluate_prepared` calls."""
    from gitopspol.engines.kyverno.engine import RequestInput

    return RequestInput(request, _inputs(request, None, namespace_labels, ()))


def _is_policy(policy: Mapping[str, Any]) -> bool:
    api = str(policy.get("apiVersion", ""))
    return api.startswith("kyverno.io/") and policy.get("kind") in ("ClusterPolicy", "Policy")


def _inputs(
    request: AdmissionRequest,
    values: Mapping[str, Any] | None,
    namespace_labels: Mapping[str, str] | None,
    exceptions: Sequence[Mapping[str, Any]],
) -> Inputs:
    from gitopspol.engines.kyverno.engine import Inputs

    if namespace_labels is None:
        meta = (request.namespace_object or {}).get("metadata") or {}
        namespace_labels = meta.get("labels") or {}
    return Inputs(
        variables=dict(values or {}),
        namespace_labels=dict(namespace_labels),
        exceptions=tuple(exceptions),
    )
