"""Schema layer: built-in JSON schemas, user CRDs, Gatekeeper constraint parameters.

Each schema is compiled once into a fast validity check (:mod:`gitopspol.schema.fastcheck`)
and a jsonschema validator, which only runs to explain a document the check refuses.

Public API::

    validate_manifest(doc, *, crds=None) -> list[SchemaProblem]
    validate_constraint_parameters(template, constraint) -> list[SchemaProblem]
    CrdRegistry.from_paths(paths) -> CrdRegistry
    CrdRegistry.validator(api_version, kind) -> CompiledSchema | None
    CompiledSchema.iter_errors(instance), .is_valid(instance)   (nulls pruned first)
    builtin_kinds() -> list[str]
    openapi_to_jsonschema(openapi_schema, *, root=False) -> dict
"""

from __future__ import annotations

from gitopspol.schema.builtin import CompiledSchema, builtin_kinds
from gitopspol.schema.crds import CrdRegistry
from gitopspol.schema.openapi import openapi_to_jsonschema
from gitopspol.schema.validate import (
    ProblemStatus,
    SchemaProblem,
    dotted,
    validate_constraint_parameters,
    validate_manifest,
)

__all__ = [
    "CompiledSchema",
    "CrdRegistry",
    "ProblemStatus",
    "SchemaProblem",
    "builtin_kinds",
    "dotted",
    "openapi_to_jsonschema",
    "validate_constraint_parameters",
    "validate_manifest",
]
