"""Schema layer: built-in JSON schemas, user CRDs, Gatekeeper constraint parameters.

Public API::

    validate_manifest(doc, *, crds=None) -> list[SchemaProblem]
    validate_constraint_parameters(template, constraint) -> list[SchemaProblem]
    CrdRegistry.from_paths(paths) -> CrdRegistry
    builtin_kinds() -> list[str]
    openapi_to_jsonschema(openapi_schema, *, root=False) -> dict
"""

from __future__ import annotations

from gitopspol.schema.builtin import builtin_kinds
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
    "CrdRegistry",
    "ProblemStatus",
    "SchemaProblem",
    "builtin_kinds",
    "dotted",
    "openapi_to_jsonschema",
    "validate_constraint_parameters",
    "validate_manifest",
]
