"""Constraint ``spec.match``, as Gatekeeper applies it before any policy code runs.

Mirrors ``pkg/mutation/match/match.go`` in open-policy-agent/gatekeeper: every criterion
that is set must hold (kinds, scope, namespaces, excludedNamespaces, labelSelector,
namespaceSelector, name). An object without ``metadata.namespace`` and without a known
Namespace counts as cluster-scoped: ``namespaces``/``excludedNamespaces`` never exclude it
and ``namespaceSelector`` matches it. A namespaced object with a ``namespaceSelector`` but no
known Namespace object is a match error, which Gatekeeper reports as an "autoreject".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gitopspol.errors import PolicyError


class MatchError(PolicyError):
    """The match criteria could not be evaluated (Gatekeeper's ``ErrMatch``)."""


def wildcard_matches(pattern: str, candidate: str) -> bool:
    """Gatekeeper's ``util.Wildcard``: ``kube-*`` prefix, ``*-system`` suffix, ``*x*`` infix."""
    if len(pattern) > 1 and pattern.startswith("*") and pattern.endswith("*"):
        return pattern[1:-1] in candidate
    if pattern.startswith("*"):
        return candidate.endswith(pattern[1:])
    if pattern.endswith("*"):
        return candidate.startswith(pattern[:-1])
    return pattern == candidate


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"spec.match.{where} must be a list of strings")
    return value


def check_match(match: Mapping[str, Any]) -> None:
    """Refuse a ``spec.match`` the Constraint CRD schema would refuse (wrong shapes)."""
    kinds = match.get("kinds") or []
    if not isinstance(kinds, list):
        raise PolicyError("spec.match.kinds must be a list")
    for index, entry in enumerate(kinds):
        if not isinstance(entry, Mapping):
            raise PolicyError(f"spec.match.kinds[{index}] must be a mapping")
        _strings(entry.get("apiGroups"), f"kinds[{index}].apiGroups")
        _strings(entry.get("kinds"), f"kinds[{index}].kinds")
    _strings(match.get("namespaces"), "namespaces")
    _strings(match.get("excludedNamespaces"), "excludedNamespaces")
    for key in ("scope", "name"):
        if not isinstance(match.get(key) or "", str):
            raise PolicyError(f"spec.match.{key} must be a string")
    for key in ("labelSelector", "namespaceSelector"):
        selector = match.get(key)
        if selector is None:
            continue
        if not isinstance(selector, Mapping) or not isinstance(
            selector.get("matchLabels") or {}, Mapping
        ):
            raise PolicyError(f"spec.match.{key} must be a label selector")
        expressions = selector.get("matchExpressions") or []
        if not isinstance(expressions, list) or not all(
            isinstance(e, Mapping) and isinstance(e.get("values") or [], list) for e in expressions
        ):
            raise PolicyError(f"spec.match.{key}.matchExpressions must be a list of requirements")


def _labels(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    labels = _metadata(obj).get("labels")
    return labels if isinstance(labels, Mapping) else {}


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """A ``metav1.LabelSelector`` (matchLabels and matchExpressions, ANDed) against labels.

    Raises :class:`MatchError` for an unknown operator or a malformed expression, as
    ``metav1.LabelSelectorAsSelector`` does.
    """
    if not isinstance(selector, Mapping):
        raise MatchError(f"label selector must be a mapping, got {type(selector).__name__}")
    for key, value in (selector.get("matchLabels") or {}).items():
        if key not in labels or str(labels[key]) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, Mapping):
            raise MatchError("matchExpressions entries must be mappings")
        key = str(expr.get("key", ""))
        op = expr.get("operator")
        values = [str(v) for v in expr.get("values") or []]
        if op in ("In", "NotIn"):
            if not values:
                raise MatchError(f"values: must be specified when `operator` is '{op}'")
            present = key in labels and str(labels[key]) in values
            if present != (op == "In"):
                return False
        elif op in ("Exists", "DoesNotExist"):
            if values:
                raise MatchError(f"values: may not be specified when `operator` is '{op}'")
            if (key in labels) != (op == "Exists"):
                return False
        else:
            raise MatchError(f"{op!r} is not a valid label selector operator")
    return True


def _gvk(obj: Mapping[str, Any]) -> tuple[str, str]:
    group, _, _version = str(obj.get("apiVersion", "")).rpartition("/")
    return group, str(obj.get("kind", ""))


def is_namespace(obj: Mapping[str, Any]) -> bool:
    """True for a core ``Namespace`` object."""
    return _gvk(obj) == ("", "Namespace")


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _namespace_name(obj: Mapping[str, Any], ns: Mapping[str, Any] | None) -> str | None:
    """The namespace the namespace criteria test, or None for a cluster-scoped object."""
    if is_namespace(obj):
        return str(_metadata(obj).get("name", ""))
    if ns is not None:
        return str(_metadata(ns).get("name", ""))
    # gator has no Namespace objects: fall back to what the object declares.
    return str(_metadata(obj).get("namespace") or "") or None


def _kinds_match(kinds: Sequence[Mapping[str, Any]], obj: Mapping[str, Any]) -> bool:
    group, kind = _gvk(obj)
    for entry in kinds:
        names = entry.get("kinds") or []
        groups = entry.get("apiGroups") or []
        if names and "*" not in names and kind not in names:
            continue
        if not groups or "*" in groups or group in groups:
            return True
    return False


def _scope_match(scope: Any, obj: Mapping[str, Any], ns: Mapping[str, Any] | None) -> bool:
    namespaced = bool(_metadata(obj).get("namespace")) or ns is not None
    if scope == "Cluster":
        return is_namespace(obj) or not namespaced
    if scope == "Namespaced":
        return not is_namespace(obj) and namespaced
    return True  # "*", unset, and (as upstream) typos


def _namespace_selector_match(
    selector: Mapping[str, Any], obj: Mapping[str, Any], ns: Mapping[str, Any] | None
) -> bool:
    if is_namespace(obj):
        return selector_matches(selector, _labels(obj))
    if ns is None and not _metadata(obj).get("namespace"):
        return True  # every non-Namespace cluster-scoped object
    if ns is None:
        raise MatchError("namespace selector for namespace-scoped object but missing Namespace")
    return selector_matches(selector, _labels(ns))


def matches(
    match: Mapping[str, Any] | None, obj: Mapping[str, Any], ns: Mapping[str, Any] | None = None
) -> bool:
    """Whether ``obj`` (in Namespace ``ns``, when known) is selected by ``match``.

    Raises :class:`MatchError` when the criteria cannot be evaluated, and
    :class:`PolicyError` when ``match`` is malformed.
    """
    if not match:
        return True
    if not isinstance(match, Mapping):
        raise PolicyError(f"spec.match must be a mapping, got {type(match).__name__}")
    check_match(match)
    kinds = match.get("kinds")
    if kinds and not _kinds_match(kinds, obj):
        return False
    if not _scope_match(match.get("scope"), obj, ns):
        return False
    namespace = _namespace_name(obj, ns)
    included = match.get("namespaces")
    if (
        included
        and namespace is not None
        and not any(wildcard_matches(str(p), namespace) for p in included)
    ):
        return False
    excluded = match.get("excludedNamespaces")
    if (
        excluded
        and namespace is not None
        and any(wildcard_matches(str(p), namespace) for p in excluded)
    ):
        return False
    labels = match.get("labelSelector")
    if labels is not None and not selector_matches(labels, _labels(obj)):
        return False
    ns_selector = match.get("namespaceSelector")
    if ns_selector is not None and not _namespace_selector_match(ns_selector, obj, ns):
        return False
    name = match.get("name")
    return not name or wildcard_matches(str(name), str(_metadata(obj).get("name", "")))
