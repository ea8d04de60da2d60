"""User-supplied CustomResourceDefinitions (``validate --crd PATH``), converted to JSON Schema.

A :class:`CrdRegistry` holds the converted ``openAPIV3Schema`` of every served version of
every CRD it was given, and the ConstraintTemplates it was given (each defines a Gatekeeper
constraint kind whose ``spec.parameters`` schema is the template's).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.errors import InputError
from gitopspol.schema.builtin import CompiledSchema, compile_schema
from gitopspol.schema.openapi import openapi_to_jsonschema

_YAML_SUFFIXES = (".yaml", ".yml", ".json")
CONSTRAINTS_GROUP = "constraints.gatekeeper.sh"


class CrdRegistry:
    """Converted CRD schemas by ``(apiVersion, kind)``; validators compiled on first use."""

    __slots__ = ("_match", "_schemas", "_sources", "_templates", "_validators")

    def __init__(self) -> None:
        self._schemas: dict[tuple[str, str], dict[str, Any]] = {}
        self._sources: dict[tuple[str, str], str] = {}
        self._templates: dict[str, dict[str, Any]] = {}
        self._match: dict[str, Any] | None = None
        self._validators: dict[tuple[str, str], CompiledSchema] = {}

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path]) -> CrdRegistry:
        """Load every CRD (and ConstraintTemplate) in these files or folders (recursively).

        Multi-document files and ``kind: List`` are read; other documents are ignored. A
        path that does not exist, or a file that is not YAML, is an :class:`InputError`.
        """
        registry = cls()
        for path in paths:
            p = Path(path)
            if p.is_dir():
                files = sorted(f for f in p.rglob("*") if f.suffix in _YAML_SUFFIXES)
            elif p.exists():
                files = [p]
            else:
                raise InputError("no such file or folder (given as a CRD path)", p)
            for file in files:
                for _, _, doc in yamlio.iter_documents([file]):
                    registry.add(doc, str(file))
        return registry

    def add(self, doc: Any, source: str = "<memory>") -> None:
        """Register one document: a CRD, a ConstraintTemplate or a List of them."""
        if not isinstance(doc, dict):
            return
        kind = doc.get("kind")
        if kind == "List":
            for item in doc.get("items") or []:
                self.add(item, source)
        elif kind == "CustomResourceDefinition":
            self._add_crd(doc, source)
        elif kind == "ConstraintTemplate":
            names = ((doc.get("spec") or {}).get("crd") or {}).get("spec", {}).get("names", {})
            if isinstance(names, dict) and isinstance(names.get("kind"), str):
                self._templates[names["kind"]] = doc

    def _add_crd(self, doc: dict[str, Any], source: str) -> None:
        spec = doc.get("spec")
        if not isinstance(spec, dict):
            raise InputError("CustomResourceDefinition without a spec", source)
        group = spec.get("group", "")
        kind = (spec.get("names") or {}).get("kind")
        if not isinstance(kind, str) or not isinstance(group, str):
            raise InputError("CustomResourceDefinition without spec.group or names.kind", source)
        # apiextensions.k8s.io/v1beta1 had one schema for all versions in spec.validation.
        shared = (spec.get("validation") or {}).get("openAPIV3Schema")
        versions = spec.get("versions") or [{"name": spec.get("version"), "served": True}]
        for version in versions:
            if not isinstance(version, dict) or not version.get("served", True):
                continue
            schema = (version.get("schema") or {}).get("openAPIV3Schema", shared)
            if not isinstance(schema, dict):
                continue
            if group == "match.gatekeeper.sh":
                # Gatekeeper's "DummyCRD" carries the schema of every constraint's spec.match.
                self._match = (schema.get("properties") or {}).get("embeddedMatch")
            api_version = f"{group}/{version['name']}" if group else str(version["name"])
            key = (api_version, kind)
            self._schemas[key] = openapi_to_jsonschema(schema, root=True)
            self._sources[key] = source
            self._validators.pop(key, None)

    def __len__(self) -> int:
        return len(self._schemas)

    def kinds(self) -> list[str]:
        """Every ``"<apiVersion> <kind>"`` this registry has a schema for, sorted."""
        return sorted(f"{api} {kind}" for api, kind in self._schemas)

    def source(self, api_version: str, kind: str) -> str | None:
        """The file the schema for this kind came from."""
        return self._sources.get((api_version, kind))

    def template(self, kind: str) -> dict[str, Any] | None:
        """The ConstraintTemplate that defines this constraint kind, if it was loaded."""
        return self._templates.get(kind)

    @property
    def match_schema(self) -> dict[str, Any] | None:
        """Gatekeeper's ``spec.match`` schema (OpenAPI), when its match CRD was loaded."""
        return self._match

    def validator(self, api_version: str, kind: str) -> CompiledSchema | None:
        """The compiled validator for this kind, or None when no CRD defines it.

        Gatekeeper generates each constraint kind's CRD from its template; when the match
        CRD or the template was loaded, the constraint envelope is built from them.
        """
        key = (api_version, kind)
        if key not in self._schemas and api_version.startswith(CONSTRAINTS_GROUP + "/"):
            if self._match is None and kind not in self._templates:
                return None
            self._schemas[key] = _constraint_schema(self._match)
            self._sources[key] = f"generated constraint CRD for {kind}"
        if key not in self._schemas:
            return None
        if key not in self._validators:
            self._validators[key] = compile_schema(self._schemas[key])
        return self._validators[key]


def _constraint_schema(match: dict[str, Any] | None) -> dict[str, Any]:
    """The CRD schema Gatekeeper generates for a constraint kind (parameters checked apart).

    ``spec.parameters`` is left open here: :func:`validate_constraint_parameters` checks it
    against the template, with the template's own ``legacySchema`` semantics.
    """
    spec: dict[str, Any] = {
        "type": "object",
        "properties": {
            "match": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
            if match is None
            else match,
            "enforcementAction": {"type": "string", "enum": ["deny", "dryrun", "warn", "scoped"]},
            "scopedEnforcementActions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "action": {"type": "string"},
                        "enforcementPoints": {
                            "type": "array",
                            "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                        },
                    },
                },
            },
            "parameters": {"x-kubernetes-preserve-unknown-fields": True},
        },
    }
    openapi = {
        "type": "object",
        "properties": {
            "spec": spec,
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    return openapi_to_jsonschema(openapi, root=True)
