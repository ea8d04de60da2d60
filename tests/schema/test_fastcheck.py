"""The fast validity check answers exactly as jsonschema does (after pruning nulls).

Differential tests: hand-picked keyword cases, random schemas of the implemented keywords
with random instances, and mutations of every corpus policy under the built-in schemas
and the upstream CRDs. The fast check may refuse to answer (compile to None, raise); it
must never answer differently. And the problems explained part by part, where the fast
check leads, are exactly those of jsonschema's walk of the whole document.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitopspol.schema import CrdRegistry, builtin_kinds
from gitopspol.schema.builtin import (
    CompiledSchema,
    SchemaValidator,
    builtin_ref,
    builtin_validator,
    compile_schema,
    schema_registry,
    split,
)
from gitopspol.schema.fastcheck import Unsure, compile_check, prune_nulls
from gitopspol.schema.validate import _explain, _explained
from tests.schema.conftest import Doc

#: Kinds of the upstream CRDs in ../shared/schemas/crds (pinned: all are checked fast).
UPSTREAM_CRD_KINDS = 44


def _explanations_agree(compiled: CompiledSchema, instance: Any) -> int:
    """Problems found part by part (the fast check guiding) equal jsonschema's whole walk."""
    try:
        whole = {
            pair
            for error in compiled.validator.iter_errors(prune_nulls(instance))
            for pair in _explain(error)
        }
    except Exception:
        return 0  # jsonschema itself cannot validate this (non-string keys and patterns)
    assert set(_explained(compiled, instance)) == whole, instance
    return len(whole)


def _agree(schema: Any, instance: Any) -> bool | None:
    """The fast check's answer, after asserting jsonschema's is the same (None: no answer)."""
    check = compile_check(schema, schema_registry())
    assert check is not None, schema
    try:
        fast = check(instance)
    except Exception:
        return None
    slow = SchemaValidator(schema, registry=schema_registry()).is_valid(prune_nulls(instance))
    assert fast == slow, (schema, instance)
    _explanations_agree(compile_schema(schema), instance)
    return fast


CASES: list[tuple[dict[str, Any], list[Any]]] = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None]),
    ({"type": "number"}, [1, 2.5, False, "x"]),
    ({"type": ["string", "null"]}, ["a", None, 3]),
    ({"type": "object"}, [{}, [], "x"]),
    ({"type": "boolean"}, [True, 0]),
    ({"enum": ["a", 1, None, [1, None], {"k": 1}]}, ["a", 1, True, 1.0, None, [1, None], "b"]),
    ({"enum": [{"k": 1}]}, [{"k": 1, "z": None}, {"k": 1, "z": 2}]),
    ({"const": False}, [False, 0, None]),
    ({"const": {"a": 1}}, [{"a": 1}, {"a": 1, "b": None}, {"a": True}]),
    ({"pattern": "^a+$", "minLength": 2, "maxLength": 3}, ["aa", "a", "aaaa", "ab", 7]),
    ({"minimum": 1, "exclusiveMaximum": 3}, [1, 0.5, 3, 2.9, "9", True]),
    ({"maximum": 1, "exclusiveMinimum": -1}, [1, 1.5, -1, 0]),
    (
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        [{"a": "x"}, {"a": None}, {}, {"a": 1}, {"b": 1, "a": "x"}, "s"],
    ),
    (
        {"properties": {"a": {}}, "additionalProperties": False},
        [{"a": 1}, {"a": 1, "b": None}, {"a": 1, "b": 2}, [1]],
    ),
    (
        {"additionalProperties": {"type": "integer"}, "minProperties": 1, "maxProperties": 2},
        [{}, {"a": None}, {"a": 1}, {"a": "x"}, {"a": 1, "b": 2, "c": 3}],
    ),
    (
        {
            "properties": {"x1": {"type": "string"}},
            "patternProperties": {"^x": {"maxLength": 1}, "[0-9]$": {"type": "string"}},
            "additionalProperties": False,
        },
        [{"x1": "a"}, {"x1": "ab"}, {"x": 1}, {"y": 1}, {"y2": "s"}, {"y2": 2}],
    ),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, [{"ab": 1}, {"A": 1}, {"A": None}]),
    (
        {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2},
        [[1], [], [1, 2, 3], [1, "x"], [None], {}],
    ),
    (
        {"uniqueItems": True},
        [[1, 2], [1, 1], [1, True], [{"a": 1}, {"a": 1, "b": None}], [[1], [1]], [0, False]],
    ),
    (
        {"x-kubernetes-list-map-keys": ["name"]},
        [[{"name": "a"}, {"name": "b"}], [{"name": "a"}, {"name": "a"}], [{}, {"name": None}]],
    ),
    ({"allOf": [{"type": "string"}, {"minLength": 2}]}, ["ab", "a", 3]),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, ["a", 1, 1.5]),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1, 1.5, "a"]),
    ({"not": {"type": "string"}}, ["a", 1]),
    (
        {"$ref": "https://gitopspol.invalid/schemas/k8s.json#/$defs/ObjectMeta"},
        [{"name": "n"}, {"name": 1}, {"labels": {"a": "b"}}, {"unknown": 1}],
    ),
    ({"format": "email", "type": "string"}, ["not an email", 3]),  # format: not checked
    # jsonschema reports a `false` subschema's refusal at the parent's path.
    ({"properties": {"a": False}, "items": False}, [{"a": 1}, {"a": None}, [1], []]),
    (True, [1, None]),
    (False, [1, None]),
]


@pytest.mark.parametrize(("schema", "instances"), CASES)
def test_keywords_agree_with_jsonschema(schema: dict[str, Any], instances: list[Any]) -> None:
    answers = [_agree(schema, instance) for instance in instances]
    assert None not in answers  # every case is answered, none left to jsonschema
    if schema is not True:
        assert False in answers  # and each case exercises a failure


def test_recursive_reference() -> None:
    schema = {
        "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
        "$ref": "#/$defs/node",
    }
    assert _agree(schema, {"next": {"next": {}}}) is True
    assert _agree(schema, {"next": {"next": 3}}) is False


@pytest.mark.parametrize(
    "schema",
    [
        {"if": {"type": "string"}, "then": {"minLength": 1}},
        {"properties": {"a": {"contains": {"type": "string"}}}},
        {"prefixItems": [{"type": "string"}]},
        {"unevaluatedProperties": False},
        {"multipleOf": 0.5},
        {"minimum": "1"},
        {"required": "a"},
        {"type": "date"},
        {"pattern": "("},
        {"properties": {"a": {"$id": "https://example.com/a", "type": "string"}}},
        {"$ref": "https://example.com/nowhere.json"},
    ],
)
def test_what_is_not_implemented_is_left_to_jsonschema(schema: dict[str, Any]) -> None:
    assert compile_check(schema, schema_registry()) is None


def test_unsure_on_keys_that_are_not_strings() -> None:
    check = compile_check({"patternProperties": {"^a": {}}}, schema_registry())
    assert check is not None
    with pytest.raises(Unsure):
        check({1: "x"})


def test_invalid_documents_are_still_explained() -> None:
    compiled = compile_schema({"properties": {"a": {"type": "string"}}})
    assert compiled.check is not None
    assert [e.message for e in compiled.iter_errors({"a": 1})] == ["1 is not of type 'string'"]
    assert list(compiled.iter_errors({"a": None})) == []  # nulls are pruned first
    assert compiled.is_valid({"a": "x"})
    assert not compiled.is_valid({"a": 1})


def test_every_builtin_and_upstream_kind_is_checked_fast(upstream_crds: CrdRegistry) -> None:
    kinds = [kind.split(" ") for kind in builtin_kinds()]
    assert len(kinds) > 30
    for api_version, kind in kinds:
        ref = builtin_ref(api_version, kind)
        assert ref is not None
        assert builtin_validator(ref).check is not None, (api_version, kind)
        # An invalid document is explained field by field, not by one walk of all of it.
        parts = split(builtin_validator(ref))
        assert parts is not None, (api_version, kind)
        assert {"apiVersion", "kind", "metadata"} <= parts.properties.keys()
    # Constraint kinds are generated on use (by other tests of the session): not counted.
    crd_kinds = [k for k in upstream_crds.kinds() if not k.startswith("constraints.gatekeeper.sh/")]
    assert len(crd_kinds) == UPSTREAM_CRD_KINDS
    for entry in upstream_crds.kinds():
        compiled = upstream_crds.validator(*entry.split(" "))
        assert compiled is not None
        assert compiled.check is not None, entry


# Random schemas of the implemented keywords, and random instances.
KEYS = st.sampled_from(["a", "b", "x1", "name"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 2.5])
    | st.sampled_from(["", "a", "ab", "x1", "abc"])
)
INSTANCES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)
TYPES = st.sampled_from(["array", "boolean", "integer", "null", "number", "object", "string"])


def _schemas(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    fragment = st.one_of(
        st.fixed_dictionaries({"properties": st.dictionaries(KEYS, inner, max_size=3)}),
        st.fixed_dictionaries({"required": st.lists(KEYS, max_size=2)}),
        st.fixed_dictionaries({"additionalProperties": st.booleans() | inner}),
        st.fixed_dictionaries({"patternProperties": st.fixed_dictionaries({"^x": inner})}),
        st.fixed_dictionaries({"propertyNames": inner}),
        st.fixed_dictionaries({"items": inner}),
        st.fixed_dictionaries({"allOf": st.lists(inner, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"anyOf": st.lists(inner, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"oneOf": st.lists(inner, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"not": inner}),
    )
    return st.lists(fragment, min_size=1, max_size=3).map(
        lambda parts: {key: value for part in parts for key, value in part.items()}
    )


LEAF_SCHEMAS = st.one_of(
    st.just({}),
    st.booleans(),
    st.fixed_dictionaries({"type": TYPES | st.lists(TYPES, min_size=1, max_size=2)}),
    st.fixed_dictionaries({"enum": st.lists(INSTANCES, min_size=1, max_size=3)}),
    st.fixed_dictionaries({"const": INSTANCES}),
    st.fixed_dictionaries({"pattern": st.sampled_from(["^a", "b", "[0-9]"])}),
    st.fixed_dictionaries({"minLength": st.integers(0, 2), "maxLength": st.integers(1, 3)}),
    st.fixed_dictionaries({"minimum": st.integers(-1, 1), "exclusiveMaximum": st.just(2.5)}),
    st.fixed_dictionaries({"minItems": st.integers(0, 2), "uniqueItems": st.booleans()}),
    st.fixed_dictionaries({"minProperties": st.integers(0, 2), "maxProperties": st.just(2)}),
    st.fixed_dictionaries({"x-kubernetes-list-map-keys": st.just(["name"])}),
)
SCHEMAS = st.recursive(LEAF_SCHEMAS, _schemas, max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(schema=SCHEMAS, instances=st.lists(INSTANCES, min_size=1, max_size=4))
def test_random_schemas_agree_with_jsonschema(schema: Any, instances: list[Any]) -> None:
    for instance in instances:
        _agree(schema, instance)


# Mutations of real policies, under the schema validate_manifest picks for them.
MUTANT_VALUES = INSTANCES | st.sampled_from(["Enforce", "Audit", "deny", "dryrun", -1, 10**6])


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _mutate(doc: Any, data: st.DataObject) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(doc)[1:]))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = data.draw(st.sampled_from(["replace", "delete", "add", "duplicate"]))
        if action == "replace":
            parent[last] = data.draw(MUTANT_VALUES)
        elif action == "delete":
            del parent[last]
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][data.draw(KEYS)] = data.draw(MUTANT_VALUES)
        elif action == "duplicate" and isinstance(parent[last], list) and parent[last]:
            parent[last].append(copy.deepcopy(parent[last][0]))
    return doc


@pytest.mark.corpus
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_corpus_policies_agree_with_jsonschema(
    data: st.DataObject, kyverno_docs: list[Doc], gatekeeper_docs: list[Doc], upstream_crds: Any
) -> None:
    _, _, doc = data.draw(st.sampled_from(kyverno_docs + gatekeeper_docs))
    registry = data.draw(st.sampled_from([None, upstream_crds]))
    api_version, kind = doc["apiVersion"], doc["kind"]
    compiled = registry.validator(api_version, kind) if registry is not None else None
    if compiled is None:
        ref = builtin_ref(api_version, kind)
        if ref is None:
            return
        compiled = builtin_validator(ref)
    assert compiled.check is not None
    mutant = _mutate(doc, data)
    _explanations_agree(compiled, mutant)
    try:
        fast = compiled.check(mutant)
    except (Unsure, TypeError):
        return
    slow = compiled.validator.is_valid(prune_nulls(mutant))
    assert fast == slow, (api_version, kind, mutant)


@pytest.mark.corpus
def test_corpus_policies_pass_the_fast_check(
    kyverno_docs: list[Doc], gatekeeper_docs: list[Doc], upstream_crds: CrdRegistry
) -> None:
    checked = 0
    for path, _, doc in kyverno_docs + gatekeeper_docs:
        for registry in (None, upstream_crds):
            compiled = (
                None if registry is None else registry.validator(doc["apiVersion"], doc["kind"])
            )
            ref = builtin_ref(doc["apiVersion"], doc["kind"])
            if compiled is None and ref is not None:
                compiled = builtin_validator(ref)
            if compiled is not None:
                assert compiled.check is not None
                assert compiled.check(doc), path
                checked += 1
    # Kyverno documents with a schema, Gatekeeper templates and constraints; twice each.
    assert checked == 2 * (264 - 18 + 33 + 46)
