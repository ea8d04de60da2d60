"""``match`` / ``exclude`` of kyverno.io rules (upstream ``pkg/engine/utils/match.go``).

A resource filter (``resources`` plus user info) matches when every field it sets matches.
``match.any`` needs one filter to match, ``match.all`` every filter; the legacy form (a bare
``resources`` block) is one filter. ``exclude`` excludes the request when it matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitopspol.engines.admission import AdmissionRequest
from gitopspol.engines.kyverno.values import wildcard_match


@dataclass(frozen=True, slots=True)
class MatchInput:
    """What match/exclude look at besides the object itself."""

    request: AdmissionRequest
    namespace_labels: Mapping[str, str] = field(default_factory=dict)


def _kind_matches(selector: str, kind: str, group: str, version: str) -> bool:
    parts = selector.split("/")
    sub = ""
    if len(parts) >= 2 and parts[-1][:1].islower() and parts[-1] != "*":
        sub = parts.pop()  # Pod/exec style subresource: never the main resource
    if sub:
        return False
    if len(parts) == 1:
        return wildcard_match(parts[0], kind)
    if len(parts) == 2:
        return wildcard_match(parts[0], version) and wildcard_match(parts[1], kind)
    return (
        wildcard_match(parts[0], group)
        and wildcard_match(parts[1], version)
        and wildcard_match(parts[2], kind)
    )


def _labels_match(selector: Any, labels: Mapping[str, Any]) -> bool:
    """A Kubernetes label selector (``matchLabels`` with wildcards, ``matchExpressions``)."""
    if not isinstance(selector, dict):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if not any(
            wildcard_match(str(key), k) and wildcard_match(str(value), str(v))
            for k, v in labels.items()
        ):
            return False
    for expr in selector.get("matchExpressions") or []:
        key = expr.get("key", "")
        op = str(expr.get("operator", ""))
        values = [str(v) for v in expr.get("values") or []]
        present = key in labels
        if op == "In" and not (present and str(labels[key]) in values):
            return False
        if op == "NotIn" and present and str(labels[key]) in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _description_matches(desc: Mapping[str, Any], data: MatchInput) -> bool:
    request = data.request
    resource = request.resource
    meta = resource.get("metadata") or {}
    group, version = request.group_version
    kind = request.kind
    kinds = desc.get("kinds") or []
    if kinds and not any(_kind_matches(str(k), kind, group, version) for k in kinds):
        return False
    names = list(desc.get("names") or [])
    if desc.get("name"):
        names.append(desc["name"])
    name = str(meta.get("name") or meta.get("generateName") or "")
    if names and not any(wildcard_match(str(n), name) for n in names):
        return False
    namespaces = desc.get("namespaces") or []
    if namespaces:
        namespace = name if kind == "Namespace" else request.namespace
        if not any(wildcard_match(str(n), namespace) for n in namespaces):
            return False
    annotations = desc.get("annotations") or {}
    if annotations:
        have = meta.get("annotations") or {}
        for key, value in annotations.items():
            if not any(
                wildcard_match(str(key), k) and wildcard_match(str(value), str(v))
                for k, v in have.items()
            ):
                return False
    if desc.get("selector") is not None and not _labels_match(
        desc["selector"], meta.get("labels") or {}
    ):
        return False
    if "namespaceSelector" in desc and desc["namespaceSelector"] is not None:
        if kind == "Namespace" or not request.namespace:
            labels: Mapping[str, Any] = meta.get("labels") or {} if kind == "Namespace" else {}
        else:
            labels = data.namespace_labels
        if not _labels_match(desc["namespaceSelector"], labels):
            return False
    operations = desc.get("operations") or []
    return not operations or request.operation in operations


def _user_matches(block: Mapping[str, Any], data: MatchInput) -> bool:
    info = data.request.user_info
    roles = block.get("roles") or []
    if roles and not set(roles) & set(info.get("roles") or []):
        return False
    cluster_roles = block.get("clusterRoles") or []
    if cluster_roles and not set(cluster_roles) & set(info.get("clusterRoles") or []):
        return False
    subjects = block.get("subjects") or []
    if subjects:
        username = str(info.get("username", ""))
        groups = [str(g) for g in info.get("groups") or []]
        for subject in subjects:
            skind, sname = subject.get("kind"), str(subject.get("name", ""))
            if skind == "ServiceAccount":
                ns = subject.get("namespace", "")
                if username == f"system:serviceaccount:{ns}:{sname}":
                    break
            elif (skind == "User" and wildcard_match(sname, username)) or (
                skind == "Group" and any(wildcard_match(sname, g) for g in groups)
            ):
                break
        else:
            return False
    return True


def _filter_matches(block: Mapping[str, Any], data: MatchInput) -> bool:
    has_user = any(block.get(k) for k in ("roles", "clusterRoles", "subjects"))
    resources = block.get("resources")
    if not resources and not has_user:
        return False
    if resources and not _description_matches(resources, data):
        return False
    return _user_matches(block, data)


def block_matches(block: Mapping[str, Any] | None, data: MatchInput) -> bool:
    """Whether a ``match`` or ``exclude`` block selects the request."""
    if not block:
        return False
    if block.get("any"):
        return any(_filter_matches(f, data) for f in block["any"])
    if block.get("all"):
        return all(_filter_matches(f, data) for f in block["all"])
    return _filter_matches(block, data)


def rule_applies(rule: Mapping[str, Any], data: MatchInput) -> bool:
    """``match`` selects the request and ``exclude`` does not."""
    if not block_matches(rule.get("match"), data):
        return False
    return not block_matches(rule.get("exclude"), data)
