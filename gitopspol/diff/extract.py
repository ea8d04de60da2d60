"""What each policy kind sets, as comparable :class:`~gitopspol.diff.model.Setting` values.

Covered: Kyverno ClusterPolicy/Policy (per-rule failure action with the deprecated
``spec.validationFailureAction`` and per-namespace overrides, match, exclude, podSecurity,
pattern alternatives and ``NotIn`` condition lists), Kyverno PolicyException, Kyverno
ValidatingPolicy and Kubernetes ValidatingAdmissionPolicy/Binding (``validationActions``,
match and exclude rules), Gatekeeper constraints (``enforcementAction`` including
``scoped``, match, ``excludedNamespaces``, list parameters classified by name) and
Namespaces (Pod Security Admission labels, resolved as the admission plugin does),
Kubewarden policies and policy groups (``spec.mode``, ``failurePolicy``; the rest as content,
judged by :func:`gitopspol.engines.kubewarden.compare` in :mod:`gitopspol.diff.compare`). CEL
variables holding a literal list (``registries: ["ubuntu"]``) are classified by name like
Gatekeeper parameters.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gitopspol.checks.base import Subject, path_to_pointer, resource_id
from gitopspol.diff.model import Category, PolicyView, Setting

KYVERNO_ACTIONS = {"audit": 0, "enforce": 1}
GATEKEEPER_ACTIONS = {"dryrun": 0, "warn": 1, "deny": 2}
VALIDATION_ACTIONS = {"audit": 0, "warn": 1, "deny": 2}
FAILURE_POLICIES = {"ignore": 0, "fail": 1}
KUBEWARDEN_MODES = {"monitor": 0, "protect": 1}
KUBEWARDEN_GROUP = "policies.kubewarden.io"
#: The admission webhook's enforcement point (Gatekeeper ``scopedEnforcementActions``).
WEBHOOK_POINT = "validation.gatekeeper.sh"
PSA_PREFIX = "pod-security.kubernetes.io/"

#: Gatekeeper parameter names, by what a longer list means (checked in this order).
_EXEMPT = re.compile(r"exempt|exclud|ignor|skip", re.IGNORECASE)
_DENY = re.compile(
    r"disallow|forbid|deny|denied|block|ban|requir|mandator|drop|prohibit|tags|labels",
    re.IGNORECASE,
)
_ALLOW = re.compile(
    r"allow|repos|registr|permit|trust|whitelist|volumes|capabilit|hostpath|ports|sysctl"
    r"|types|profiles|groups|ranges",
    re.IGNORECASE,
)


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def canonical(value: Any) -> str:
    """Canonical JSON text (sorted keys) of a value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def atoms(value: Any, prefix: str = "") -> set[str]:
    """``path=value`` strings for every scalar leaf (list indexes dropped: lists are sets)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            out |= atoms(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for item in value:
            out |= atoms(item, prefix)
    elif value is not None:
        scalar = value if isinstance(value, str) else json.dumps(value)
        out.add(f"{prefix}={scalar}" if prefix else scalar)
    return out


def failure_policy(spec: Mapping[str, Any]) -> Setting:
    """``spec.failurePolicy`` (``Ignore`` < ``Fail``, the default of Kyverno and VAPs)."""
    value = str(spec.get("failurePolicy") or "Fail")
    rank = FAILURE_POLICIES.get(value.lower(), -1)
    pointer = "/spec/failurePolicy" if "failurePolicy" in spec else "/spec"
    return Setting(Category.FAILURE_POLICY, "", "failurePolicy", {"": (rank, value)}, pointer)


def _without(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def _group(data: Mapping[str, Any]) -> str:
    api = str(data.get("apiVersion") or "")
    return api.rpartition("/")[0] if "/" in api else ""


# -- Kyverno ----------------------------------------------------------------------------------


def _kyverno_rule(
    spec: dict[str, Any], rule: dict[str, Any], index: int, name: str
) -> Iterator[Setting]:
    base = ("spec", "rules", index)
    validate = _map(rule.get("validate"))
    if "validate" in rule:
        if isinstance(validate.get("failureAction"), str):
            action, pointer = (
                validate["failureAction"],
                path_to_pointer((*base, "validate", "failureAction")),
            )
        elif isinstance(spec.get("validationFailureAction"), str):
            action, pointer = spec["validationFailureAction"], "/spec/validationFailureAction"
        else:
            action, pointer = "Audit", path_to_pointer((*base, "validate"))
        scoped: dict[str, tuple[Any, str]] = {"": (KYVERNO_ACTIONS.get(action.lower(), -1), action)}
        overrides = validate.get("failureActionOverrides")
        if overrides is None:
            overrides = spec.get("validationFailureActionOverrides")
        for override in _list(overrides):
            act = str(_map(override).get("action", ""))
            for ns in _list(_map(override).get("namespaces")):
                scoped[f"namespace {ns}"] = (KYVERNO_ACTIONS.get(act.lower(), -1), act)
        yield Setting(Category.KYVERNO_ACTION, name, "failureAction", scoped, pointer)
        pod = _map(validate.get("podSecurity"))
        if pod:
            yield from _pod_security_settings(
                name,
                "podSecurity",
                str(pod.get("level", "")),
                str(pod.get("version", "latest")),
                path_to_pointer((*base, "validate", "podSecurity", "level")),
                path_to_pointer((*base, "validate", "podSecurity", "version")),
            )
            if pod.get("exclude"):
                yield Setting(
                    Category.EXCLUSION,
                    name,
                    "podSecurity.exclude",
                    frozenset(atoms(pod["exclude"])),
                    path_to_pointer((*base, "validate", "podSecurity", "exclude")),
                )
        for key in ("pattern", "anyPattern"):
            if key in validate:
                yield from _pattern_lists(name, validate[key], (*base, "validate", key), key)
        for i, each in enumerate(_list(validate.get("foreach"))):
            for key in ("pattern", "anyPattern"):
                if key in _map(each):
                    where = (*base, "validate", "foreach", i, key)
                    yield from _pattern_lists(name, each[key], where, f"foreach[{i}].{key}")
        yield from _condition_lists(name, _map(validate.get("deny")).get("conditions"), base)
    if rule.get("exclude"):
        yield Setting(
            Category.EXCLUSION,
            name,
            "exclude",
            frozenset(atoms(rule["exclude"])),
            path_to_pointer((*base, "exclude")),
        )
    yield Setting(
        Category.MATCH,
        name,
        "match",
        frozenset(atoms(rule.get("match"))),
        path_to_pointer((*base, "match")),
    )
    content = dict(rule)
    content.pop("exclude", None)
    content.pop("match", None)
    if validate:
        content["validate"] = _without(validate, "failureAction", "failureActionOverrides")
    yield Setting(Category.CONTENT, name, "content", canonical(content), path_to_pointer(base))


def _pattern_lists(
    rule: str, pattern: Any, where: tuple[str | int, ...], label: str
) -> Iterator[Setting]:
    """String leaves of a pattern are allow-lists: ``a* | b*`` allows either."""
    if isinstance(pattern, dict):
        for key, value in pattern.items():
            yield from _pattern_lists(rule, value, (*where, key), f"{label}.{key}")
    elif isinstance(pattern, list):
        for i, value in enumerate(pattern):
            yield from _pattern_lists(rule, value, (*where, i), f"{label}[{i}]")
    elif isinstance(pattern, str) and not pattern.lstrip().startswith("!"):
        values = frozenset(part.strip() for part in pattern.split("|") if part.strip())
        yield Setting(Category.ALLOW_LIST, rule, label, values, path_to_pointer(where))


def _condition_lists(rule: str, conditions: Any, base: tuple[str | int, ...]) -> Iterator[Setting]:
    """``NotIn`` lists of deny conditions are allow-lists; ``In`` lists are deny-lists."""
    blocks: list[tuple[str, list[Any]]] = []
    if isinstance(conditions, list):
        blocks.append(("", conditions))
    for key in ("any", "all"):
        blocks.append((key, _list(_map(conditions).get(key))))
    for block, items in blocks:
        for i, condition in enumerate(items):
            condition = _map(condition)
            operator = str(condition.get("operator", ""))
            value = condition.get("value")
            if not isinstance(value, list) or not operator.endswith("In"):
                continue
            category = Category.ALLOW_LIST if "NotIn" in operator else Category.DENY_LIST
            where = (*base, "validate", "deny", "conditions", *((block,) if block else ()), i)
            aspect = f"deny.conditions {condition.get('key')} {operator}"
            values = frozenset(str(v) for v in value)
            yield Setting(category, rule, aspect, values, path_to_pointer((*where, "value")))


def kyverno_policy(data: dict[str, Any]) -> tuple[list[str], list[Setting]]:
    """Rule names and settings of a Kyverno ClusterPolicy/Policy."""
    spec = _map(data.get("spec"))
    names: list[str] = []
    settings: list[Setting] = []
    for index, rule in enumerate(_list(spec.get("rules"))):
        rule = _map(rule)
        name = str(rule.get("name") or f"#{index}")
        names.append(name)
        settings.extend(_kyverno_rule(spec, rule, index, name))
    settings.append(failure_policy(spec))
    rest = _without(
        spec,
        "rules",
        "validationFailureAction",
        "validationFailureActionOverrides",
        "failurePolicy",
    )
    settings.append(Setting(Category.CONTENT, "", "spec", canonical(rest), "/spec"))
    return names, settings


# -- Pod Security -----------------------------------------------------------------------------


def _pod_security_settings(
    rule: str, aspect: str, level: str, version: str, level_ptr: str, version_ptr: str
) -> Iterator[Setting]:
    from gitopspol.engines.psa.versions import LATEST, LEVELS, NEWEST_MINOR, is_version

    level_rank = LEVELS.index(level) if level in LEVELS else -1
    yield Setting(Category.POD_SECURITY, rule, aspect, {"": (level_rank, level)}, level_ptr)
    if is_version(version):
        minor = NEWEST_MINOR + 1 if version == LATEST else int(version.split(".")[1])
    else:
        minor = -1
    # Versions of one level compare; a changed level is reported by the level setting.
    rank = (level_rank, 0 if level_rank == 0 else minor)
    yield Setting(
        Category.POD_SECURITY, rule, f"{aspect}-version", {"": (rank, version)}, version_ptr
    )


def namespace_settings(data: dict[str, Any]) -> list[Setting]:
    """Pod Security Admission levels per mode, resolved as the admission plugin does."""
    from gitopspol.engines.psa.namespace import MODES, namespace_levels

    labels = _map(_map(data.get("metadata")).get("labels"))
    if not any(str(key).startswith(PSA_PREFIX) for key in labels):
        return []
    levels = namespace_levels(labels)
    settings: list[Setting] = []
    for mode in MODES:
        level, version = levels[mode]
        pointer = path_to_pointer(("metadata", "labels", PSA_PREFIX + mode))
        version_pointer = path_to_pointer(("metadata", "labels", f"{PSA_PREFIX}{mode}-version"))
        settings.extend(_pod_security_settings("", mode, level, version, pointer, version_pointer))
    return settings


# -- Gatekeeper -------------------------------------------------------------------------------


def classify_parameter(name: str) -> Category:
    """What a longer list parameter of a constraint means, from its name."""
    if _EXEMPT.search(name):
        return Category.EXCLUSION
    if _DENY.search(name):
        return Category.DENY_LIST
    if _ALLOW.search(name):
        return Category.ALLOW_LIST
    return Category.CONTENT


def constraint_settings(data: dict[str, Any]) -> list[Setting]:
    """Enforcement action, match and parameters of a Gatekeeper constraint."""
    spec = _map(data.get("spec"))
    settings: list[Setting] = []
    action = str(spec.get("enforcementAction") or "deny")
    scoped: dict[str, tuple[Any, str]]
    if action.lower() == "scoped":
        scoped = {"": (-1, "none")}
        for entry in _list(spec.get("scopedEnforcementActions")):
            act = str(_map(entry).get("action", ""))
            rank = GATEKEEPER_ACTIONS.get(act.lower(), -1)
            for point in _list(_map(entry).get("enforcementPoints")):
                name = str(_map(point).get("name", ""))
                scope = "" if name in (WEBHOOK_POINT, "*") else f"point {name}"
                if rank > scoped.get(scope, (-2, ""))[0]:
                    scoped[scope] = (rank, act)
        pointer = "/spec/scopedEnforcementActions"
    else:
        scoped = {"": (GATEKEEPER_ACTIONS.get(action.lower(), -1), action)}
        pointer = "/spec/enforcementAction" if "enforcementAction" in spec else "/spec"
    settings.append(Setting(Category.GATEKEEPER_ACTION, "", "enforcementAction", scoped, pointer))
    match = _map(spec.get("match"))
    for key in ("excludedNamespaces",):
        if match.get(key):
            settings.append(
                Setting(
                    Category.EXCLUSION,
                    "",
                    f"match.{key}",
                    frozenset(atoms(match[key])),
                    path_to_pointer(("spec", "match", key)),
                )
            )
    settings.append(
        Setting(
            Category.MATCH,
            "",
            "match",
            frozenset(atoms(_without(match, "excludedNamespaces"))),
            "/spec/match",
        )
    )
    params = spec.get("parameters")
    for key, value in _map(params).items():
        pointer = path_to_pointer(("spec", "parameters", key))
        category = classify_parameter(str(key))
        if isinstance(value, list) and category is not Category.CONTENT:
            items = frozenset(v if isinstance(v, str) else canonical(v) for v in value)
            settings.append(Setting(category, "", f"parameters.{key}", items, pointer))
        else:
            settings.append(
                Setting(Category.CONTENT, "", f"parameters.{key}", canonical(value), pointer)
            )
    rest = _without(spec, "enforcementAction", "scopedEnforcementActions", "match", "parameters")
    settings.append(Setting(Category.CONTENT, "", "spec", canonical(rest), "/spec"))
    return settings


# -- ValidatingPolicy / ValidatingAdmissionPolicy ---------------------------------------------


def _actions(value: Any) -> dict[str, tuple[Any, str]]:
    actions = [str(a) for a in _list(value)]
    rank = max((VALIDATION_ACTIONS.get(a.lower(), -1) for a in actions), default=-1)
    return {"": (rank, ", ".join(actions) or "(unset)")}


def _match_resources(spec: Mapping[str, Any], key: str) -> list[Setting]:
    match = _map(spec.get(key))
    settings = []
    if match.get("excludeResourceRules"):
        settings.append(
            Setting(
                Category.EXCLUSION,
                "",
                f"{key}.excludeResourceRules",
                frozenset(atoms(match["excludeResourceRules"])),
                path_to_pointer(("spec", key, "excludeResourceRules")),
            )
        )
    settings.append(
        Setting(
            Category.MATCH,
            "",
            key,
            frozenset(atoms(_without(match, "excludeResourceRules"))),
            path_to_pointer(("spec", key)),
        )
    )
    return settings


def _variable_lists(spec: Mapping[str, Any]) -> list[Setting]:
    """CEL variables that are literal lists (``["ubuntu", "ghcr.io/acme/"]``), classified by
    their name like Gatekeeper parameters (``registries`` is an allow-list)."""
    settings = []
    for index, variable in enumerate(_list(spec.get("variables"))):
        name = str(_map(variable).get("name") or "")
        expression = _map(variable).get("expression")
        category = classify_parameter(name)
        if category is Category.CONTENT or not isinstance(expression, str):
            continue
        try:
            value = ast.literal_eval(expression.strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue  # not a literal: compared as content
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            continue
        pointer = path_to_pointer(("spec", "variables", index, "expression"))
        items = frozenset(str(v) for v in value)
        settings.append(Setting(category, "", f"variables.{name}", items, pointer))
    return settings


def validation_settings(data: dict[str, Any], match_key: str) -> list[Setting]:
    """``validationActions``, match/exclude rules and the rest of a ValidatingPolicy-like spec."""
    spec = _map(data.get("spec"))
    settings: list[Setting] = []
    if "validationActions" in spec or data.get("kind") != "ValidatingAdmissionPolicy":
        pointer = "/spec/validationActions" if "validationActions" in spec else "/spec"
        settings.append(
            Setting(
                Category.VALIDATION_ACTIONS,
                "",
                "validationActions",
                _actions(spec.get("validationActions")),
                pointer,
            )
        )
    settings.extend(_match_resources(spec, match_key))
    if data.get("kind") != "ValidatingAdmissionPolicyBinding":
        settings.append(failure_policy(spec))
    listed = _variable_lists(spec)
    settings.extend(listed)
    rest = _without(spec, "validationActions", match_key, "failurePolicy")
    if listed:
        names = {setting.aspect.removeprefix("variables.") for setting in listed}
        rest["variables"] = [
            v for v in _list(spec.get("variables")) if _map(v).get("name") not in names
        ]
    settings.append(Setting(Category.CONTENT, "", "spec", canonical(rest), "/spec"))
    return settings


# -- Kubewarden ------------------------------------------------------------------------------


def is_kubewarden(data: Mapping[str, Any]) -> bool:
    """Whether a document is a Kubewarden policy or policy group."""
    from gitopspol.engines.kubewarden import GROUP_KINDS, POLICY_KINDS

    return _group(data) == KUBEWARDEN_GROUP and data.get("kind") in POLICY_KINDS | GROUP_KINDS


def kubewarden_settings(data: dict[str, Any]) -> list[Setting]:
    """``spec.mode`` (``protect`` when unset), ``failurePolicy`` and the rest of the spec."""
    spec = _map(data.get("spec"))
    mode = str(spec.get("mode") or "protect")
    pointer = "/spec/mode" if "mode" in spec else "/spec"
    rank = KUBEWARDEN_MODES.get(mode.lower(), -1)
    return [
        Setting(Category.KUBEWARDEN_MODE, "", "mode", {"": (rank, mode)}, pointer),
        failure_policy(spec),
        Setting(
            Category.CONTENT,
            "",
            "spec",
            canonical(_without(spec, "mode", "failurePolicy")),
            "/spec",
        ),
    ]


# -- policies of a tier -----------------------------------------------------------------------

_KYVERNO_POLICIES = frozenset({"ClusterPolicy", "Policy"})
_VALIDATING = frozenset({"ValidatingPolicy", "NamespacedValidatingPolicy"})


def policy_view(subject: Subject) -> PolicyView | None:
    """The comparable view of a rendered document, or None for kinds that set no policy."""
    data = subject.data
    kind = str(data.get("kind") or "")
    group = _group(data)
    name = str(_map(data.get("metadata")).get("name") or "")
    rules: list[str] = []
    exemption = False
    if group == "kyverno.io" and kind in _KYVERNO_POLICIES:
        rules, settings = kyverno_policy(data)
    elif group in ("kyverno.io", "policies.kyverno.io") and kind == "PolicyException":
        exemption = True
        settings = [
            Setting(
                Category.EXCLUSION, "", "exception", frozenset(atoms(data.get("spec"))), "/spec"
            )
        ]
    elif (group == "policies.kyverno.io" and kind in _VALIDATING) or (
        group == "admissionregistration.k8s.io" and kind == "ValidatingAdmissionPolicy"
    ):
        settings = validation_settings(data, "matchConstraints")
    elif group == "admissionregistration.k8s.io" and kind == "ValidatingAdmissionPolicyBinding":
        settings = validation_settings(data, "matchResources")
    elif group == "constraints.gatekeeper.sh":
        settings = constraint_settings(data)
    elif group == "templates.gatekeeper.sh" and kind == "ConstraintTemplate":
        content = canonical(data.get("spec"))
        settings = [Setting(Category.CONTENT, "", "spec", content, "/spec")]
    elif is_kubewarden(data):
        settings = kubewarden_settings(data)
    elif group == "" and kind == "Namespace":
        settings = namespace_settings(data)
        if not settings:
            return None
    else:
        return None
    return PolicyView(
        resource_id(data), kind, name, subject, tuple(rules), tuple(settings), exemption
    )


def policy_views(documents: Iterable[Subject]) -> dict[str, PolicyView]:
    """Views of every policy document, by ``Kind/name`` (``Kind/namespace/name``)."""
    views: dict[str, PolicyView] = {}
    for doc in documents:
        view = policy_view(doc)
        if view is not None and view.key not in views:
            views[view.key] = view
    return views
