"""K8sNativeValidation (CEL) template code, through the shared CEL layer.

Semantics of open-policy-agent/frameworks ``drivers/k8scel``, which runs the template as a
ValidatingAdmissionPolicy: ``variables.params`` is the constraint's ``spec.parameters``
(null when absent), ``variables.anyObject`` the object (``oldObject`` on DELETE), ``params``
the whole constraint, ``request`` the AdmissionRequest; user ``variables`` follow in order.
``matchCondition`` entries that are false skip the review. A false validation yields its
``messageExpression`` (or ``message``, or ``failed expression: <expr>``). With the default
failure policy ``Fail``, an evaluation error is a violation whose message says so; with
``Ignore`` it is dropped. CEL templates have no referential data (no ``data.inventory``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitopspol.engines.gatekeeper.review import ReviewInput
from gitopspol.engines.gatekeeper.template import CEL, Violation, constraint_parameters
from gitopspol.errors import PolicyError


@dataclass(frozen=True, slots=True)
class _Validation:
    expression: Any
    text: str
    message: str
    message_expression: Any | None


def _entries(source: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    entries = source.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise PolicyError(f"{CEL} {key} must be a list of mappings")
    return entries


class CelBackend:
    """A K8sNativeValidation source compiled with :func:`gitopspol.engines.cel.compile_program`."""

    engine = CEL

    def __init__(self, source: Mapping[str, Any]) -> None:
        from gitopspol.engines.cel import compile_program

        policy = source.get("failurePolicy") or "Fail"
        if policy not in ("Fail", "Ignore"):
            raise PolicyError(f"{CEL}: unrecognized failure policy {policy!r}")
        self._ignore_errors = policy == "Ignore"
        self._variables = []
        for entry in _entries(source, "variables"):
            name = str(entry.get("name") or "")
            if name in ("params", "anyObject") or name.startswith("gatekeeper_internal_"):
                raise PolicyError(f"{CEL}: {name!r} is a reserved variable name")
            self._variables.append((name, compile_program(str(entry.get("expression", "")))))
        # frameworks reads the key ``matchCondition`` (singular); accept the plural as well.
        self._conditions = [
            compile_program(str(entry.get("expression", "")))
            for key in ("matchCondition", "matchConditions")
            for entry in _entries(source, key)
        ]
        self._validations = [
            _Validation(
                compile_program(str(entry.get("expression", ""))),
                str(entry.get("expression", "")),
                str(entry.get("message") or ""),
                compile_program(str(entry["messageExpression"]))
                if entry.get("messageExpression")
                else None,
            )
            for entry in _entries(source, "validations")
        ]

    def violations(
        self,
        review_input: ReviewInput,
        constraint: Mapping[str, Any],
        data: Mapping[str, Any],
        parameters_json: str | None = None,
    ) -> list[Violation]:
        review = review_input.doc
        parameters = constraint_parameters(constraint)
        obj = review.get("object")
        old = review.get("oldObject")
        any_object = old if review.get("operation") == "DELETE" and not obj else obj
        namespace = review.get("namespace")
        variables: dict[str, Any] = {"params": parameters, "anyObject": any_object}
        activation = {
            "object": obj,
            "oldObject": old,
            "request": {
                k: v
                for k, v in review.items()
                if k not in ("object", "oldObject", "namespaceObject")
            },
            "params": constraint,
            "namespaceObject": {"metadata": {"name": namespace}} if namespace else None,
            "variables": variables,
        }
        for name, program in self._variables:
            try:
                variables[name] = program.evaluate(activation)
            except PolicyError:
                continue  # reported when a validation uses it (VAP evaluates lazily)
        results: list[Violation] = []
        for condition in self._conditions:
            try:
                if condition.evaluate(activation) is not True:
                    return []
            except PolicyError as exc:
                return [] if self._ignore_errors else [Violation(exc.message)]
        for validation in self._validations:
            try:
                if validation.expression.evaluate(activation) is True:
                    continue
            except PolicyError as exc:
                if not self._ignore_errors:
                    results.append(Violation(exc.message))
                continue
            results.append(Violation(self._message(validation, activation)))
        return results

    @staticmethod
    def _message(validation: _Validation, activation: Mapping[str, Any]) -> str:
        if validation.message_expression is not None:
            try:
                text = validation.message_expression.evaluate(activation)
            except PolicyError:
                text = None
            if isinstance(text, str) and text.strip():
                return text
        return validation.message or f"failed expression: {validation.text.strip()}"
