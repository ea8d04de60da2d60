"""The JSON schemas bundled with gitopspol (``gitopspol/schema/schemas/*.json``).

Each file is a JSON Schema (draft 2020-12) with an ``$id`` under :data:`BASE_URI` and a
``x-gitopspol-kinds`` map from ``"<apiVersion> <kind>"`` to the JSON pointer of that kind's
schema in the file (``*`` as the kind matches every kind of that apiVersion, for Gatekeeper
constraints). Files are read with :mod:`importlib.resources` once, and validators are
compiled once per kind.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from gitopspol.schema.fastcheck import Check, compile_check, prune_nulls

#: Base of the ``$id`` of every bundled schema. Never fetched: all schemas are local.
BASE_URI = "https://gitopspol.invalid/schemas/"
#: Where a Kubernetes ObjectMeta schema lives, for converted CRD schemas to refer to.
OBJECT_META_REF = BASE_URI + "k8s.json#/$defs/ObjectMeta"


@functools.cache
def _bundle() -> tuple[Registry[Any], dict[str, str]]:
    """All bundled schemas as a referencing registry, and the kind index."""
    registry: Registry[Any] = Registry()
    index: dict[str, str] = {}
    folder = resources.files("gitopspol.schema") / "schemas"
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".json"):
            continue
        contents = json.loads(entry.read_text(encoding="utf-8"))
        uri = contents["$id"]
        registry = registry.with_resource(uri, Resource.from_contents(contents, DRAFT202012))
        for key, pointer in contents.get("x-gitopspol-kinds", {}).items():
            index[key] = uri + pointer
    return registry.crawl(), index


def schema_registry() -> Registry[Any]:
    """The referencing registry holding every bundled schema (for converted CRD schemas too)."""
    return _bundle()[0]


def builtin_kinds() -> list[str]:
    """Every ``"<apiVersion> <kind>"`` a bundled schema covers, sorted."""
    return sorted(_bundle()[1])


def builtin_ref(api_version: str, kind: str) -> str | None:
    """The ``$ref`` of the bundled schema for this apiVersion and kind, if any."""
    index = _bundle()[1]
    return index.get(f"{api_version} {kind}") or index.get(f"{api_version} *")


def _unique_list_map_keys(
    validator: Validator, keys: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """``x-kubernetes-list-map-keys``: no two items of a map list share their key fields.

    The API server rejects such a list ("Duplicate value"); Kubernetes and Kyverno use map
    lists for named entries (variables, matchConditions, validations' names...).
    """
    if not isinstance(instance, list) or not isinstance(keys, list):
        return
    first: dict[str, int] = {}
    for index, item in enumerate(instance):
        if not isinstance(item, dict):
            continue
        key = json.dumps([item.get(name) for name in keys], sort_keys=True, default=str)
        if key in first:
            shown = ", ".join(f"{name}={json.dumps(item.get(name), default=str)}" for name in keys)
            yield ValidationError(
                f"duplicate entry {shown} (first at index {first[key]})", path=[index]
            )
        else:
            first[key] = index


#: Draft 2020-12 plus the Kubernetes keyword JSON Schema cannot express.
SchemaValidator: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]  # untyped upstream
    Draft202012Validator, {"x-kubernetes-list-map-keys": _unique_list_map_keys}
)


@dataclass(frozen=True, slots=True, eq=False)
class CompiledSchema:
    """A schema compiled twice: a fast validity check, and jsonschema to explain problems.

    Both validate a manifest as the API server does, after pruning null-valued mapping
    entries. ``check`` is None when the schema uses something the fast check does not
    implement (:mod:`gitopspol.schema.fastcheck`); jsonschema then does all the work.
    """

    validator: Validator
    check: Check | None

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        """jsonschema's errors for ``instance`` without its nulls; none, quickly, when the
        fast check passes it."""
        if self.check is not None:
            try:
                if self.check(instance):
                    return iter(())
            except Exception:  # the fast check cannot tell: jsonschema decides
                pass
        return self.validator.iter_errors(prune_nulls(instance))

    def is_valid(self, instance: Any) -> bool:
        """Whether ``instance`` (without its nulls) has no errors."""
        return next(self.iter_errors(instance), None) is None


@functools.cache
def builtin_validator(ref: str) -> CompiledSchema:
    """A compiled validator for one bundled schema reference (cached)."""
    return compile_schema({"$ref": ref})


def compile_schema(schema: dict[str, Any]) -> CompiledSchema:
    """A validator for ``schema`` that can refer to the bundled schemas."""
    registry = schema_registry()
    return CompiledSchema(
        SchemaValidator(schema, registry=registry), compile_check(schema, registry)
    )
