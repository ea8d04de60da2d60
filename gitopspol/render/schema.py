"""The shape of a kustomization file, checked before anything is built.

A small subset of JSON Schema (``type``, ``properties``, ``additionalProperties``,
``items``, ``enum``, ``required``) checked by :func:`first_error`: kustomizations are read
on every render (every tier, every command), so this avoids the start-up cost of the
``jsonschema`` package while keeping the schema as data. Types follow kustomize's Go
structs (``api/types/kustomization.go``): a number where a string is expected is an error
there too ("cannot unmarshal number into Go struct field ... of type string").
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_STR: Schema = {"type": "string"}
_BOOL: Schema = {"type": "boolean"}
_INT: Schema = {"type": "integer"}
_STRS: Schema = {"type": "array", "items": _STR}
_STRMAP: Schema = {"type": "object", "additionalProperties": _STR}
_SELECTOR_FIELDS = ("group", "version", "kind", "name", "namespace")
_SELECTOR: Schema = {
    "type": "object",
    "properties": {
        **dict.fromkeys(_SELECTOR_FIELDS, _STR),
        "labelSelector": _STR,
        "annotationSelector": _STR,
    },
}
_FIELD_SPECS: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["path"],
        "properties": {
            **dict.fromkeys(("path", "group", "version", "kind"), _STR),
            "create": _BOOL,
        },
    },
}
_GEN_OPTIONS: Schema = {
    "type": "object",
    "properties": {
        "labels": _STRMAP,
        "annotations": _STRMAP,
        "disableNameSuffixHash": _BOOL,
        "immutable": _BOOL,
    },
}
_GENERATOR: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "name": _STR,
            "namespace": _STR,
            "behavior": {"enum": ["", "create", "merge", "replace"]},
            "literals": _STRS,
            "files": _STRS,
            "envs": _STRS,
            "env": _STR,
            "type": _STR,
            "options": _GEN_OPTIONS,
        },
    },
}
_FIELD_OPTIONS: Schema = {
    "type": "object",
    "properties": {"delimiter": _STR, "index": _INT, "create": _BOOL},
}
_IMAGES: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": dict.fromkeys(("name", "newName", "newTag", "digest", "tagSuffix"), _STR),
    },
}

KUSTOMIZATION: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "apiVersion": _STR,
        "kind": {"enum": ["Kustomization", "Component"]},
        "metadata": {"type": "object"},
        "resources": _STRS,
        "bases": _STRS,
        "components": _STRS,
        "crds": _STRS,
        "configurations": _STRS,
        "generators": _STRS,
        "transformers": _STRS,
        "validators": _STRS,
        "namePrefix": _STR,
        "nameSuffix": _STR,
        "namespace": _STR,
        "commonLabels": _STRMAP,
        "commonAnnotations": _STRMAP,
        "labels": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "pairs": _STRMAP,
                    "includeSelectors": _BOOL,
                    "includeTemplates": _BOOL,
                    "fields": _FIELD_SPECS,
                },
            },
        },
        "patches": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "path": _STR,
                    "patch": _STR,
                    "target": _SELECTOR,
                    "options": {
                        "type": "object",
                        "properties": {"allowNameChange": _BOOL, "allowKindChange": _BOOL},
                    },
                },
            },
        },
        "patchesStrategicMerge": _STRS,
        "patchesJson6902": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["target"],
                "properties": {"path": _STR, "patch": _STR, "target": _SELECTOR},
            },
        },
        "images": _IMAGES,
        "imageTags": _IMAGES,
        "replicas": {
            "type": "array",
            "items": {"type": "object", "properties": {"name": _STR, "count": _INT}},
        },
        "configMapGenerator": _GENERATOR,
        "secretGenerator": _GENERATOR,
        "generatorOptions": _GEN_OPTIONS,
        "replacements": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "path": _STR,
                    "source": {
                        "type": "object",
                        "properties": {
                            **dict.fromkeys(_SELECTOR_FIELDS, _STR),
                            "fieldPath": _STR,
                            "options": _FIELD_OPTIONS,
                        },
                    },
                    "targets": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "select": _SELECTOR,
                                "reject": {"type": "array", "items": _SELECTOR},
                                "fieldPaths": _STRS,
                                "options": _FIELD_OPTIONS,
                            },
                        },
                    },
                },
            },
        },
        "vars": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "objref"],
                "properties": {
                    "name": _STR,
                    "objref": {
                        "type": "object",
                        "properties": dict.fromkeys(
                            ("kind", "name", "namespace", "apiVersion"), _STR
                        ),
                    },
                    "fieldref": {"type": "object", "properties": {"fieldpath": _STR}},
                },
            },
        },
        "openapi": {"type": "object", "properties": {"path": _STR, "version": _STR}},
        "sortOptions": {
            "type": "object",
            "properties": {
                "order": {"enum": ["legacy", "fifo"]},
                "legacySortOptions": {
                    "type": "object",
                    "properties": {"orderFirst": _STRS, "orderLast": _STRS},
                },
            },
        },
        "buildMetadata": _STRS,
        "helmCharts": {"type": "array"},
        "helmChartInflationGenerator": {"type": "array"},
        "helmGlobals": {"type": "object"},
        "inventory": {"type": "object"},
    },
}

_TYPES: dict[str, Any] = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
}


def _type_ok(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def first_error(
    data: Any, schema: Schema = KUSTOMIZATION
) -> tuple[tuple[str | int, ...], str] | None:
    """The path and message of the first place ``data`` does not fit ``schema``, or None.

    A null field value is accepted (kustomize treats ``resources:`` with no value as
    empty); a null list item is not.
    """
    stack: list[tuple[Any, Schema, tuple[str | int, ...]]] = [(data, schema, ())]
    while stack:
        value, sub, path = stack.pop()
        if value is None:
            continue
        expected = sub.get("type")
        if expected is not None and not _type_ok(value, expected):
            found = type(value).__name__.replace("dict", "map").replace("list", "list")
            return path, f"expected {expected}, got {found} {value!r}"[:200]
        if "enum" in sub and value not in sub["enum"]:
            return path, f"{value!r} is not one of {', '.join(map(repr, sub['enum']))}"
        if isinstance(value, dict):
            for key in sub.get("required", ()):
                if key not in value:
                    return path, f"missing required field {key!r}"
            props = sub.get("properties", {})
            extra = sub.get("additionalProperties", True)
            for key, item in value.items():
                if key in props:
                    stack.append((item, props[key], (*path, key)))
                elif extra is False:
                    return (*path, key), f"unknown field {key!r}"
                elif isinstance(extra, dict):
                    stack.append((item, extra, (*path, key)))
        elif isinstance(value, list) and "items" in sub:
            for i, item in enumerate(value):
                if item is None:
                    return (*path, i), "a list item is empty (null)"
                stack.append((item, sub["items"], (*path, i)))
    return None
