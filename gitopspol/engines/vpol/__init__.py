"""CEL admission policies: Kyverno ValidatingPolicy, Kubernetes ValidatingAdmissionPolicy
(with its binding) and Kyverno ``validate.cel`` rules, on the shared CEL layer.

Public API:

* :func:`evaluate_validating_policy` ``(policy, request, *, params=None, context=None)``
* :func:`evaluate_vap` ``(policy, binding, request, *, params=None, context=None)``
* :func:`evaluate_cel_rule` ``(policy, rule, request, *, context=None, params=None)``
* :func:`evaluate_all` ``(objects, request, *, context=None)``: every ValidatingPolicy and
  every bound VAP among a set of objects (a rendered tier), parameters from the same set
* :class:`CelContext`, :func:`load_context` ``(path)`` for the CLI's ``context.yaml``
* :func:`rewrite_cel` ``(text, "pods" | "cronjobs")`` and :func:`target_for_kind` for auto-gen
"""

from __future__ import annotations

from gitopspol.engines.vpol.autogen import rewrite_cel, target_for_kind
from gitopspol.engines.vpol.context import CelContext, context_from_data, load_context
from gitopspol.engines.vpol.evaluate import (
    evaluate_all,
    evaluate_cel_rule,
    evaluate_validating_policy,
    evaluate_vap,
    request_data,
)

__all__ = [
    "CelContext",
    "context_from_data",
    "evaluate_all",
    "evaluate_cel_rule",
    "evaluate_validating_policy",
    "evaluate_vap",
    "load_context",
    "request_data",
    "rewrite_cel",
    "target_for_kind",
]
