"""Auto-generation of Pod controller variants, for CEL policies (Kyverno ``pkg/cel/autogen``).

A ValidatingPolicy whose ``matchConstraints`` select only ``pods`` (no names, no selectors)
also applies to the Pod controllers. Kyverno generates one variant for DaemonSet,
Deployment, Job, ReplicaSet and StatefulSet and one for CronJob, and rewrites every CEL text
with a plain string replacement: ``object.spec`` becomes ``object.spec.template.spec`` and
``object.metadata`` becomes ``object.spec.template.metadata`` (``jobTemplate.spec.template``
for CronJob), the same for ``oldObject``. ``spec.autogen.podControllers.controllers``
narrows the list (an empty list turns auto-gen off).

Kyverno ``validate.cel`` rules of a ClusterPolicy use the same replacements
(``pkg/autogen/v1/rule.go``); :func:`rewrite_cel` is shared with the Kyverno engine.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

#: Controller kind -> (API group, resource, replacement set).
CONTROLLERS: dict[str, tuple[str, str, str]] = {
    "DaemonSet": ("apps", "daemonsets", "pods"),
    "Deployment": ("apps", "deployments", "pods"),
    "ReplicaSet": ("apps", "replicasets", "pods"),
    "StatefulSet": ("apps", "statefulsets", "pods"),
    "Job": ("batch", "jobs", "pods"),
    "CronJob": ("batch", "cronjobs", "cronjobs"),
}
_BY_RESOURCE = {resource: kind for kind, (_, resource, _) in CONTROLLERS.items()}

_REPLACEMENTS = {
    "pods": (("spec", "spec.template.spec"), ("metadata", "spec.template.metadata")),
    "cronjobs": (
        ("spec", "spec.jobTemplate.spec.template.spec"),
        ("metadata", "spec.jobTemplate.spec.template.metadata"),
    ),
}


def rewrite_cel(text: str, target: str) -> str:
    """Rewrite CEL text for a controller: ``target`` is ``"pods"`` or ``"cronjobs"``.

    Sequential plain replacements, as Kyverno does (``bytes.ReplaceAll``), so a policy that
    already names ``object.spec.template`` is rewritten too, exactly like upstream.
    """
    for old, new in _REPLACEMENTS[target]:
        text = text.replace("object." + old, "object." + new)
        text = text.replace("oldObject." + old, "oldObject." + new)
    return text


def target_for_kind(kind: str) -> str | None:
    """``"pods"`` or ``"cronjobs"`` for a Pod controller kind, None for other kinds."""
    entry = CONTROLLERS.get(kind)
    return entry[2] if entry is not None else None


def can_autogen(match: Mapping[str, Any] | None) -> bool:
    """Whether ``matchConstraints`` select only Pods, so controller variants are generated."""
    if not match:
        return False
    for key in ("namespaceSelector", "objectSelector"):
        selector = match.get(key) or {}
        if selector.get("matchLabels") or selector.get("matchExpressions"):
            return False
    rules = match.get("resourceRules") or []
    if not rules:
        return False
    for rule in rules:
        if rule.get("resourceNames") or list(rule.get("resources") or []) != ["pods"]:
            return False
    return True


def autogen_controllers(spec: Mapping[str, Any]) -> list[str]:
    """The controller kinds a ValidatingPolicy spec is auto-generated for."""
    if not can_autogen(spec.get("matchConstraints")):
        return []
    configured = ((spec.get("autogen") or {}).get("podControllers") or {}).get("controllers")
    if configured is None:
        return list(CONTROLLERS)
    # Upstream keys this list by resource name ("deployments"); kinds are not recognised.
    return [_BY_RESOURCE[str(c)] for c in configured if str(c) in _BY_RESOURCE]


#: (id(spec), kind) -> (spec, variant). The spec is kept so that its id stays unique.
_CACHE: dict[tuple[int, str], tuple[Mapping[str, Any], dict[str, Any]]] = {}
_CACHE_MAX = 4096


def autogen_spec(spec: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The spec of the variant of ``spec`` for controller ``kind`` (upstream's rewrite).

    Cached by the identity of ``spec``: policies are not modified while they are evaluated.
    """
    key = (id(spec), kind)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    variant = _autogen_spec(spec, kind)
    _CACHE[key] = (spec, variant)
    return variant


def _autogen_spec(spec: Mapping[str, Any], kind: str) -> dict[str, Any]:
    group, resource, target = CONTROLLERS[kind]
    first = (spec.get("matchConstraints") or {}).get("resourceRules") or [{}]
    operations = first[0].get("operations") or ["*"]
    new = copy.deepcopy(dict(spec))
    new["matchConstraints"] = {
        "resourceRules": [
            {
                "apiGroups": [group],
                "apiVersions": ["v1"],
                "resources": [resource],
                "operations": operations,
            }
        ]
    }
    api_version = f"{group}/v1"
    guard = f"(object.apiVersion == '{api_version}' && object.kind =='{kind}')"
    prefix = "autogen" if target == "pods" else "autogen-cronjobs"
    new["matchConditions"] = [
        {
            "name": f"{prefix}-{cond.get('name', '')}",
            "expression": f"!({guard}) || ({cond.get('expression', '')})",
        }
        for cond in spec.get("matchConditions") or []
    ]
    rewritten: dict[str, Any] = json.loads(rewrite_cel(json.dumps(new), target))
    return rewritten
