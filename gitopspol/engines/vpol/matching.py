"""Admission ``matchResources`` (VAP ``matchConstraints``, binding ``matchResources``).

Implements the Kubernetes rules: ``resourceRules`` and ``excludeResourceRules`` (API group,
version, resource with ``*`` and ``*/*``, operations, scope, resourceNames),
``namespaceSelector`` and ``objectSelector`` (label selectors). Offline there is no
discovery: a manifest's resource name comes from :func:`resource_for_kind`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitopspol.engines.admission import CLUSTER_SCOPED, AdmissionRequest
from gitopspol.engines.cel.kinds import resource_for_kind
from gitopspol.errors import PolicyError


def _labels(obj: Mapping[str, Any] | None) -> dict[str, str]:
    meta = (obj or {}).get("metadata") or {}
    labels = meta.get("labels") or {}
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a Kubernetes label selector matches ``labels`` (an empty selector matches all)."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        key = str(expr.get("key", ""))
        operator = expr.get("operator")
        values = [str(v) for v in expr.get("values") or []]
        if operator == "In":
            ok = key in labels and labels[key] in values
        elif operator == "NotIn":
            ok = key not in labels or labels[key] not in values
        elif operator == "Exists":
            ok = key in labels
        elif operator == "DoesNotExist":
            ok = key not in labels
        else:
            raise PolicyError(f"label selector: unknown operator {operator!r} for key {key!r}")
        if not ok:
            return False
    return True


def _any(patterns: Any, value: str) -> bool:
    items = [str(p) for p in patterns or []]
    return "*" in items or value in items


def _resource_matches(patterns: Any, resource: str) -> bool:
    for pattern in [str(p) for p in patterns or []]:
        if pattern in ("*", "*/*") or pattern == resource:
            return True
    return False


def rule_matches(rule: Mapping[str, Any], request: AdmissionRequest) -> bool:
    """Whether one ``NamedRuleWithOperations`` matches the request."""
    group, version = request.group_version
    resource = resource_for_kind(request.kind)
    if not _any(rule.get("operations"), request.operation):
        return False
    if not _any(rule.get("apiGroups"), group) or not _any(rule.get("apiVersions"), version):
        return False
    if not _resource_matches(rule.get("resources"), resource):
        return False
    names = rule.get("resourceNames") or []
    if names and request.name not in [str(n) for n in names]:
        return False
    scope = rule.get("scope") or "*"
    cluster = request.kind in CLUSTER_SCOPED or not request.namespace
    return scope == "*" or (scope == "Cluster") == cluster


def namespace_labels(request: AdmissionRequest) -> dict[str, str]:
    """Labels of the request's namespace (the well-known name label when the object is unknown)."""
    labels = _labels(request.namespace_object)
    if request.namespace:
        labels.setdefault("kubernetes.io/metadata.name", request.namespace)
    return labels


def match_resources(
    match: Mapping[str, Any] | None, request: AdmissionRequest, *, binding: bool = False
) -> bool:
    """Whether ``matchConstraints`` / ``matchResources`` select the request.

    A policy's constraints without ``resourceRules`` match nothing. A binding's
    ``matchResources`` only narrow what its policy matches: unset (None) or without
    ``resourceRules``, they do not constrain resources (``binding=True``).
    """
    if match is None:
        return True
    rules = match.get("resourceRules") or []
    if (rules or not binding) and not any(rule_matches(rule, request) for rule in rules):
        return False
    if any(rule_matches(rule, request) for rule in match.get("excludeResourceRules") or []):
        return False
    if request.kind == "Namespace":
        ns_labels = _labels(request.resource)
    elif request.namespace:
        ns_labels = namespace_labels(request)
    else:
        ns_labels = None  # cluster-scoped: the namespace selector does not apply
    if ns_labels is not None and not selector_matches(match.get("namespaceSelector"), ns_labels):
        return False
    selector = match.get("objectSelector")
    if selector:
        candidates = [o for o in (request.object, request.old_object) if o is not None]
        if not any(selector_matches(selector, _labels(o)) for o in candidates):
            return False
    return True
