"""OPA Gatekeeper, offline: ConstraintTemplates (Rego and CEL) and their constraints.

:func:`evaluate` answers for one admission request what every constraint says, in the shared
records of :mod:`gitopspol.engines.admission`; :mod:`.suite` runs gator ``Suite`` files.
The order of work follows Gatekeeper: enforcement point filter, ``spec.match``, then the
template's code with ``input.parameters`` = ``spec.parameters`` (``{}`` when absent).

Heavy modules (regorus, the CEL layer, jsonschema) are imported on first use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitopspol.engines.admission import Action, AdmissionRequest, RuleResult, Status
from gitopspol.engines.gatekeeper.match import MatchError, matches
from gitopspol.engines.gatekeeper.review import ReviewInput, review_of_request
from gitopspol.engines.gatekeeper.review import inventory as build_inventory
from gitopspol.engines.gatekeeper.template import (
    CompiledTemplate,
    Violation,
    compile_template,
    constraint_parameters_json,
)
from gitopspol.errors import PolicyError

__all__ = [
    "AUDIT_POINT",
    "GATOR_POINT",
    "WEBHOOK_POINT",
    "compile_templates",
    "constraint_id",
    "enforcement_actions",
    "evaluate",
    "prepare_constraints",
    "review_constraints",
    "review_each",
    "review_prepared",
]

ENGINE = "gatekeeper"
#: Gatekeeper enforcement points (``scopedEnforcementActions[].enforcementPoints[].name``).
WEBHOOK_POINT = "validation.gatekeeper.sh"
AUDIT_POINT = "audit.gatekeeper.sh"
GATOR_POINT = "gator.gatekeeper.sh"

_ACTIONS = {"deny": Action.DENY, "warn": Action.WARN, "dryrun": Action.AUDIT}


def constraint_id(constraint: Mapping[str, Any]) -> str:
    """``Kind/name`` of a constraint, the ``policy`` of its results."""
    meta = constraint.get("metadata") if isinstance(constraint.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    return f"{constraint.get('kind', '')}/{meta.get('name', '')}"


def _spec(constraint: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = constraint.get("spec")
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise PolicyError(f"constraint {constraint_id(constraint)}: spec must be a mapping")
    return spec


def enforcement_actions(constraint: Mapping[str, Any], point: str) -> tuple[Action, ...]:
    """The actions a constraint takes at enforcement ``point`` (empty: not enforced there).

    ``enforcementAction`` defaults to ``deny``. With ``scoped``, the actions are those of
    ``scopedEnforcementActions`` entries that list ``point`` (or ``*``).
    """
    spec = _spec(constraint)
    action = str(spec.get("enforcementAction") or "deny").lower()
    if action in _ACTIONS:
        return (_ACTIONS[action],)
    if action != "scoped":
        raise PolicyError(
            f"constraint {constraint_id(constraint)}: unknown enforcementAction {action!r}"
            " (expected deny, warn, dryrun or scoped)"
        )
    found: set[Action] = set()
    for entry in spec.get("scopedEnforcementActions") or []:
        if not isinstance(entry, Mapping):
            continue
        points = {str((p or {}).get("name", "")) for p in entry.get("enforcementPoints") or []}
        if point in points or "*" in points:
            scoped = str(entry.get("action", "")).lower()
            if scoped not in _ACTIONS:
                raise PolicyError(
                    f"constraint {constraint_id(constraint)}: unknown scoped action {scoped!r}"
                )
            found.add(_ACTIONS[scoped])
    return tuple(sorted(found, key=lambda a: a.rank))


@dataclass(frozen=True, slots=True)
class PreparedConstraint:
    """A constraint checked once (template, actions, parameters) for many reviews."""

    constraint: Mapping[str, Any]
    policy: str
    compiled: CompiledTemplate
    #: The actions at ``point``, the enforcement point it was prepared for.
    actions: tuple[Action, ...]
    point: str
    match: Any
    #: ``input.parameters`` as JSON.
    parameters_json: str
    #: Canonical JSON of ``match``: constraints with equal matches are matched once per review.
    match_key: str
    #: The results made of the last violation sets (by identity: the Rego memo returns the
    #: same set for inputs that agree), so that equal answers are the same objects.
    made: dict[int, tuple[Any, list[RuleResult]]] = field(default_factory=dict)

    def result(self, status: Status, message: str = "") -> RuleResult:
        """A result of this constraint."""
        return RuleResult(
            ENGINE, self.policy, self.compiled.template.name, status, message, self.actions
        )

    def failures(self, violations: Sequence[Violation]) -> list[RuleResult]:
        """One FAIL per violation (the same objects for the same violation set)."""
        made = self.made.get(id(violations))
        if made is None or made[0] is not violations:
            if len(self.made) >= 64:
                self.made.clear()
            made = (violations, [self.result(Status.FAIL, v.msg) for v in violations])
            self.made[id(violations)] = made
        return list(made[1])


def prepare_constraints(
    templates: Mapping[str, CompiledTemplate],
    constraints: Sequence[Mapping[str, Any]],
    enforcement_point: str = WEBHOOK_POINT,
) -> tuple[PreparedConstraint, ...]:
    """Check constraints for :func:`review_prepared`.

    Raises :class:`PolicyError` for an unknown kind, bad enforcementAction or invalid
    parameters (the first, in order).
    """
    prepared = []
    for constraint in constraints:
        policy = constraint_id(constraint)
        compiled = templates.get(str(constraint.get("kind", "")))
        if compiled is None:
            raise PolicyError(f"constraint {policy}: no ConstraintTemplate defines its kind")
        actions = enforcement_actions(constraint, enforcement_point)
        spec = _spec(constraint)
        parameters = spec.get("parameters")
        parameters_json = constraint_parameters_json(constraint)
        compiled.validate_parameters(
            policy, {} if parameters is None else parameters, parameters_json
        )
        match = spec.get("match")
        try:
            match_key = json.dumps(match, sort_keys=True)
        except (TypeError, ValueError):
            match_key = f"repr:{match!r}"
        prepared.append(
            PreparedConstraint(
                constraint,
                policy,
                compiled,
                actions,
                enforcement_point,
                match,
                parameters_json,
                match_key,
            )
        )
    return tuple(prepared)


def review_constraints(
    templates: Mapping[str, CompiledTemplate],
    constraints: Sequence[Mapping[str, Any]],
    review: Mapping[str, Any],
    *,
    namespace: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    enforcement_point: str = WEBHOOK_POINT,
) -> list[RuleResult]:
    """Review one AdmissionRequest document against constraints of compiled templates.

    ``templates`` maps a constraint kind to its compiled template. Each matched constraint
    yields one FAIL per violation (message = ``msg``) or one PASS; an unmatched one a SKIP;
    a match or evaluation error one ERROR (gator counts those as violations too). Raises
    :class:`PolicyError` for an unknown kind, bad enforcementAction or invalid parameters.
    """
    prepared = prepare_constraints(templates, constraints, enforcement_point)
    return review_prepared(prepared, review, namespace=namespace, data=data)


def review_prepared(
    prepared: Sequence[PreparedConstraint],
    review: Mapping[str, Any] | ReviewInput,
    *,
    namespace: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> list[RuleResult]:
    """:func:`review_constraints` on constraints prepared once; ``review`` may be a
    :class:`ReviewInput` shared by several calls (its ``namespace`` is then ignored)."""
    each = review_each(prepared, review, namespace=namespace, data=data)
    return [r for results in each for r in results]


def review_each(
    prepared: Sequence[PreparedConstraint],
    review: Mapping[str, Any] | ReviewInput,
    *,
    namespace: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> list[list[RuleResult]]:
    """:func:`review_prepared`, one list of results per constraint (in order)."""
    if not isinstance(review, ReviewInput):
        review = ReviewInput(review, namespace)
    return [_review_one(item, review, data or {}) for item in prepared]


def _review_one(
    item: PreparedConstraint, review: ReviewInput, data: Mapping[str, Any]
) -> list[RuleResult]:
    if not item.actions:
        return [item.result(Status.SKIP, f"not enforced at {item.point}")]
    try:
        selected = review.matched.get(item.match_key)
        if selected is None:
            selected = matches(item.match, review.obj, review.namespace)
            review.matched[item.match_key] = selected
        if not selected:
            return [item.result(Status.SKIP)]
        violations = item.compiled.backend.violations(
            review, item.constraint, data, item.parameters_json
        )
    except MatchError as exc:
        return [item.result(Status.ERROR, f"autoreject: {exc.message}")]
    except PolicyError as exc:
        return [item.result(Status.ERROR, exc.located())]
    return item.failures(violations) if violations else [item.result(Status.PASS)]


def compile_templates(
    templates: Sequence[Mapping[str, Any]], *, prefer_cel: bool = True
) -> dict[str, CompiledTemplate]:
    """Compile templates (cached by content) and index them by constraint kind."""
    compiled: dict[str, CompiledTemplate] = {}
    for doc in templates:
        one = compile_template(doc, prefer_cel=prefer_cel)
        compiled[one.template.kind] = one
    return compiled


def evaluate(
    templates: Sequence[dict[str, Any]],
    constraints: Sequence[dict[str, Any]],
    request: AdmissionRequest,
    *,
    inventory: Sequence[dict[str, Any]] = (),
    namespace: dict[str, Any] | None = None,
    enforcement_point: str = WEBHOOK_POINT,
) -> list[RuleResult]:
    """What Gatekeeper's constraints say about ``request`` (engine ``gatekeeper``).

    ``policy`` is the constraint ``Kind/name``, ``rule`` the template name; ``actions`` come
    from ``enforcementAction`` (deny→DENY, warn→WARN, dryrun→AUDIT; ``scoped`` is resolved
    for ``enforcement_point``, the admission webhook by default). ``inventory`` objects
    become ``data.inventory``; ``namespace`` is the request's Namespace object (for
    ``namespaceSelector`` and ``input.review.namespaceObject``). Raises :class:`PolicyError`
    when a template does not compile or a constraint is invalid.
    """
    data = {"inventory": build_inventory(inventory)} if inventory else None
    return review_constraints(
        compile_templates(templates),
        constraints,
        review_of_request(request),
        namespace=namespace if namespace is not None else request.namespace_object,
        data=data,
        enforcement_point=enforcement_point,
    )
