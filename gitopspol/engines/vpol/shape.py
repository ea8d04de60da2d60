"""Check the shape of the policy fields this engine reads, before evaluating anything.

Policies come from users' repositories: a string where a list belongs must give a clear
:class:`~gitopspol.errors.PolicyError` naming the field, not an ``AttributeError``. Only
the types of the fields used here are checked (full schema validation against the CRDs is
the schema checks' job); unknown fields are ignored, absent or null fields are allowed.
"""

from __future__ import annotations

from typing import Any

# A shape is a Python type, a one-element list (a list of that shape) or a dict of shapes.
_STRINGS = [str]
_SELECTOR = {
    "matchLabels": dict,
    "matchExpressions": [{"key": str, "operator": str, "values": _STRINGS}],
}
_RULE = {
    "apiGroups": _STRINGS,
    "apiVersions": _STRINGS,
    "resources": _STRINGS,
    "operations": _STRINGS,
    "resourceNames": _STRINGS,
    "scope": str,
}
MATCH = {
    "resourceRules": [_RULE],
    "excludeResourceRules": [_RULE],
    "namespaceSelector": _SELECTOR,
    "objectSelector": _SELECTOR,
}
_EXPRESSION = {"name": str, "expression": str, "message": str, "messageExpression": str}
_PARAM_KIND = {"apiVersion": str, "kind": str}
PARAM_REF = {
    "name": str,
    "namespace": str,
    "selector": _SELECTOR,
    "parameterNotFoundAction": str,
}
_ANNOTATIONS = [{"key": str, "valueExpression": str}]

POLICY_SPEC = {
    "matchConstraints": MATCH,
    "matchConditions": [_EXPRESSION],
    "variables": [_EXPRESSION],
    "validations": [_EXPRESSION],
    "auditAnnotations": _ANNOTATIONS,
    "validationActions": _STRINGS,
    "failurePolicy": str,
    "paramKind": _PARAM_KIND,
    "autogen": {"podControllers": {"controllers": _STRINGS}},
}
BINDING_SPEC = {
    "policyName": str,
    "validationActions": _STRINGS,
    "matchResources": MATCH,
    "paramRef": PARAM_REF,
}
CEL_RULE = {
    "name": str,
    "celPreconditions": [_EXPRESSION],
    "validate": {
        "failureAction": str,
        "cel": {
            "expressions": [_EXPRESSION],
            "variables": [_EXPRESSION],
            "auditAnnotations": _ANNOTATIONS,
            "paramKind": _PARAM_KIND,
            "paramRef": PARAM_REF,
        },
    },
}

_NAMES: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}


#: (id(value), id(shape)) -> value, for values found well-formed (kept so ids stay unique).
_CHECKED: dict[tuple[int, int], Any] = {}


def checked_problem(value: Any, shape: Any, path: str) -> str | None:
    """:func:`problem`, remembered by identity for well-formed values.

    Policies are not modified while they are evaluated, so each one is checked once.
    """
    key = (id(value), id(shape))
    if _CHECKED.get(key) is value:
        return None
    found = problem(value, shape, path)
    if found is None:
        if len(_CHECKED) >= 4096:
            _CHECKED.clear()
        _CHECKED[key] = value
    return found


def problem(value: Any, shape: Any, path: str) -> str | None:
    """The first place where ``value`` does not have ``shape``, as ``path: expected ...``."""
    if value is None:
        return None
    if isinstance(shape, type):
        if isinstance(value, shape) and not (shape is str and isinstance(value, bool)):
            return None
        return f"{path}: expected {_NAMES.get(shape, shape.__name__)}, got {type(value).__name__}"
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{path}: expected a list, got {type(value).__name__}"
        for index, item in enumerate(value):
            if item is None and shape[0] is not str:
                return (
                    f"{path}[{index}]: expected {_NAMES.get(type(shape[0]), 'a value')}, got null"
                )
            found = problem(item, shape[0], f"{path}[{index}]")
            if found:
                return found
        return None
    if not isinstance(value, dict):
        return f"{path}: expected a mapping, got {type(value).__name__}"
    for key, inner in shape.items():
        found = problem(value.get(key), inner, f"{path}.{key}" if path else key)
        if found:
            return found
    return None
