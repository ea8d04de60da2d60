"""Schema validation of one manifest: built-in schemas, user CRDs, constraint parameters.

Results are values (:class:`SchemaProblem`), never exceptions: a broken manifest is a
finding. A kind no schema covers gives one problem with status ``NOT_VALIDATED``, so it is
never silently accepted.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError, best_match

from gitopspol.schema.builtin import (
    CompiledSchema,
    builtin_ref,
    builtin_validator,
    compile_schema,
    split,
)
from gitopspol.schema.crds import CONSTRAINTS_GROUP, CrdRegistry
from gitopspol.schema.fastcheck import prune_nulls
from gitopspol.schema.openapi import openapi_to_jsonschema

Path = tuple[str | int, ...]

#: The versions Gatekeeper serves every constraint kind in (frameworks ``crds/validate.go``).
CONSTRAINT_VERSIONS = ("v1beta1", "v1alpha1")
#: ``legacySchema`` default per ConstraintTemplate version (the upstream CRD's defaults).
_LEGACY_DEFAULT = {"v1": False, "v1beta1": True, "v1alpha1": True}
_MAX_VALUE_TEXT = 60
#: ``SchemaProblem.schema`` of problems found in a constraint's parameters (by its template).
PARAMETER_SCHEMA_PREFIX = "ConstraintTemplate "


class ProblemStatus(StrEnum):
    """Whether a problem is a schema violation or a kind that could not be checked."""

    INVALID = "invalid"
    NOT_VALIDATED = "not validated"


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """One schema problem: where in the document (keys and indexes), and what is wrong."""

    path: Path
    message: str
    status: ProblemStatus = ProblemStatus.INVALID
    #: Which schema said so: ``built-in`` or the CRD file it came from.
    schema: str = "built-in"

    @property
    def dotted_path(self) -> str:
        """The path as people write it: ``spec.rules[0].validate``; ``(root)`` when empty."""
        return dotted(self.path)

    def __str__(self) -> str:
        return f"{self.dotted_path}: {self.message}"


def dotted(path: Path) -> str:
    """``("spec", "rules", 0, "name")`` as ``spec.rules[0].name``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def validate_manifest(doc: Any, *, crds: CrdRegistry | None = None) -> list[SchemaProblem]:
    """Validate one manifest against the schema of its kind.

    A CRD given in ``crds`` wins over the built-in schema of the same apiVersion and kind.
    Gatekeeper constraints get their ``spec.parameters`` checked too when ``crds`` holds
    their ConstraintTemplate. Null-valued fields are dropped first, as the API server
    prunes them.
    """
    if not isinstance(doc, dict):
        return [SchemaProblem((), f"a manifest must be a mapping, not {_type_name(doc)}")]
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    missing = [
        SchemaProblem((), f'missing required field "{name}"')
        for name, value in (("apiVersion", api_version), ("kind", kind))
        if not isinstance(value, str) or not value
    ]
    if missing or not isinstance(api_version, str) or not isinstance(kind, str):
        return missing
    group, _, version = api_version.rpartition("/")
    if group == CONSTRAINTS_GROUP and version not in CONSTRAINT_VERSIONS:
        return [
            SchemaProblem(
                ("apiVersion",),
                f"Gatekeeper serves constraints only as {' and '.join(CONSTRAINT_VERSIONS)}",
            )
        ]
    validator, source = None, "built-in"
    if crds is not None:
        validator = crds.validator(api_version, kind)
        source = crds.source(api_version, kind) or source
    if validator is None:
        ref = builtin_ref(api_version, kind)
        if ref is not None:
            validator, source = builtin_validator(ref), "built-in"
    if validator is None:
        return [
            SchemaProblem(
                (),
                f"no schema for {api_version} {kind}: not validated (give its CRD with --crd)",
                ProblemStatus.NOT_VALIDATED,
                "none",
            )
        ]
    problems = list(_problems(validator, doc, (), source))
    template = crds.template(kind) if crds is not None else None
    if group == CONSTRAINTS_GROUP and template is not None:
        problems += validate_constraint_parameters(template, doc)
    return sorted(set(problems), key=_sort_key)


def validate_constraint_parameters(template: Any, constraint: Any) -> list[SchemaProblem]:
    """Validate a constraint's ``spec.parameters`` against its template's parameter schema.

    The schema is ``spec.crd.spec.validation.openAPIV3Schema``, converted like a CRD's.
    With ``legacySchema: true`` (the default of ConstraintTemplate v1beta1 and v1alpha1, not
    of v1) Gatekeeper adds ``x-kubernetes-preserve-unknown-fields`` to every level, so only
    unknown *fields* are allowed; types, enums and required fields are still checked. A
    constraint whose kind is not the template's gets one problem at ``kind``.
    """
    if not isinstance(template, dict) or not isinstance(constraint, dict):
        return []
    crd_spec = _dig(template, "spec", "crd", "spec")
    expected_kind = _dig(crd_spec, "names", "kind")
    source = PARAMETER_SCHEMA_PREFIX + str(_dig(template, "metadata", "name") or expected_kind)
    if expected_kind and constraint.get("kind") != expected_kind:
        message = (
            f"constraint kind {constraint.get('kind')!r} is not the template's {expected_kind!r}"
        )
        return [SchemaProblem(("kind",), message, schema=source)]
    validation = _dig(crd_spec, "validation")
    schema = _dig(validation, "openAPIV3Schema")
    if not isinstance(schema, dict):
        return []
    legacy = _dig(validation, "legacySchema")
    if not isinstance(legacy, bool):
        version = str(template.get("apiVersion", "")).rpartition("/")[2]
        legacy = _LEGACY_DEFAULT.get(version, False)
    parameters = _dig(constraint, "spec", "parameters")
    if parameters is None:
        return []
    try:
        validator = _parameter_validator(json.dumps(schema, sort_keys=True), legacy)
        found = list(_problems(validator, parameters, ("spec", "parameters"), source))
    except (SchemaError, re.error) as exc:
        message = f"the template's parameter schema is not usable: {_first_line(exc)}"
        return [SchemaProblem(("spec", "parameters"), message, schema=source)]
    return sorted(set(found), key=_sort_key)


# One entry per distinct parameter schema: a 2,000-template repository must not thrash it
# (a miss costs about 1 ms, mostly jsonschema's check_schema).
@functools.lru_cache(maxsize=4096)
def _parameter_validator(schema_json: str, legacy: bool) -> CompiledSchema:
    schema = openapi_to_jsonschema(json.loads(schema_json), preserve_all=legacy)
    Draft202012Validator.check_schema(schema)
    return compile_schema(schema)


def _problems(
    validator: CompiledSchema, instance: Any, prefix: Path, source: str
) -> Iterator[SchemaProblem]:
    for path, message in _explained(validator, instance):
        yield SchemaProblem(prefix + path, message, schema=source)


def _explained(validator: CompiledSchema, instance: Any) -> Iterator[tuple[Path, str]]:
    """``(path, message)`` of every problem of ``instance``, as jsonschema finds them.

    jsonschema walks the whole instance, and is slow; the fast check is not. So the walk
    goes down only into the fields and items the fast check refuses (:func:`split`), and
    jsonschema explains the smallest parts it must: a policy with one unknown field costs
    about as much as a valid one.
    """
    if validator.passes(instance):
        return
    parts = split(validator) if isinstance(instance, dict | list) else None
    if parts is None:
        for error in validator.validator.iter_errors(prune_nulls(instance)):
            yield from _explain(error)
        return
    # The shell checks the node's own keywords (its children accept any value).
    for error in parts.shell.validator.iter_errors(prune_nulls(instance)):
        yield from _explain(error)
    if isinstance(instance, dict):
        for name, value in instance.items():
            field = parts.properties.get(name) if isinstance(name, str) else None
            if field is not None and value is not None:
                yield from (((name, *path), text) for path, text in _explained(field, value))
    elif parts.items is not None:
        for index, item in enumerate(instance):
            yield from (((index, *path), text) for path, text in _explained(parts.items, item))


def _explain(error: ValidationError) -> Iterator[tuple[Path, str]]:
    """Turn one jsonschema error into ``(path, message)`` pairs people can act on."""
    path: Path = tuple(error.absolute_path)
    keyword, value = error.validator, error.instance
    expected: Any = error.validator_value
    if keyword in ("anyOf", "oneOf") and error.context:
        # An int-or-string or a choice of shapes: explain the branch that came closest.
        yield from _explain(best_match(error.context))
    elif keyword == "additionalProperties" and expected is False and isinstance(value, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        patterns = (
            error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}
        )
        for key in value:
            if key not in known and not any(re.search(p, str(key)) for p in patterns):
                yield (*path, key), f'unknown field "{key}"'
    elif keyword == "required" and isinstance(value, dict):
        for name in expected:
            if name not in value:
                yield path, f'missing required field "{name}"'
    elif keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        yield path, f"must be of type {wanted}, not {_type_name(value)}"
    elif keyword == "enum":
        allowed = ", ".join(json.dumps(item) for item in expected)
        yield path, f"unsupported value {_short(value)}: must be one of {allowed}"
    elif keyword == "const":
        yield path, f"must be {json.dumps(expected)}, not {_short(value)}"
    elif keyword in ("pattern", "maxLength", "minLength"):
        yield _invalid_text(error, path, keyword, expected, value)
    elif keyword == "uniqueItems":
        yield path, "has duplicate items (the list is a set)"
    elif keyword == "not":
        yield path, "is a combination of fields that is not allowed here"
    else:
        yield path, _first_line(error)


def _invalid_text(
    error: ValidationError, path: Path, keyword: str, expected: Any, value: Any
) -> tuple[Path, str]:
    """A string that breaks a pattern or length; a bad mapping key is reported at the key."""
    what = "value"
    if "propertyNames" in error.schema_path:
        path, what = (*path, value), "key"
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "x-gitopspol-expect" in schema:
        rule = f"must be {schema['x-gitopspol-expect']}"
    elif keyword == "pattern":
        rule = f"must match {expected}"
    else:
        rule = f"{'at most' if keyword == 'maxLength' else 'at least'} {expected} characters"
    return path, f"invalid {what} {_short(value)}: {rule}"


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= _MAX_VALUE_TEXT else text[: _MAX_VALUE_TEXT - 3] + "..."


def _first_line(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error)
    return str(message).splitlines()[0][:300]


def _sort_key(problem: SchemaProblem) -> tuple[str, str]:
    return json.dumps(problem.path), problem.message
