"""Convert a Kubernetes structural OpenAPI v3 schema (a CRD's ``openAPIV3Schema``) to JSON Schema.

The API server does more than JSON Schema with these schemas, and the conversion keeps what
matters for validating a manifest the way ``kubectl apply --validate=strict`` does:

* ``nullable: true`` allows ``null``;
* ``x-kubernetes-int-or-string: true`` (and ``format: int-or-string``) allows an integer or
  a string;
* unknown fields: a structural schema *prunes* fields it does not specify, and strict field
  validation reports them, so every object node gets ``additionalProperties: false`` unless
  it sets ``additionalProperties`` itself or ``x-kubernetes-preserve-unknown-fields: true``
  (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#field-pruning);
* ``x-kubernetes-embedded-resource: true``: the object must have ``apiVersion`` and ``kind``
  and its ``metadata`` is an ObjectMeta;
* value validation inside ``allOf``/``anyOf``/``oneOf``/``not`` never declares structure,
  so no ``additionalProperties: false`` is added there;
* ``x-kubernetes-list-type: set`` lists must not repeat an item, and ``map`` lists must not
  repeat their ``x-kubernetes-list-map-keys`` (checked by ``builtin.SchemaValidator``);
* OpenAPI 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` become the numeric form.

CEL rules (``x-kubernetes-validations``) are not evaluated here.
"""

from __future__ import annotations

from typing import Any

from gitopspol.schema.builtin import OBJECT_META_REF

#: Keywords copied as they are: their meaning is the same in OpenAPI 3.0 and JSON Schema.
_COPIED = (
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "required",
)


def openapi_to_jsonschema(
    node: Any, *, root: bool = False, structural: bool = True, preserve_all: bool = False
) -> dict[str, Any]:
    """Convert one OpenAPI v3 schema node (and its children) to a JSON Schema dict.

    ``root`` marks a resource's top-level schema: ``apiVersion`` and ``kind`` are required
    and ``metadata`` is checked as an ObjectMeta. ``structural`` is False inside the logic
    junctors (value validation only). ``preserve_all`` treats every object as if it had
    ``x-kubernetes-preserve-unknown-fields: true`` (Gatekeeper's ``legacySchema``).
    """
    if not isinstance(node, dict):
        return {}
    out: dict[str, Any] = {}
    types = _types(node)
    if types:
        out["type"] = types[0] if len(types) == 1 else types
    for key in _COPIED:
        if key in node:
            out[key] = node[key]
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True  # the API server rejects duplicates in a set list
    if node.get("x-kubernetes-list-type") == "map" and "x-kubernetes-list-map-keys" in node:
        out["x-kubernetes-list-map-keys"] = node["x-kubernetes-list-map-keys"]
    if "enum" in out and node.get("nullable") is True:
        out["enum"] = [*out["enum"], None]
    for key, flag in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if node.get(flag) is True and key in out:
            out[flag] = out.pop(key)

    def child(value: Any, *, in_structure: bool = structural) -> dict[str, Any]:
        return openapi_to_jsonschema(value, structural=in_structure, preserve_all=preserve_all)

    properties = node.get("properties")
    if isinstance(properties, dict):
        out["properties"] = {name: child(value) for name, value in properties.items()}
    if isinstance(node.get("items"), dict):
        out["items"] = child(node["items"])
    additional = node.get("additionalProperties")
    if isinstance(additional, bool):
        out["additionalProperties"] = additional
    elif isinstance(additional, dict):
        out["additionalProperties"] = child(additional)
    for junctor in ("allOf", "anyOf", "oneOf"):
        if isinstance(node.get(junctor), list):
            out[junctor] = [child(part, in_structure=False) for part in node[junctor]]
    if isinstance(node.get("not"), dict):
        out["not"] = child(node["not"], in_structure=False)

    if node.get("x-kubernetes-embedded-resource") is True or root:
        _add_type_meta(out)
    # Gatekeeper's legacySchema (frameworks ``templates.AddPreserveUnknownFields``) marks every
    # object or untyped level, but keeps an explicit ``x-kubernetes-preserve-unknown-fields``.
    explicit = node.get("x-kubernetes-preserve-unknown-fields")
    preserve = explicit is True or (preserve_all and explicit is None)
    is_object = node.get("type") == "object" or "properties" in out
    if structural and is_object and not preserve and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _types(node: dict[str, Any]) -> list[str]:
    """The JSON Schema ``type`` list of a node (empty: any type)."""
    if node.get("x-kubernetes-int-or-string") is True or node.get("format") == "int-or-string":
        types = ["integer", "string"]
    elif isinstance(node.get("type"), str):
        types = [node["type"]]
    else:
        return []
    if node.get("nullable") is True:
        types.append("null")
    return types


def _add_type_meta(out: dict[str, Any]) -> None:
    """apiVersion, kind and metadata of an embedded (or top-level) resource."""
    properties = out.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string"}
    properties["kind"] = {"type": "string"}
    properties["metadata"] = {"$ref": OBJECT_META_REF}
    out["required"] = sorted({*out.get("required", []), "apiVersion", "kind"})
