"""ConstraintTemplates: read one, pick its engine as gator does, compile it once.

A template targets ``admission.k8s.gatekeeper.sh`` with Rego (``rego`` + ``libs``, or a
``code[]`` entry with engine ``Rego``) and/or CEL (a ``code[]`` entry with engine
``K8sNativeValidation``). When a template has both, gator (``--enable-k8s-native-validation``,
on by default) uses CEL; :func:`compile_template` does the same unless told otherwise.
Rego is v0 unless ``source.version: v1`` (gatekeeper-library templates are all v0).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gitopspol import yamlio
from gitopspol.engines.gatekeeper.review import ReviewInput
from gitopspol.errors import PolicyError

TARGET = "admission.k8s.gatekeeper.sh"
REGO = "Rego"
CEL = "K8sNativeValidation"


@dataclass(frozen=True, slots=True)
class Violation:
    """One result of a template's code: gator's ``msg`` and optional ``details``."""

    msg: str
    details: Any = None


class Backend(Protocol):
    """A compiled template body: reviews one input document."""

    engine: str

    def violations(
        self,
        review: ReviewInput,
        constraint: Mapping[str, Any],
        data: Mapping[str, Any],
        parameters_json: str | None = None,
    ) -> Sequence[Violation]:
        """Violations of ``constraint`` for one review (``parameters_json``: its
        :func:`parameters_json`, when already known)."""
        ...


@dataclass(frozen=True, slots=True)
class RegoSource:
    """The Rego of a template: main module, libs, and whether it is v0 syntax."""

    rego: str
    libs: tuple[str, ...]
    v0: bool
    #: YAML path of the ``rego`` value and of the ``libs`` list, for locating errors.
    yaml_path: tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Template:
    """The parts of a ConstraintTemplate the engine uses."""

    name: str
    kind: str
    schema: Mapping[str, Any] | None
    rego: RegoSource | None
    cel: Mapping[str, Any] | None


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyError(f"{what} must be a mapping, got {type(value).__name__}")
    return value


def _rego_source(source: Mapping[str, Any], path: tuple[str | int, ...]) -> RegoSource:
    rego = source.get("rego")
    if not isinstance(rego, str) or not rego.strip():
        raise PolicyError("template Rego source is empty")
    libs = source.get("libs") or []
    if not isinstance(libs, list) or not all(isinstance(lib, str) for lib in libs):
        raise PolicyError("template libs must be a list of Rego modules")
    version = str(source.get("version") or "v0")
    if version not in ("v0", "v1"):
        raise PolicyError(f"unknown Rego version {version!r} (expected v0 or v1)")
    return RegoSource(rego, tuple(libs), version == "v0", path)


def parse_template(doc: Any) -> Template:
    """Read a ConstraintTemplate document; raises :class:`PolicyError` when it is unusable."""
    doc = _mapping(doc, "a ConstraintTemplate")
    if doc.get("kind") != "ConstraintTemplate":
        raise PolicyError(f"expected kind ConstraintTemplate, got {doc.get('kind')!r}")
    name = str(_mapping(doc.get("metadata"), "metadata").get("name") or "")
    spec = _mapping(doc.get("spec"), "spec")
    crd = _mapping(_mapping(spec.get("crd"), "spec.crd").get("spec"), "spec.crd.spec")
    kind = str(_mapping(crd.get("names"), "spec.crd.spec.names").get("kind") or "")
    if not name or not kind:
        raise PolicyError("ConstraintTemplate needs metadata.name and spec.crd.spec.names.kind")
    if name != kind.lower():  # Gatekeeper refuses such templates
        raise PolicyError(
            f"ConstraintTemplate name {name!r} must be {kind.lower()!r}, its kind in lowercase"
        )
    validation = _mapping(crd.get("validation"), "spec.crd.spec.validation")
    schema = validation.get("openAPIV3Schema")
    targets = spec.get("targets") or []
    if not isinstance(targets, list) or len(targets) != 1:
        raise PolicyError("ConstraintTemplate must have exactly one target")
    target = _mapping(targets[0], "spec.targets[0]")
    if target.get("target") != TARGET:
        raise PolicyError(f"unsupported target {target.get('target')!r} (expected {TARGET})")
    rego: RegoSource | None = None
    cel: Mapping[str, Any] | None = None
    if target.get("rego"):
        rego = _rego_source(target, ("spec", "targets", 0))
    for index, code in enumerate(target.get("code") or []):
        code = _mapping(code, f"spec.targets[0].code[{index}]")
        source = _mapping(code.get("source"), f"spec.targets[0].code[{index}].source")
        if code.get("engine") == REGO and rego is None:
            rego = _rego_source(source, ("spec", "targets", 0, "code", index, "source"))
        elif code.get("engine") == CEL:
            cel = source
    if rego is None and cel is None:
        raise PolicyError(f"template {name} has no Rego or {CEL} code")
    return Template(name, kind, schema if isinstance(schema, Mapping) else None, rego, cel)


def constraint_parameters(constraint: Mapping[str, Any]) -> Any:
    """``spec.parameters`` of a constraint, None when absent."""
    spec = constraint.get("spec")
    return spec.get("parameters") if isinstance(spec, Mapping) else None


def constraint_parameters_json(constraint: Mapping[str, Any]) -> str:
    """``spec.parameters`` as canonical JSON (``{}`` when absent): ``input.parameters``."""
    parameters = constraint_parameters(constraint)
    return json.dumps({} if parameters is None else parameters, sort_keys=True)


class RegoBackend:
    """A template's Rego compiled by :mod:`gitopspol.engines.gatekeeper.rego`."""

    engine = REGO

    def __init__(self, source: RegoSource, name: str) -> None:
        from gitopspol.engines.gatekeeper import rego

        self._program = rego.compile_modules(source.rego, source.libs, v0=source.v0, name=name)

    def violations(
        self,
        review: ReviewInput,
        constraint: Mapping[str, Any],
        data: Mapping[str, Any],
        parameters_json: str | None = None,
    ) -> Sequence[Violation]:
        if parameters_json is None:
            parameters_json = constraint_parameters_json(constraint)

        def evaluate() -> tuple[Violation, ...]:
            doc = f'{{"review":{review.json},"parameters":{parameters_json}}}'
            return tuple(_violation(item) for item in self._program.violations(doc, data))

        # Inputs that agree on what the Rego reads give the same set (inventory: not kept);
        # the same tuple object, so that callers may remember what they made of it.
        key = None if data else self._program.input_key(review.doc, parameters_json)
        return self._program.memo_violations(key, evaluate)


def _violation(item: Any) -> Violation:
    if not isinstance(item, Mapping) or "msg" not in item:
        raise PolicyError(f"violation result {json.dumps(item)} has no msg")
    msg = item["msg"]
    return Violation(msg if isinstance(msg, str) else json.dumps(msg), item.get("details"))


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A template ready to review objects: its engine backend and its parameter schema."""

    template: Template
    backend: Backend
    #: ``openAPIV3Schema`` as canonical JSON (the key of its validator), computed once.
    schema_json: str = field(init=False, default="")

    def __post_init__(self) -> None:
        if self.template.schema is not None:
            object.__setattr__(
                self, "schema_json", json.dumps(self.template.schema, sort_keys=True)
            )

    def validate_parameters(
        self, constraint_id: str, parameters: Any, parameters_json: str | None = None
    ) -> None:
        """Check ``spec.parameters`` against ``openAPIV3Schema``; raises :class:`PolicyError`.

        ``parameters_json``: ``parameters`` as canonical JSON, when already known.
        """
        if self.template.schema is None:
            return
        if parameters_json is None:
            parameters_json = json.dumps(parameters, sort_keys=True)
        errors = _parameter_errors(self.schema_json, parameters_json)
        if errors:
            raise PolicyError(
                f"constraint {constraint_id}: invalid parameters: " + "; ".join(errors)
            )


@functools.lru_cache(maxsize=64)
def _schema_validator(schema_json: str) -> Any:
    """A jsonschema validator for one openAPIV3Schema (given as canonical JSON)."""
    import jsonschema

    return jsonschema.Draft7Validator(_openapi_to_jsonschema(json.loads(schema_json)))


@functools.lru_cache(maxsize=4096)
def _parameter_errors(schema_json: str, parameters_json: str) -> tuple[str, ...]:
    """The schema errors of one parameters value, one line each (cached: constraints repeat)."""
    validator = _schema_validator(schema_json)
    found = sorted(
        validator.iter_errors(json.loads(parameters_json)),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    return tuple(
        "spec.parameters"
        + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        + f": {error.message}"
        for error in found
    )


def _openapi_to_jsonschema(schema: Any) -> Any:
    """OpenAPI v3 ``nullable: true`` means the value may also be null (JSON Schema has no such key)."""
    if isinstance(schema, dict):
        out = {k: _openapi_to_jsonschema(v) for k, v in schema.items()}
        if out.get("nullable") is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(schema, list):
        return [_openapi_to_jsonschema(v) for v in schema]
    return schema


def _backend(template: Template, prefer_cel: bool) -> Backend:
    if template.cel is not None and (prefer_cel or template.rego is None):
        from gitopspol.engines.gatekeeper.cel import CelBackend

        return CelBackend(template.cel)
    assert template.rego is not None
    return RegoBackend(template.rego, template.name)


@functools.lru_cache(maxsize=2048)
def _compile_cached(key: str, prefer_cel: bool) -> CompiledTemplate:
    template = parse_template(json.loads(key))
    return CompiledTemplate(template, _backend(template, prefer_cel))


def compile_template(
    doc: Mapping[str, Any], *, prefer_cel: bool = True, source: str | Path | None = None
) -> CompiledTemplate:
    """Compile a ConstraintTemplate once (cached by content) for :func:`review`.

    ``prefer_cel`` picks CEL when a template has both CEL and Rego, as gator does by default.
    Raises :class:`PolicyError`; with ``source`` (the template file), a Rego compile error
    is located at the line of the template file that holds the bad Rego line.
    """
    # Only metadata.name of the metadata matters: tiers that label or annotate the same
    # template (every overlay does) share one compiled program.
    meta = doc.get("metadata")
    keyed = {**doc, "metadata": {"name": meta.get("name")}} if isinstance(meta, Mapping) else doc
    key = json.dumps(keyed, sort_keys=True)
    try:
        return _compile_cached(key, prefer_cel)
    except PolicyError as exc:
        if source is None:
            raise
        raise PolicyError(exc.message, source, _locate_rego_line(doc, exc, source)) from None


def _locate_rego_line(doc: Mapping[str, Any], exc: PolicyError, source: str | Path) -> int | None:
    """Map ``<name>.rego:<line>`` / ``<name>.libN.rego:<line>`` back into the YAML file."""
    if exc.file is None or exc.line is None:
        return None
    try:
        template = parse_template(doc)
        assert template.rego is not None
        path: Sequence[str | int] = (*template.rego.yaml_path, "rego")
        module = exc.file.rsplit(".", 1)[0]
        if ".lib" in module:
            path = (*template.rego.yaml_path, "libs", int(module.rsplit(".lib", 1)[1]))
        text = yamlio.read_text(source)
        where = yamlio.locate(text, 0, path)
    except (PolicyError, AssertionError, ValueError, OSError):
        return None
    # The value is a block scalar: its first line is the line after the indicator.
    return where[0] + exc.line if where else None
