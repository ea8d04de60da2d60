"""Evaluate CEL admission policies: Kyverno ValidatingPolicy, Kubernetes VAP, ``validate.cel``.

All three share one core (:func:`_evaluate`), which follows the Kubernetes
ValidatingAdmissionPolicy semantics:

1. ``matchConditions`` (``celPreconditions`` for a ``validate.cel`` rule): any false -> SKIP;
2. ``variables`` in order, each seeing the earlier ones as ``variables.<name>``;
3. ``validations`` (``expressions``), in order: the first that is false gives FAIL with its
   ``messageExpression`` (when it gives a non-empty string), else its ``message``, else
   ``failed expression: E``;
4. ``auditAnnotations`` are evaluated (an error is an error) but do not change the verdict.

An expression that cannot be evaluated gives ERROR, or SKIP when ``failurePolicy: Ignore``;
for ``validate.cel`` a validation that cannot be evaluated is a FAIL (the Kubernetes
validator library that Kyverno runs these rules on denies on an error). Variables are
evaluated eagerly; one that fails only matters when an expression uses it (Kubernetes
evaluates them lazily), and then its own error is reported.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from gitopspol.engines.admission import Action, AdmissionRequest, RuleResult, Status
from gitopspol.engines.cel import DEFAULT_VARIABLES, compile_program, library
from gitopspol.engines.cel.kinds import resource_for_kind
from gitopspol.engines.vpol import shape
from gitopspol.engines.vpol.autogen import autogen_controllers, autogen_spec
from gitopspol.engines.vpol.context import CelContext
from gitopspol.engines.vpol.matching import match_resources, selector_matches
from gitopspol.errors import PolicyError

_ACTIONS = {"Deny": Action.DENY, "Warn": Action.WARN, "Audit": Action.AUDIT}
_WORST_FIRST = {Status.ERROR: 0, Status.FAIL: 1, Status.PASS: 2, Status.SKIP: 3}


def request_data(request: AdmissionRequest) -> dict[str, Any]:
    """The ``request`` variable: an ``admission.k8s.io/v1`` AdmissionRequest as data."""
    group, version = request.group_version
    kind = {"group": group, "version": version, "kind": request.kind}
    resource = {"group": group, "version": version, "resource": resource_for_kind(request.kind)}
    user = dict(request.user_info)
    return {
        "uid": "",
        "kind": kind,
        "resource": resource,
        "requestKind": kind,
        "requestResource": resource,
        "name": request.name,
        "namespace": request.namespace,
        "operation": request.operation,
        "userInfo": {
            "username": str(user.get("username", "")),
            "uid": str(user.get("uid", "")),
            "groups": list(user.get("groups") or []),
            "extra": dict(user.get("extra") or {}),
        },
        "dryRun": request.dry_run,
        "options": {},
    }


def _activation(
    request: AdmissionRequest, params: Any, context: CelContext | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "object": request.object,
        "oldObject": request.old_object,
        "request": request_data(request),
        "params": params,
        "namespaceObject": request.namespace_object,
        "variables": {},
        "authorizer": library.AUTHORIZER,
    }
    data.update((context or CelContext()).activation())
    return data


def _actions(names: Any, default: tuple[Action, ...], where: str) -> tuple[Action, ...]:
    if not names:
        return default
    actions = []
    for name in names:
        if name not in _ACTIONS:
            raise PolicyError(f"{where}: unknown action {name!r} (Deny, Warn, Audit)")
        actions.append(_ACTIONS[name])
    return tuple(actions)


def _expression(entry: Any, where: str) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get("expression"), str):
        raise PolicyError(f"{where}: each entry needs a string 'expression'")
    return str(entry["expression"])


class _Scope:
    """One evaluation's activation and ``variables``.

    A variable whose value the runtime cannot take back as input (a timestamp, a duration,
    an optional) is inlined instead: later expressions get ``(its expression)`` in place
    of ``variables.<name>``, which is what lazy evaluation gives too. A variable that
    fails is left out; an expression using it reports the variable's own error.
    """

    def __init__(self, act: dict[str, Any]) -> None:
        self.act = act
        self.values: dict[str, Any] = {}
        act["variables"] = self.values
        self.failed: dict[str, PolicyError] = {}
        self.inline: list[tuple[re.Pattern[str], str]] = []

    def _text(self, expr: str) -> str:
        for pattern, replacement in self.inline:
            expr = pattern.sub(replacement.replace("\\", "\\\\"), expr)
        return expr

    def run(self, expr: str, where: str) -> Any:
        """Evaluate ``expr`` (found at ``where``) to plain data."""
        text = self._text(expr)
        try:
            return compile_program(text, DEFAULT_VARIABLES).evaluate(self.act)
        except PolicyError as exc:
            for name, error in self.failed.items():
                if f"variables.{name}" in text:
                    raise PolicyError(f"{where}: uses {error.message}") from None
            raise PolicyError(f"{where}: {exc.message}") from None

    def define(self, name: str, expr: str, where: str) -> None:
        """Evaluate and bind variable ``name`` (found at ``where``)."""
        text = self._text(expr)
        try:
            value = compile_program(text, DEFAULT_VARIABLES).evaluate_native(self.act)
        except PolicyError as exc:
            if "optional value" in exc.message:
                self._inline(name, text)
            else:
                self.failed[name] = PolicyError(f"variable {name!r} ({where}): {exc.message}")
            return
        if isinstance(value, _dt.datetime | _dt.timedelta):
            self._inline(name, text)
        else:
            self.values[name] = value

    def _inline(self, name: str, text: str) -> None:
        pattern = re.compile(rf"\bvariables\.{re.escape(name)}\b")
        self.inline.append((pattern, f"({text})"))


class _Fields(NamedTuple):
    """Where each list lives in the policy, for messages naming the field."""

    conditions: str
    variables: str
    validations: str
    annotations: str


_POLICY_FIELDS = _Fields(
    "spec.matchConditions", "spec.variables", "spec.validations", "spec.auditAnnotations"
)
_RULE_FIELDS = _Fields(
    "celPreconditions",
    "validate.cel.variables",
    "validate.cel.expressions",
    "validate.cel.auditAnnotations",
)


def _evaluate(
    *,
    engine: str,
    policy: str,
    rule: str | None,
    spec: Mapping[str, Any],
    conditions: Sequence[Any],
    validations: Sequence[Any],
    act: dict[str, Any],
    actions: tuple[Action, ...],
    fields: _Fields = _POLICY_FIELDS,
    errors_fail: bool = False,
) -> RuleResult:
    """The core shared by the three entry points (see the module docstring).

    Error messages start with the field (``spec.validations[2]: ...``); the result names
    the policy and rule. ``errors_fail``: a validation that cannot be evaluated is a FAIL,
    as the Kubernetes validator library decides (Kyverno ``validate.cel`` runs on it);
    ValidatingPolicy and VAP report an ERROR instead.
    """

    def result(status: Status, message: str = "") -> RuleResult:
        return RuleResult(engine, policy, rule, status, message, actions)

    ignore = spec.get("failurePolicy") == "Ignore"

    def error(message: str) -> RuleResult:
        if ignore:
            return result(Status.SKIP, f"error ignored (failurePolicy: Ignore): {message}")
        return result(Status.ERROR, message)

    scope = _Scope(act)
    try:
        for index, cond in enumerate(conditions):
            where = f"{fields.conditions}[{index}]"
            if not _boolean(scope, _expression(cond, where), where):
                return result(Status.SKIP, f"match condition {cond.get('name', index)!r} is false")
        for index, var in enumerate(spec.get("variables") or []):
            where = f"{fields.variables}[{index}]"
            scope.define(str(var.get("name", "")), _expression(var, where), where)
        # The first validation that is false or fails decides (Kyverno returns there too).
        for index, check in enumerate(validations):
            where = f"{fields.validations}[{index}]"
            try:
                value = _boolean(scope, _expression(check, where), where)
            except PolicyError as exc:
                if not errors_fail:
                    raise
                return result(Status.FAIL, f"expression resulted in an error: {exc.message}")
            if not value:
                return result(Status.FAIL, _message(check, scope))
        for index, note in enumerate(spec.get("auditAnnotations") or []):
            where = f"{fields.annotations}[{index}]"
            value_expr = note.get("valueExpression") if isinstance(note, dict) else None
            if not isinstance(value_expr, str):
                raise PolicyError(f"{where}: needs a string 'valueExpression'")
            scope.run(value_expr, where)
    except PolicyError as exc:
        return error(exc.message)
    return result(Status.PASS)


def _boolean(scope: _Scope, expr: str, where: str) -> bool:
    value = scope.run(expr, where)
    if value is not True and value is not False:
        raise PolicyError(f"{where}: expression must evaluate to bool, got {value!r}: {expr}")
    return value


def _message(check: Mapping[str, Any], scope: _Scope) -> str:
    text = check.get("messageExpression")
    if isinstance(text, str) and text.strip():
        try:
            value = scope.run(text, "messageExpression")
        except PolicyError:
            value = None
        if isinstance(value, str) and value.strip():
            return value.strip()
    message = check.get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()
    return f"failed expression: {check.get('expression', '')}"


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _spec(
    policy: Mapping[str, Any], fields: Mapping[str, Any] = shape.POLICY_SPEC
) -> Mapping[str, Any]:
    """``spec``, checked: a field of the wrong type is a PolicyError naming it."""
    if not isinstance(policy, dict):
        raise PolicyError(f"a policy must be a mapping, not {type(policy).__name__}")
    name = _metadata(policy).get("name", "?")
    spec = policy.get("spec")
    if not isinstance(spec, dict):
        raise PolicyError(f"policy {name!r} has no spec")
    found = shape.checked_problem(spec, fields, "spec")
    if found:
        raise PolicyError(f"{policy.get('kind', 'policy')} {name!r}: {found}")
    return spec


def evaluate_validating_policy(
    policy: dict[str, Any],
    request: AdmissionRequest,
    *,
    params: list[dict[str, Any]] | None = None,
    context: CelContext | None = None,
) -> list[RuleResult]:
    """Evaluate a ValidatingPolicy (``policies.kyverno.io``) or a VAP on one request.

    Returns no result when the policy does not apply (``matchConstraints`` do not select
    the request, also after auto-gen), else one result per evaluation (one, or one per
    parameter object for a VAP with ``paramKind``). A VAP given here has no binding: it is
    evaluated as if bound with ``validationActions: [Deny]`` and every given parameter of
    its ``paramKind``; use :func:`evaluate_vap` to honour a binding.
    """
    if not isinstance(policy, dict):
        raise PolicyError(f"a policy must be a mapping, not {type(policy).__name__}")
    group = str(policy.get("apiVersion", "")).partition("/")[0]
    kind = policy.get("kind")
    name = str(_metadata(policy).get("name", ""))
    if group == "admissionregistration.k8s.io" and kind == "ValidatingAdmissionPolicy":
        return evaluate_vap(policy, None, request, params=params, context=context)
    if group != "policies.kyverno.io" or kind not in (
        "ValidatingPolicy",
        "NamespacedValidatingPolicy",
    ):
        raise PolicyError(f"{kind} {name!r} is not a ValidatingPolicy")
    spec = _spec(policy)
    if kind == "NamespacedValidatingPolicy" and request.namespace != _metadata(policy).get(
        "namespace"
    ):
        return []
    if not match_resources(spec.get("matchConstraints") or {}, request):
        if request.kind not in autogen_controllers(spec):
            return []
        spec = autogen_spec(spec, request.kind)
        if not match_resources(spec["matchConstraints"], request):
            return []
    actions = _actions(
        spec.get("validationActions"), (Action.DENY,), f"policy {name!r} spec.validationActions"
    )
    param_values = _select_params(spec.get("paramKind"), None, params or [], request, name)
    return _evaluate_per_param("vpol", name, spec, param_values, request, context, actions)


def _evaluate_per_param(
    engine: str,
    name: str,
    spec: Mapping[str, Any],
    param_values: Sequence[Any],
    request: AdmissionRequest,
    context: CelContext | None,
    actions: tuple[Action, ...],
) -> list[RuleResult]:
    """One result per selected parameter object (one without params), as the API server."""
    return [
        _evaluate(
            engine=engine,
            policy=name,
            rule=None,
            spec=spec,
            conditions=spec.get("matchConditions") or [],
            validations=spec.get("validations") or [],
            act=_activation(request, value, context),
            actions=actions,
        )
        for value in param_values
    ]


def _select_params(
    param_kind: Any,
    param_ref: Any,
    params: Sequence[dict[str, Any]],
    request: AdmissionRequest,
    policy: str,
) -> list[Any]:
    """The parameter objects to evaluate with: ``[None]`` without ``paramKind``.

    Raises PolicyError when ``paramKind`` is set, nothing is found and the binding's
    ``parameterNotFoundAction`` is ``Deny`` (the default); returns ``[]`` for ``Allow``.
    """
    if not param_kind:
        return [None]
    api_version = str(param_kind.get("apiVersion", ""))
    kind = str(param_kind.get("kind", ""))
    found = [
        p
        for p in params
        if str(p.get("kind", "")) == kind
        and (not api_version or str(p.get("apiVersion", "")) == api_version)
    ]
    ref = param_ref or {}
    if ref.get("name"):
        found = [p for p in found if _metadata(p).get("name") == ref["name"]]
    namespace = ref.get("namespace") or None
    if namespace is None and ref and request.namespace:
        # an unset paramRef.namespace means the request's namespace for namespaced params
        namespace = request.namespace if any(_metadata(p).get("namespace") for p in found) else None
    if namespace is not None:
        found = [p for p in found if _metadata(p).get("namespace") == namespace]
    if ref.get("selector") is not None:
        found = [
            p
            for p in found
            if selector_matches(
                ref["selector"],
                {str(k): str(v) for k, v in (_metadata(p).get("labels") or {}).items()},
            )
        ]
    if found:
        return list(found)
    if ref.get("parameterNotFoundAction") == "Allow":
        return []
    raise PolicyError(
        f"policy {policy!r}: no params found for {kind} {ref.get('name') or ''}".rstrip()
        + " (parameterNotFoundAction: Deny)"
    )


def evaluate_vap(
    policy: dict[str, Any],
    binding: dict[str, Any] | None,
    request: AdmissionRequest,
    *,
    params: list[dict[str, Any]] | None = None,
    context: CelContext | None = None,
) -> list[RuleResult]:
    """Evaluate a ValidatingAdmissionPolicy through one ValidatingAdmissionPolicyBinding.

    The binding gives ``validationActions``, ``matchResources`` (narrowing the policy's
    ``matchConstraints``) and ``paramRef``; parameter objects are looked up in ``params``.
    One result per parameter object; none when the policy or binding does not match.
    A missing parameter with ``parameterNotFoundAction: Deny`` is a FAIL (the API server
    denies the request) and a binding without ``paramRef`` for a policy with ``paramKind``
    an ERROR; both are SKIP under ``failurePolicy: Ignore``.
    """
    name = str(_metadata(policy).get("name", ""))
    spec = _spec(policy)
    bspec: Mapping[str, Any] = (binding or {}).get("spec") or {}
    found = shape.checked_problem(bspec, shape.BINDING_SPEC, "spec")
    if found:
        raise PolicyError(f"binding {_metadata(binding or {}).get('name', '?')!r}: {found}")
    if binding is not None and bspec.get("policyName") not in (None, name):
        return []
    if not match_resources(spec.get("matchConstraints") or {}, request):
        return []
    if not match_resources(bspec.get("matchResources"), request, binding=True):
        return []
    binding_name = _metadata(binding or {}).get("name", "")
    actions = _actions(
        bspec.get("validationActions"),
        (Action.DENY,),
        f"binding {binding_name!r} spec.validationActions",
    )
    # A mis-configured binding is a failure of the policy: its failurePolicy decides
    # (k8s.io/apiserver .../policy/generic CollectParams).
    ignore = spec.get("failurePolicy") == "Ignore"
    if binding is not None and spec.get("paramKind") and not bspec.get("paramRef"):
        message = f"binding {binding_name!r}: paramKind is set but paramRef is missing"
        status = Status.SKIP if ignore else Status.ERROR
        return [RuleResult("vap", name, None, status, message, actions)]
    try:
        values = _select_params(
            spec.get("paramKind"), bspec.get("paramRef"), params or [], request, name
        )
    except PolicyError as exc:
        status = Status.SKIP if ignore else Status.FAIL
        return [RuleResult("vap", name, None, status, exc.message, actions)]
    return _evaluate_per_param("vap", name, spec, values, request, context, actions)


def evaluate_cel_rule(
    policy: dict[str, Any],
    rule: dict[str, Any],
    request: AdmissionRequest,
    *,
    context: CelContext | None = None,
    params: list[dict[str, Any]] | None = None,
) -> RuleResult:
    """Evaluate a ``kyverno.io/v1`` rule whose ``validate`` has ``cel:``, on a matched request.

    Match/exclude and auto-gen are the caller's (the request is the object as the rule
    sees it; use :func:`gitopspol.engines.vpol.autogen.rewrite_cel` for the rule's text).
    ``celPreconditions`` false -> SKIP. Parameter objects (``paramKind``/``paramRef``)
    come from ``params``, else from the context's resources. The action is the rule's
    ``validate.failureAction``, else the policy's ``validationFailureAction``
    (Enforce -> DENY, Audit -> AUDIT); namespace overrides are the caller's.
    """
    name = str(_metadata(policy).get("name", ""))
    if not isinstance(rule, dict):
        raise PolicyError(f"policy {name!r}: a rule must be a mapping")
    rule_name = str(rule.get("name", ""))
    found = shape.checked_problem(rule, shape.CEL_RULE, "")
    if found:
        raise PolicyError(f"policy {name!r} rule {rule_name!r}: {found}")
    validate = rule.get("validate") or {}
    cel = validate.get("cel")
    if not isinstance(cel, dict):
        raise PolicyError(f"policy {name!r} rule {rule_name!r}: validate.cel is not a mapping")
    action = (
        validate.get("failureAction") or _spec(policy, {}).get("validationFailureAction") or "Audit"
    )
    actions = (Action.DENY,) if str(action).lower() == "enforce" else (Action.AUDIT,)
    pool = params if params is not None else list((context or CelContext()).resources)
    try:
        values = _select_params(cel.get("paramKind"), cel.get("paramRef"), pool, request, name)
    except PolicyError as exc:
        return RuleResult("kyverno", name, rule_name, Status.ERROR, exc.message, actions)
    if not values:
        return RuleResult("kyverno", name, rule_name, Status.SKIP, "no params found", actions)
    results = [
        _evaluate(
            engine="kyverno",
            policy=name,
            rule=rule_name,
            spec=cel,
            conditions=rule.get("celPreconditions") or [],
            validations=cel.get("expressions") or [],
            act=_activation(request, value, context),
            actions=actions,
            fields=_RULE_FIELDS,
            errors_fail=True,
        )
        for value in values
    ]
    # One result per parameter object: the worst one stands for the rule.
    return min(results, key=lambda r: _WORST_FIRST.get(r.status, 0))


_VPOL_KINDS = ("ValidatingPolicy", "NamespacedValidatingPolicy")


def evaluate_all(
    objects: Sequence[Any], request: AdmissionRequest, *, context: CelContext | None = None
) -> list[RuleResult]:
    """Evaluate every CEL admission policy among ``objects`` (a rendered tier, a repository).

    ValidatingPolicies are evaluated on their own; each ValidatingAdmissionPolicy through
    each of its ValidatingAdmissionPolicyBindings found among ``objects`` (a VAP without a
    binding enforces nothing, as in a cluster), with ``objects`` as the parameter objects.
    Other objects are ignored. A policy that cannot be evaluated gives an ERROR result
    naming it, and the others are still evaluated.
    """
    docs = [o for o in objects if isinstance(o, dict)]

    def kind_of(doc: Mapping[str, Any]) -> tuple[str, str]:
        return str(doc.get("apiVersion", "")).partition("/")[0], str(doc.get("kind", ""))

    bindings: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        if kind_of(doc) == ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"):
            spec = doc.get("spec")
            target = spec.get("policyName") if isinstance(spec, dict) else None
            bindings.setdefault(str(target), []).append(doc)
    results: list[RuleResult] = []
    for doc in docs:
        group, kind = kind_of(doc)
        name = str(_metadata(doc).get("name", ""))
        try:
            if group == "policies.kyverno.io" and kind in _VPOL_KINDS:
                results.extend(evaluate_validating_policy(doc, request, context=context))
            elif (group, kind) == ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"):
                for binding in bindings.get(name, []):
                    results.extend(
                        evaluate_vap(doc, binding, request, params=docs, context=context)
                    )
        except PolicyError as exc:
            engine = "vpol" if group == "policies.kyverno.io" else "vap"
            results.append(RuleResult(engine, name, None, Status.ERROR, exc.message))
    return results
