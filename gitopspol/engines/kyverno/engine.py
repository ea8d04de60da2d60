"""Evaluate kyverno.io ClusterPolicy / Policy rules on one admission request.

Upstream: ``pkg/engine/validation.go`` and ``pkg/engine/handlers/validation``. A rule that
does not match produces no result; preconditions that do not hold give SKIP; mutate,
generate and verifyImages rules give NOT_EVALUATED; a broken rule gives ERROR with a
message naming the policy, rule and field, and evaluation continues.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from gitopspol.engines.admission import Action, AdmissionRequest, RuleResult, Status
from gitopspol.engines.kyverno import exceptions, jmes
from gitopspol.engines.kyverno.autogen import expand_rules
from gitopspol.engines.kyverno.match import MatchInput, block_matches
from gitopspol.engines.kyverno.operators import evaluate_operator
from gitopspol.engines.kyverno.pattern import match_pattern
from gitopspol.engines.kyverno.podsecurity import evaluate_pod_security, pod_template
from gitopspol.errors import PolicyError

ENGINE = "kyverno"
#: Wall-clock limit for one rule on one request. Nested ``foreach`` over the lists of a large
#: resource multiply (two levels over 10,000 items are 10^8 iterations): stop and report.
TIME_LIMIT_SECONDS = 10.0
_NOT_EVALUATED = ("mutate", "generate", "verifyImages")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Inputs:
    """Data a rule sees besides the request (from a values file or the repository).

    ``variables`` are dotted context paths applied to every rule (values file
    ``globalValues`` and per-resource values); ``rule_values`` and ``foreach_values`` are
    per rule name.
    """

    variables: Mapping[str, Any] = field(default_factory=dict)
    rule_values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    foreach_values: Mapping[str, Mapping[str, Sequence[Any]]] = field(default_factory=dict)
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    cel_context: Any = None
    #: kyverno.io PolicyException documents that may exempt requests from rules.
    exceptions: Sequence[Mapping[str, Any]] = ()


class _RuleError(Exception):
    """A rule could not be evaluated; ``field`` names where in the rule."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: Status
    message: str = ""


# --- context -------------------------------------------------------------------------------


def set_path(context: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in a context dict, copying shared intermediate dicts (copy on write)."""
    parts = dotted.split(".")
    node = context
    for part in parts[:-1]:
        child = node.get(part)
        child = dict(child) if isinstance(child, dict) else {}
        node[part] = child
        node = child
    node[parts[-1]] = value


def _containers_images(spec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(key)
        if not isinstance(items, list):
            continue
        group = {}
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("image"), str):
                group[str(item.get("name", ""))] = jmes.image_info(item["image"])
        if group:
            out[key] = group
    return out


_LAST_BASE: list[Any] = [None, None]


def base_context(request: AdmissionRequest) -> dict[str, Any]:
    """The JSON context upstream builds for a request: request, user, images.

    Every rule gets its own shallow copy (context writes copy on write, see
    :func:`set_path`); the last request's context is reused, as rules of one request follow
    each other.
    """
    if _LAST_BASE[0] is request:
        return dict(_LAST_BASE[1])
    ctx = _build_base_context(request)
    _LAST_BASE[0], _LAST_BASE[1] = request, ctx
    return dict(ctx)


def _build_base_context(request: AdmissionRequest) -> dict[str, Any]:
    info = request.user_info
    user = {k: info[k] for k in ("username", "uid", "groups") if k in info}
    ctx: dict[str, Any] = {
        "request": {
            "operation": request.operation,
            "object": request.object,
            "oldObject": request.old_object,
            "userInfo": user,
            "roles": list(info.get("roles") or []),
            "clusterRoles": list(info.get("clusterRoles") or []),
            "dryRun": request.dry_run,
            # upstream NewPolicyContext: AddNamespace(resource.GetNamespace())
            "namespace": request.namespace,
        }
    }
    username = str(info.get("username", ""))
    if username.startswith("system:serviceaccount:"):
        parts = username.split(":")
        if len(parts) == 4:
            ctx["serviceAccountNamespace"], ctx["serviceAccountName"] = parts[2], parts[3]
    template = pod_template(request.resource)
    if template is not None:
        images = _containers_images(template["spec"])
        if images:
            ctx["images"] = images
    return ctx


# --- conditions ----------------------------------------------------------------------------


def _check_conditions(conditions: Any, context: Any, *, lenient: bool, where: str) -> bool:
    """any/all (or a legacy list, meaning all) of conditions, after substitution."""
    if conditions is None:
        return True
    try:
        resolved = jmes.substitute(conditions, context, lenient=lenient)
    except PolicyError as exc:
        raise _RuleError(where, f"failed to substitute variables: {exc.message}") from None
    if isinstance(resolved, list):
        return all(_condition(c, f"{where}[{i}]") for i, c in enumerate(resolved))
    if not isinstance(resolved, dict):
        raise _RuleError(where, "conditions must be a list or an any/all map")
    any_list = resolved.get("any")
    all_list = resolved.get("all")
    any_ok = True
    if any_list:
        any_ok = any(_condition(c, f"{where}.any[{i}]") for i, c in enumerate(any_list))
    all_ok = all(_condition(c, f"{where}.all[{i}]") for i, c in enumerate(all_list or []))
    return any_ok and all_ok


def _condition(condition: Any, where: str) -> bool:
    if not isinstance(condition, dict):
        raise _RuleError(where, "a condition must be a map with key, operator and value")
    try:
        return evaluate_operator(
            condition.get("operator"), condition.get("key"), condition.get("value")
        )
    except PolicyError as exc:
        raise _RuleError(f"{where}.operator", exc.message) from None


# --- context entries -----------------------------------------------------------------------


def _load_entries(
    entries: Any, context: dict[str, Any], preset: Mapping[str, Any], where: str
) -> None:
    """Load ``variable`` context entries into ``context``.

    Upstream loads context entries lazily (deferred loading): an entry that cannot be
    evaluated is an error only when an expression uses it. A failed entry is therefore
    recorded under :data:`jmes.DEFERRED` and raised by :func:`jmes.query` on first use.
    """
    for index, entry in enumerate(entries or []):
        if not isinstance(entry, dict):
            continue
        name = str(entry.get("name", ""))
        variable = entry.get("variable")
        if variable is None or name in preset:
            # apiCall, configMap, imageRegistry, globalReference: no cluster. The suite's
            # values file supplies their data (already in the context); otherwise they
            # are not loaded, as the Kyverno CLI does offline.
            continue
        try:
            value = _variable_value(variable, context)
            if value is None:
                raise PolicyError(f"variable {name} evaluated to null")
        except PolicyError as exc:
            failed = dict(context.get(jmes.DEFERRED) or {})
            failed[name] = f"{where}[{index}].variable: {exc.message}"
            context[jmes.DEFERRED] = failed
            continue
        set_path(context, name, value)


def _variable_value(variable: Mapping[str, Any], context: Any) -> Any:
    value = jmes.substitute(variable.get("value"), context) if "value" in variable else None
    path = variable.get("jmesPath")
    if path:
        path = jmes.substitute(path, context)
        try:
            value = jmes.query(str(path), value if "value" in variable else context)
        except jmes.UnresolvedVariable:
            value = None
    if value is None and "default" in variable:
        value = jmes.substitute(variable.get("default"), context)
    return value


# --- validate ------------------------------------------------------------------------------


def _message(validate: Mapping[str, Any], context: Any) -> str:
    message = validate.get("message")
    if not isinstance(message, str):
        return ""
    try:
        text = jmes.substitute(message, context, lenient=True)
    except PolicyError:
        return message
    return text if isinstance(text, str) else str(text)


def _pattern_outcome(resource: Any, pattern: Any, context: Any, where: str) -> _Outcome:
    try:
        resolved = jmes.substitute(pattern, context)
    except PolicyError as exc:
        raise _RuleError(where, f"variable substitution failed: {exc.message}") from None
    try:
        result = match_pattern(resource, resolved)
    except PolicyError as exc:
        raise _RuleError(where, exc.message) from None
    return _Outcome(Status(result.status), result.message)


def _any_pattern(resource: Any, patterns: Any, context: Any, where: str) -> _Outcome:
    if not isinstance(patterns, list) or not patterns:
        raise _RuleError(where, "anyPattern must be a non-empty list")
    skipped = 0
    messages = []
    for index, pattern in enumerate(patterns):
        outcome = _pattern_outcome(resource, pattern, context, f"{where}[{index}]")
        if outcome.status is Status.PASS:
            return outcome
        if outcome.status is Status.SKIP:
            skipped += 1
        messages.append(f"anyPattern[{index}]: {outcome.message}")
    if skipped == len(patterns):
        return _Outcome(Status.SKIP, "all patterns skipped")
    return _Outcome(Status.FAIL, "; ".join(messages))


@dataclass
class _RuleRun:
    """One rule being evaluated on one request (mutable: exceptions may add PSS excludes)."""

    policy: Mapping[str, Any]
    rule: Mapping[str, Any]
    request: AdmissionRequest
    inputs: Inputs
    #: podSecurity controls exempted by a PolicyException.
    extra_pss_excludes: list[Any] = field(default_factory=list)
    #: When the evaluation gives up (see :data:`TIME_LIMIT_SECONDS`).
    deadline: float = field(default_factory=lambda: time.monotonic() + TIME_LIMIT_SECONDS)

    def validate_block(
        self,
        block: Mapping[str, Any],
        context: dict[str, Any],
        resource: Any,
        where: str,
        nesting: int,
    ) -> _Outcome:
        """The checks of a validate block or a foreach entry (after preconditions).

        Upstream order: podSecurity, deny, pattern/anyPattern, then foreach.
        """
        if block.get("podSecurity") is not None and nesting == 0:
            outcome = self.pod_security(block["podSecurity"], f"{where}.podSecurity")
        elif block.get("manifests") is not None and nesting == 0:
            return _Outcome(
                Status.NOT_EVALUATED, "validate.manifests (signed manifests) is not evaluated"
            )
        elif "deny" in block:
            deny = block.get("deny") or {}
            conditions = deny.get("conditions") if isinstance(deny, dict) else None
            denied = conditions is None or _check_conditions(
                conditions, context, lenient=False, where=f"{where}.deny.conditions"
            )
            outcome = _Outcome(Status.FAIL if denied else Status.PASS)
        elif block.get("pattern") is not None:
            outcome = _pattern_outcome(resource, block["pattern"], context, f"{where}.pattern")
        elif block.get("anyPattern") is not None:
            outcome = _any_pattern(resource, block["anyPattern"], context, f"{where}.anyPattern")
        elif block.get("foreach") is not None:
            return self.foreach(block["foreach"], context, f"{where}.foreach", nesting)
        else:
            raise _RuleError(where, "no pattern, anyPattern, deny, foreach, podSecurity or cel")
        if outcome.status is Status.FAIL and nesting == 0:
            message = _message(self.rule.get("validate") or {}, context)
            detail = f"{message} {outcome.message}".strip() if outcome.message else message
            return _Outcome(Status.FAIL, detail)
        return outcome

    def foreach(self, entries: Any, context: dict[str, Any], where: str, nesting: int) -> _Outcome:
        if not isinstance(entries, list):
            raise _RuleError(where, "foreach must be a list")
        applied = 0
        rule_name = str(self.rule.get("name", ""))
        foreach_values = self.inputs.foreach_values.get(rule_name, {})
        for index, entry in enumerate(entries):
            here = f"{where}[{index}]"
            if not isinstance(entry, dict):
                raise _RuleError(here, "a foreach entry must be a map")
            expr = entry.get("list")
            if not isinstance(expr, str):
                raise _RuleError(f"{here}.list", "list must be a JMESPath string")
            try:
                expr_text = jmes.substitute(expr, context)
                elements = jmes.query(str(expr_text), context)
            except PolicyError:
                continue  # upstream logs and skips a list it cannot evaluate
            if elements is None:
                continue
            if not isinstance(elements, list):
                elements = [elements]
            last = len(elements) - 1
            for position, element in enumerate(elements):
                if time.monotonic() > self.deadline:
                    raise _RuleError(
                        here, f"evaluation stopped after {TIME_LIMIT_SECONDS:g} s (time limit)"
                    )
                if element is None:
                    continue
                local = dict(context)
                local["element"] = element
                local["elementIndex"] = position
                local[f"element{nesting}"] = element
                local[f"elementIndex{nesting}"] = position
                for name, series in foreach_values.items():
                    if isinstance(series, list) and position < len(series):
                        set_path(local, name, series[position])
                try:
                    _load_entries(entry.get("context"), local, {}, f"{here}.context")
                    if not _check_conditions(
                        entry.get("preconditions"),
                        local,
                        lenient=True,
                        where=f"{here}.preconditions",
                    ):
                        continue
                    scoped = self._scope(element, entry.get("elementScope"), here)
                    outcome = self.validate_block(entry, local, scoped, here, nesting + 1)
                except _RuleError:
                    if position < last:
                        continue  # upstream only reports an error on the last element
                    raise
                if outcome.status is Status.SKIP:
                    continue
                if outcome.status is not Status.PASS:
                    return outcome
                applied += 1
        if applied == 0:
            return _Outcome(Status.SKIP, "rule skipped")
        return _Outcome(Status.PASS)

    def _scope(self, element: Any, element_scope: Any, where: str) -> Any:
        """What a foreach pattern checks: the element when it is a map (upstream
        ``AddElementToContext``), else the whole resource."""
        if element_scope is True and not isinstance(element, dict):
            raise _RuleError(
                f"{where}.elementScope",
                "elementScope: true needs map elements, got " + type(element).__name__,
            )
        if element_scope is False or not isinstance(element, dict):
            return self.request.object
        return element

    def pod_security(self, settings: Mapping[str, Any], where: str) -> _Outcome:
        if self.extra_pss_excludes:
            excludes = list(settings.get("exclude") or []) + list(self.extra_pss_excludes)
            settings = {**settings, "exclude": excludes}
        try:
            failed, message = evaluate_pod_security(self.request.resource, settings)
        except PolicyError as exc:
            raise _RuleError(where, exc.message) from None
        return _Outcome(Status.FAIL if failed else Status.PASS, message)


def failure_action(
    policy: Mapping[str, Any],
    rule: Mapping[str, Any],
    request: AdmissionRequest,
    namespace_labels: Mapping[str, str],
) -> Action:
    """Effective failure action: rule ``failureAction``, overrides, then the policy default."""
    spec = policy.get("spec") or {}
    validate = rule.get("validate") or {}
    action = validate.get("failureAction") or spec.get("validationFailureAction") or "Audit"
    overrides = (
        validate.get("failureActionOverrides") or spec.get("validationFailureActionOverrides") or []
    )
    data = MatchInput(request, namespace_labels)
    for override in overrides:
        if not isinstance(override, dict):
            continue
        namespaces = override.get("namespaces") or []
        selector = override.get("namespaceSelector")
        from gitopspol.engines.kyverno.values import wildcard_match

        in_ns = not namespaces or any(wildcard_match(str(n), request.namespace) for n in namespaces)
        in_sel = selector is None or block_matches(
            {"resources": {"namespaceSelector": selector}}, data
        )
        if (namespaces or selector is not None) and in_ns and in_sel:
            action = override.get("action") or action
            break
    return Action.DENY if str(action).lower() == "enforce" else Action.AUDIT


def _rule_kind(rule: Mapping[str, Any]) -> str:
    for kind in ("validate", *_NOT_EVALUATED):
        if rule.get(kind) is not None:
            return kind
    return ""


def _as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def policy_name(policy: Mapping[str, Any]) -> str:
    """``name`` for ClusterPolicy, ``namespace/name`` for a namespaced Policy."""
    meta = _as_map(policy.get("metadata"))
    name = str(meta.get("name", ""))
    if policy.get("kind") == "Policy" and meta.get("namespace"):
        return f"{meta['namespace']}/{name}"
    return name


def _rule_context(request: AdmissionRequest, inputs: Inputs, rule_name: str) -> dict[str, Any]:
    """The JSON context of one rule: the request, then values-file variables."""
    context = base_context(request)
    for key, value in inputs.variables.items():
        set_path(context, key, value)
    for key, value in inputs.rule_values.get(rule_name, {}).items():
        set_path(context, key, value)
    return context


def _validate(
    run: _RuleRun, request: AdmissionRequest, kind: str, check_old: bool
) -> _Outcome | None:
    """Exceptions, context entries, preconditions, then the rule's checks.

    None when there is no response.
    """
    name = str(run.rule.get("name", ""))
    context = _rule_context(request, run.inputs, name)
    if run.inputs.exceptions:
        skipped = _exceptions(run, request, context)
        if skipped is not None:
            return skipped
    _load_entries(run.rule.get("context"), context, run.inputs.rule_values.get(name, {}), "context")
    if not _check_conditions(
        run.rule.get("preconditions"), context, lenient=True, where="preconditions"
    ):
        return _Outcome(Status.SKIP, "preconditions not met")
    if kind in _NOT_EVALUATED:
        # The rule applies and its preconditions hold: what it would do is unknown.
        return _Outcome(Status.NOT_EVALUATED, f"{kind} rules are not evaluated")
    validate = run.rule.get("validate")
    if not isinstance(validate, dict):
        raise _RuleError("validate", "validate must be a map")
    if validate.get("cel") is not None:
        return _cel(run.policy, run.rule, request, run.inputs)
    patterned = validate.get("pattern") is not None or validate.get("anyPattern") is not None
    if patterned and validate.get("deny") is None and request.operation == "DELETE":
        return None  # upstream: "skipping validation on deleted resource"
    outcome = run.validate_block(validate, context, request.object, "validate", 0)
    if (
        check_old
        and patterned
        and outcome is not None
        and request.operation == "UPDATE"
        and request.old_object is not None
    ):
        # upstream validateOldObject: an update that does not change the verdict of a
        # pattern rule is skipped (existing violations do not block updates).
        old = _validate(run, replace(request, object=request.old_object), kind, check_old=False)
        unchanged = old is not None and (old.status, old.message) == (
            outcome.status,
            outcome.message,
        )
        if unchanged and outcome.status is not Status.PASS:
            return _Outcome(
                Status.SKIP, "skipping modified resource as validation results have not changed"
            )
    return outcome


def _exceptions(
    run: _RuleRun, request: AdmissionRequest, context: dict[str, Any]
) -> _Outcome | None:
    """SKIP when a PolicyException applies (podSecurity rules get the exempted controls)."""
    name = str(run.rule.get("name", ""))
    applying = exceptions.matching(
        run.inputs.exceptions,
        policy_name(run.policy),
        name,
        MatchInput(request, run.inputs.namespace_labels),
        lambda conditions: _check_conditions(
            conditions, context, lenient=True, where="PolicyException conditions"
        ),
    )
    if not applying:
        return None
    validate = run.rule.get("validate") or {}
    controls = [c for e in applying for c in (e.get("spec") or {}).get("podSecurity") or []]
    if isinstance(validate, dict) and validate.get("podSecurity") is not None and controls:
        run.extra_pss_excludes = controls
        return None
    return _Outcome(
        Status.SKIP,
        "rule is skipped due to policy exceptions " + exceptions.exception_names(applying),
    )


#: What a rule that cannot be evaluated raises (besides :class:`_RuleError`): a structure
#: the Kyverno CRD does not allow (a string where a map belongs, ...), or too deep nesting.
_MALFORMED = (TypeError, AttributeError, ValueError, KeyError, IndexError, RecursionError)


def _failure(pname: str, name: str, exc: Exception) -> RuleResult:
    """The ERROR result of a rule that raised ``exc`` (a :class:`_RuleError` or _MALFORMED)."""
    if isinstance(exc, _RuleError):
        return _error(pname, name, exc.field, exc.message)
    if isinstance(exc, RecursionError):
        return _error(pname, name, "validate", "pattern nests too deeply")
    return _error(pname, name, "rule", f"malformed rule ({type(exc).__name__}: {exc})")


def _guarded(pname: str, name: str, step: Callable[[], _T]) -> _T | RuleResult:
    """``step()``, or the ERROR result of a rule that cannot be evaluated."""
    try:
        return step()
    except (_RuleError, *_MALFORMED) as exc:
        return _failure(pname, name, exc)


def _outcome(
    policy: Mapping[str, Any], rule: Mapping[str, Any], request: AdmissionRequest, inputs: Inputs
) -> RuleResult | None:
    """The result of a rule that applies, without actions; None when there is no response.

    Actions are left out: they come from the policy's failure action (see
    :func:`_with_actions`), which tiers change while the outcome stays the same.
    """
    pname, name = policy_name(policy), str(rule.get("name", ""))

    def step() -> RuleResult | None:
        kind = _rule_kind(rule)
        if not kind:
            raise _RuleError("rule", "no validate, mutate, generate or verifyImages block")
        outcome = _validate(_RuleRun(policy, rule, request, inputs), request, kind, check_old=True)
        if outcome is None:
            return None
        return RuleResult(ENGINE, pname, name, outcome.status, outcome.message)

    return _guarded(pname, name, step)


def _with_actions(
    result: RuleResult | None,
    policy: Mapping[str, Any],
    rule: Mapping[str, Any],
    request: AdmissionRequest,
    inputs: Inputs,
) -> RuleResult | None:
    """A FAIL outcome with the effective failure action of this policy and rule."""
    if result is None or result.status is not Status.FAIL:
        return result
    found = _guarded(
        result.policy,
        result.rule or "",
        lambda: failure_action(policy, rule, request, inputs.namespace_labels),
    )
    return found if isinstance(found, RuleResult) else replace(result, actions=(found,))


def _cel(
    policy: Mapping[str, Any], rule: Mapping[str, Any], request: AdmissionRequest, inputs: Inputs
) -> _Outcome:
    try:
        from gitopspol.engines import vpol
    except ImportError:
        return _Outcome(
            Status.ERROR,
            "validate.cel needs the CEL engine (gitopspol.engines.vpol), which is not available",
        )
    try:
        result = vpol.evaluate_cel_rule(
            dict(policy), dict(rule), request, context=inputs.cel_context
        )
    except PolicyError as exc:
        raise _RuleError("validate.cel", exc.message) from None
    if result.status is Status.ERROR:
        raise _RuleError("validate.cel", result.message)
    return _Outcome(result.status, result.message)


def _error(policy: str, rule: str, where: str, message: str) -> RuleResult:
    return RuleResult(
        ENGINE, policy, rule, Status.ERROR, f"policy {policy}, rule {rule}, {where}: {message}"
    )


#: Fields of a policy's ``spec`` that only decide the action of a failure, or background
#: scans: left out of the outcome key so that tiers which differ only there share outcomes.
_ACTION_FIELDS = frozenset(
    {"validationFailureAction", "validationFailureActionOverrides", "background"}
)
_RULE_ACTION_FIELDS = frozenset({"failureAction", "failureActionOverrides"})
#: Outcomes by (rule key, request key): see :class:`PolicySet`. Cleared when full.
_OUTCOMES: dict[tuple[str, str], RuleResult | None] = {}
_OUTCOMES_LIMIT = 200_000
_MISSING: Any = object()


def _canonical(value: Any) -> str:
    """A key equal for equal policy parts or requests: their ``repr``.

    Parsed YAML holds only builtin types, whose ``repr`` is exact; the tiers' copies of a
    policy keep the key order of the rendered base, so they get equal keys (a different
    order only costs a second evaluation, never a wrong answer). ``repr`` is several times
    cheaper than canonical JSON, and ``evaluate()`` prepares its policies on every call.
    """
    return repr(value)


def _outcome_key(policy: Mapping[str, Any], rule: Mapping[str, Any]) -> str:
    """Everything a rule's outcome depends on besides the request: the policy's identity and
    spec, and the rule without ``match``/``exclude`` (checked first) and action fields."""
    meta = _as_map(policy.get("metadata"))
    spec = _as_map(policy.get("spec"))
    validate = rule.get("validate")
    stripped = {k: v for k, v in rule.items() if k not in ("match", "exclude")}
    if isinstance(validate, dict):
        stripped["validate"] = {k: v for k, v in validate.items() if k not in _RULE_ACTION_FIELDS}
    return _canonical(
        [
            policy.get("kind"),
            meta.get("name"),
            meta.get("namespace"),
            {k: v for k, v in spec.items() if k != "rules" and k not in _ACTION_FIELDS},
            stripped,
        ]
    )


@dataclass(frozen=True, slots=True)
class _PreparedRule:
    rule: dict[str, Any]
    name: str
    match_key: str
    exclude_key: str
    #: Empty when the set does not remember outcomes.
    outcome_key: str
    #: ``match_key`` and ``exclude_key`` together.
    applies_key: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "applies_key", f"{self.match_key}\0{self.exclude_key}")


@dataclass(frozen=True, slots=True)
class _PreparedPolicy:
    policy: Mapping[str, Any]
    name: str
    rules: tuple[_PreparedRule, ...] = ()
    #: The ERROR result of a policy whose rules cannot be read.
    error: RuleResult | None = None


#: Policies prepared for one-shot sets, by content (``repr``): ``evaluate()`` calls prepare
#: the same policies again and again (auto-generated rules cost a JSON round trip each).
#: Entries hold copies, so that a caller changing its policy later cannot reach them.
_ONE_SHOT: dict[str, _PreparedPolicy] = {}
_ONE_SHOT_LIMIT = 4096


def _one_shot(policy: Mapping[str, Any]) -> _PreparedPolicy:
    key = repr(policy)
    found = _ONE_SHOT.get(key)
    if found is None:
        found = _prepare(copy.deepcopy(policy), remember=False)
        if len(_ONE_SHOT) >= _ONE_SHOT_LIMIT:
            _ONE_SHOT.clear()
        _ONE_SHOT[key] = found
    return found


def _prepare(policy: Mapping[str, Any], remember: bool) -> _PreparedPolicy:
    try:
        rules = expand_rules(policy)
    except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
        name = policy_name(policy)
        return _PreparedPolicy(
            policy, name, error=_error(name, "", "spec.rules", f"malformed rules: {exc}")
        )
    return _PreparedPolicy(
        policy,
        policy_name(policy),
        tuple(
            _PreparedRule(
                rule,
                str(rule.get("name", "")),
                _canonical(rule.get("match")),
                _canonical(rule.get("exclude")),
                _outcome_key(policy, rule) if remember else "",
            )
            for rule in rules
        ),
    )


class PolicySet:
    """kyverno.io policies prepared once (rules expanded, keys computed) for many requests.

    Every applicable rule (auto-generated ones included) of each policy gives one result
    (none when it does not apply), with two memos. Within one request,
    a ``match`` or ``exclude`` block is checked once however many rules repeat it. Across
    requests and policy sets (the tiers of a repository), a rule's outcome is computed once
    per distinct (policy spec and rule without action fields, request, inputs): tiers that
    differ only in failure actions, background or exclusions share the work, and the
    failure action is then applied per policy. Policies must not change while a set uses
    them. ``remember=False`` leaves outcomes out of the shared memo; see also
    :meth:`one_shot`.
    """

    def __init__(self, policies: Sequence[Mapping[str, Any]], *, remember: bool = True) -> None:
        self.policies = tuple(_prepare(p, remember) for p in policies)

    @classmethod
    def one_shot(cls, policies: Sequence[Mapping[str, Any]]) -> PolicySet:
        """A set for one request (``evaluate()``): outcomes are not remembered, and equal
        policies are prepared once per process (from copies)."""
        made = cls(())
        made.policies = tuple(_one_shot(p) for p in policies)
        return made

    def evaluate(
        self,
        request: AdmissionRequest | RequestInput,
        inputs: Inputs | None = None,
        only: Sequence[int] | None = None,
    ) -> list[RuleResult]:
        """The results of every policy (or of the policies at indexes ``only``) for a request
        with ``inputs``, or for a :class:`RequestInput` shared by several calls."""
        return [r for each in self.evaluate_each(request, inputs, only) for r in each]

    def evaluate_each(
        self,
        request: AdmissionRequest | RequestInput,
        inputs: Inputs | None = None,
        only: Sequence[int] | None = None,
    ) -> list[list[RuleResult]]:
        """:meth:`evaluate`, one list of results per policy (in order)."""
        if not isinstance(request, RequestInput):
            request = RequestInput(request, inputs or Inputs())
        out: list[list[RuleResult]] = []
        chosen = self.policies if only is None else [self.policies[i] for i in only]
        for prepared in chosen:
            results: list[RuleResult] = []
            out.append(results)
            policy = prepared.policy
            if _other_namespace(policy, request.request):
                continue
            if prepared.error is not None:
                results.append(prepared.error)
                continue
            for item in prepared.rules:
                try:
                    applies = request.applies(item)
                except (_RuleError, *_MALFORMED) as exc:
                    results.append(_failure(prepared.name, item.name, exc))
                    continue
                if applies:
                    result = request.outcome(policy, item)
                    if result is not None:
                        results.append(result)
        return out


class RequestInput:
    """One request and its inputs, for the policies of one or more :class:`PolicySet` calls:
    the ``match``/``exclude`` blocks already checked, and the key of its outcomes."""

    __slots__ = ("_key", "blocks", "data", "inputs", "request")

    def __init__(self, request: AdmissionRequest, inputs: Inputs) -> None:
        self.request = request
        self.inputs = inputs
        self.data = MatchInput(request, inputs.namespace_labels)
        self.blocks: dict[str, bool] = {}
        self._key: str | None = None

    def applies(self, item: _PreparedRule) -> bool:
        """``rule_applies``, each distinct block (and pair of blocks) checked once."""
        found = self.blocks.get(item.applies_key)
        if found is None:
            found = self._block(item.match_key, item.rule.get("match")) and not self._block(
                item.exclude_key, item.rule.get("exclude")
            )
            self.blocks[item.applies_key] = found
        return found

    def _block(self, key: str, block: Any) -> bool:
        found = self.blocks.get(key)
        if found is None:
            found = self.blocks[key] = block_matches(block, self.data)
        return found

    def outcome(self, policy: Mapping[str, Any], item: _PreparedRule) -> RuleResult | None:
        """The result of a rule that applies: its outcome (remembered when the inputs are
        plain data) with this policy's failure action."""
        request, inputs = self.request, self.inputs
        if not item.outcome_key or inputs.cel_context is not None:
            outcome = _outcome(policy, item.rule, request, inputs)
        else:
            if self._key is None:
                self._key = _request_key(request, inputs)
            key = (item.outcome_key, self._key)
            outcome = _OUTCOMES.get(key, _MISSING)
            if outcome is _MISSING:
                outcome = _outcome(policy, item.rule, request, inputs)
                if len(_OUTCOMES) >= _OUTCOMES_LIMIT:
                    _OUTCOMES.clear()
                _OUTCOMES[key] = outcome
        return _with_actions(outcome, policy, item.rule, request, inputs)


def _other_namespace(policy: Mapping[str, Any], request: AdmissionRequest) -> bool:
    """Whether ``policy`` is a namespaced Policy of another namespace than the request's."""
    meta = _as_map(policy.get("metadata"))
    return bool(
        policy.get("kind") == "Policy"
        and meta.get("namespace")
        and request.namespace != meta["namespace"]
    )


def _request_key(request: AdmissionRequest, inputs: Inputs) -> str:
    """Everything a rule's outcome depends on besides the rule: the request and inputs."""
    return _canonical(
        [
            request.object,
            request.old_object,
            request.operation,
            request.namespace_object,
            request.user_info,
            request.dry_run,
            inputs.variables,
            inputs.rule_values,
            inputs.foreach_values,
            inputs.namespace_labels,
            list(inputs.exceptions),
        ]
    )
