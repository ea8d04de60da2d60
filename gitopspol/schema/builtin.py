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
from urllib.parse import quote, urljoin

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
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

    def passes(self, instance: Any) -> bool:
        """True when the fast check accepts ``instance`` (False: invalid, or it cannot tell)."""
        if self.check is None:
            return False
        try:
            return self.check(instance)
        except Exception:  # the fast check cannot tell: jsonschema decides
            return False

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        """jsonschema's errors for ``instance`` without its nulls; none, quickly, when the
        fast check passes it."""
        if self.passes(instance):
            return iter(())
        return self.validator.iter_errors(prune_nulls(instance))

    def is_valid(self, instance: Any) -> bool:
        """Whether ``instance`` (without its nulls) has no errors."""
        return next(self.iter_errors(instance), None) is None


#: Keywords with subschemas that :func:`split` does not split a node at.
_UNSPLIT = frozenset(
    {
        "$ref",
        "$id",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "patternProperties",
        "propertyNames",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "contains",
        "prefixItems",
        "dependentSchemas",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)


@dataclass(frozen=True, slots=True, eq=False)
class Split:
    """A schema node as its own keywords and the schemas of its children, apart.

    jsonschema's errors for an instance of the node are the errors of ``shell`` (the node
    with every property and item schema replaced by ``true``) plus, for each field (or
    item), the errors of its value under ``properties[name]`` (or ``items``), with paths
    under the field.
    """

    shell: CompiledSchema
    properties: dict[str, CompiledSchema]
    items: CompiledSchema | None


@functools.lru_cache(maxsize=4096)
def split(compiled: CompiledSchema) -> Split | None:
    """The node of ``compiled`` split at its ``properties`` and ``items``, or None.

    A node splits when those are its only keywords with subschemas (``additionalProperties``
    is a boolean), as in every built-in kind and converted CRD down to their logic
    junctors. Pure ``$ref`` nodes are followed. None for anything else, and for schemas
    without an address whose children use relative references.
    """
    uri, node = _follow(compiled.validator.schema)
    if not isinstance(node, dict) or node.keys() & _UNSPLIT:
        return None
    properties = node.get("properties", {})
    items = node.get("items", True)
    if (
        not ("properties" in node or "items" in node)
        or not isinstance(properties, dict)
        or not isinstance(items, bool | dict)
        or not isinstance(node.get("additionalProperties", True), bool)
        or not all(isinstance(name, str) for name in properties)
        # Explanations look for "propertyNames" in an error's schema path.
        or "propertyNames" in properties
        or (uri is None and _relative_refs(node))
    ):
        return None

    def at(pointer: str, sub: Any) -> Any:
        """A child's schema: by reference when the node has an address, else itself."""
        return sub if uri is None else {"$ref": (uri if "#" in uri else uri + "#") + pointer}

    fields = {name: at(f"/properties/{_escape(name)}", sub) for name, sub in properties.items()}
    item = at("/items", items) if "items" in node else None
    # jsonschema reports what a `false` subschema refuses at the parent's path, not its own.
    if any(_follow(sub)[1] is False for sub in [*fields.values(), item] if sub is not None):
        return None
    shell = dict(node)
    if "properties" in node:
        shell["properties"] = dict.fromkeys(properties, True)
    if "items" in node:
        shell["items"] = True
    return Split(
        compile_schema(shell),
        {name: compile_schema(sub) for name, sub in fields.items()},
        None if item is None else compile_schema(item),
    )


def _follow(schema: Any) -> tuple[str | None, Any]:
    """``(absolute URI or None, node)``: the node a schema stands for, through pure ``$ref``s."""
    uri = None
    for _ in range(32):  # a cycle of pure references is not a node
        if not (isinstance(schema, dict) and schema.keys() == {"$ref"}):
            return uri, schema
        ref = schema["$ref"]
        target = urljoin(uri or "", ref) if isinstance(ref, str) else ""
        if "://" not in target:
            return None, None
        try:
            schema = schema_registry().resolver().lookup(target).contents
        except Unresolvable:
            return None, None
        uri = target
    return None, None


def _escape(name: str) -> str:
    """A property name as a JSON pointer segment in a URI fragment."""
    return quote(name.replace("~", "~0").replace("/", "~1"), safe="")


def _relative_refs(node: Any) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and "://" not in ref:
            return True
        return any(_relative_refs(value) for value in node.values())
    if isinstance(node, list):
        return any(_relative_refs(value) for value in node)
    return False


@functools.cache
def builtin_validator(ref: str) -> CompiledSchema:
    """A compiled validator for one bundled schema reference (cached)."""
    return compile_schema({"$ref": ref})


def compile_schema(schema: dict[str, Any] | bool) -> CompiledSchema:
    """A validator for ``schema`` that can refer to the bundled schemas."""
    registry = schema_registry()
    return CompiledSchema(
        SchemaValidator(schema, registry=registry), compile_check(schema, registry)
    )
