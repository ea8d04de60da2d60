"""Unit tests of the schema layer: CRD conversion, registry loading, built-in kinds, messages."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from gitopspol.errors import InputError
from gitopspol.schema import (
    CrdRegistry,
    ProblemStatus,
    builtin_kinds,
    dotted,
    openapi_to_jsonschema,
    validate_constraint_parameters,
    validate_manifest,
)
from tests.conftest import build_file_tree

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {x-kubernetes-int-or-string: true}
              note: {type: string, nullable: true}
              mode: {type: string, enum: [fast, slow]}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
              labels: {type: object, additionalProperties: {type: string}}
              tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}
              template:
                type: object
                x-kubernetes-embedded-resource: true
                x-kubernetes-preserve-unknown-fields: true
              choice:
                type: object
                properties:
                  a: {type: string}
                anyOf:
                - required: [a]
                - properties: {b: {type: string}}
  - name: v0
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
"""


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 1, **spec},
    }


@pytest.fixture
def registry(tmp_path: Path) -> CrdRegistry:
    build_file_tree(tmp_path, {"crds/widget.yaml": WIDGET_CRD, "crds/README.md": "not yaml: ["})
    return CrdRegistry.from_paths([tmp_path / "crds"])


def problems(doc: Any, registry: CrdRegistry | None = None) -> list[tuple[str, str]]:
    return [(p.dotted_path, p.message) for p in validate_manifest(doc, crds=registry)]


def test_registry_loads_served_versions_only(registry: CrdRegistry) -> None:
    assert registry.kinds() == ["example.com/v1 Widget"]
    assert len(registry) == 1
    assert str(registry.source("example.com/v1", "Widget")).endswith("widget.yaml")


def test_valid_widget(registry: CrdRegistry) -> None:
    doc = widget(size="50%", note=None, mode="fast", extra={"any": {"thing": 1}}, labels={"a": "b"})
    doc["spec"]["template"] = {"apiVersion": "v1", "kind": "Pod", "spec": {"x": 1}}
    doc["spec"]["choice"] = {"a": "x"}
    assert problems(doc, registry) == []


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"size": 1.5}, [("spec.size", "must be of type integer or string, not number")]),
        ({"sise": 1}, [("spec.sise", 'unknown field "sise"')]),
        (
            {"mode": "medium"},
            [("spec.mode", 'unsupported value "medium": must be one of "fast", "slow"')],
        ),
        ({"labels": {"a": 1}}, [("spec.labels.a", "must be of type string, not integer")]),
        ({"tags": ["a", "a"]}, [("spec.tags", "has duplicate items (the list is a set)")]),
        ({"template": {"kind": "Pod"}}, [("spec.template", 'missing required field "apiVersion"')]),
        (
            {"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"nam": "x"}}},
            [("spec.template.metadata.nam", 'unknown field "nam"')],
        ),
        ({"choice": {"b": "x"}}, [("spec.choice.b", 'unknown field "b"')]),
    ],
)
def test_widget_mistakes(registry: CrdRegistry, spec: dict[str, Any], expected: list[Any]) -> None:
    assert problems(widget(**spec), registry) == expected


def test_required_and_root_metadata(registry: CrdRegistry) -> None:
    doc = widget()
    del doc["spec"]["size"]
    doc["metadata"]["lables"] = {}
    assert problems(doc, registry) == [
        ("metadata.lables", 'unknown field "lables"'),
        ("spec", 'missing required field "size"'),
    ]


def test_nullable_and_pruned_nulls(registry: CrdRegistry) -> None:
    # Non-nullable fields set to null are pruned by the API server, not rejected.
    assert problems(widget(mode=None, note=None), registry) == []
    schema = openapi_to_jsonschema({"type": "string", "nullable": True, "enum": ["a"]})
    assert schema == {"type": ["string", "null"], "enum": ["a", None]}


def test_conversion_keeps_junctors_value_only() -> None:
    schema = openapi_to_jsonschema(
        {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "anyOf": [{"properties": {"b": {}}}],
        }
    )
    assert schema["additionalProperties"] is False
    assert "additionalProperties" not in schema["anyOf"][0]
    bounded = openapi_to_jsonschema({"type": "integer", "minimum": 0, "exclusiveMinimum": True})
    assert bounded == {"type": "integer", "exclusiveMinimum": 0}


def test_missing_crd_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        CrdRegistry.from_paths([tmp_path / "nope"])


def test_unknown_kind_is_not_validated() -> None:
    found = validate_manifest({"apiVersion": "example.com/v1", "kind": "Widget"})
    assert [(p.status, p.path) for p in found] == [(ProblemStatus.NOT_VALIDATED, ())]
    assert "not validated" in found[0].message


def test_not_a_resource() -> None:
    assert problems(["a"]) == [("(root)", "a manifest must be a mapping, not array")]
    assert problems({"kind": "Namespace"}) == [("(root)", 'missing required field "apiVersion"')]


def test_namespace_and_vap() -> None:
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "prd", "labels": {"a": "b"}},
    }
    assert problems(ns) == []
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] = 1.30
    assert problems(ns) == [
        (
            "metadata.labels.pod-security.kubernetes.io/enforce-version",
            "must be of type string, not number",
        )
    ]
    vap = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "b"},
        "spec": {"policyName": "p", "validationActions": ["Deny", "Block"]},
    }
    assert problems(vap) == [
        (
            "spec.validationActions[1]",
            'unsupported value "Block": must be one of "Deny", "Warn", "Audit"',
        )
    ]


def test_constraint_versions() -> None:
    doc = {"apiVersion": "constraints.gatekeeper.sh/v1", "kind": "K8sAllowedRepos"}
    assert problems(doc) == [
        ("apiVersion", "Gatekeeper serves constraints only as v1beta1 and v1alpha1")
    ]


TEMPLATE: dict[str, Any] = {
    "apiVersion": "templates.gatekeeper.sh/v1",
    "kind": "ConstraintTemplate",
    "metadata": {"name": "k8srequiredlabels"},
    "spec": {
        "crd": {
            "spec": {
                "names": {"kind": "K8sRequiredLabels"},
                "validation": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "labels": {"type": "array", "items": {"type": "string"}},
                            "message": {"type": "string"},
                        },
                    }
                },
            }
        }
    },
}


def constraint(**parameters: Any) -> dict[str, Any]:
    return {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": "K8sRequiredLabels",
        "metadata": {"name": "c"},
        "spec": {"parameters": parameters},
    }


def test_constraint_parameters_structural_v1() -> None:
    assert validate_constraint_parameters(TEMPLATE, constraint(labels=["a"])) == []
    found = validate_constraint_parameters(TEMPLATE, constraint(labels="a", mesage="x"))
    assert [str(p) for p in found] == [
        "spec.parameters.labels: must be of type array, not string",
        'spec.parameters.mesage: unknown field "mesage"',
    ]
    assert found[0].schema == "ConstraintTemplate k8srequiredlabels"


def test_constraint_parameters_legacy_schema() -> None:
    legacy = copy.deepcopy(TEMPLATE)
    legacy["apiVersion"] = "templates.gatekeeper.sh/v1beta1"  # legacySchema defaults to true
    found = validate_constraint_parameters(legacy, constraint(labels="a", mesage="x"))
    assert [str(p) for p in found] == ["spec.parameters.labels: must be of type array, not string"]
    legacy["spec"]["crd"]["spec"]["validation"]["legacySchema"] = False
    assert len(validate_constraint_parameters(legacy, constraint(mesage="x"))) == 1


def test_constraint_kind_must_match_template() -> None:
    other = constraint(labels=["a"])
    other["kind"] = "K8sOther"
    assert [p.path for p in validate_constraint_parameters(TEMPLATE, other)] == [("kind",)]


def test_constraint_parameters_through_registry() -> None:
    registry = CrdRegistry()
    registry.add(TEMPLATE)
    assert problems(constraint(labels=["a"]), registry) == []
    assert problems(constraint(labels=[1]), registry) == [
        ("spec.parameters.labels[0]", "must be of type string, not integer")
    ]


def test_bad_parameter_schema_is_a_problem_not_a_crash() -> None:
    broken = copy.deepcopy(TEMPLATE)
    broken["spec"]["crd"]["spec"]["validation"]["openAPIV3Schema"]["properties"]["message"] = {
        "type": "string",
        "pattern": "([",
    }
    found = validate_constraint_parameters(broken, constraint(message="x"))
    assert len(found) == 1
    assert "not usable" in found[0].message


def test_dotted() -> None:
    assert dotted(("spec", "rules", 0, "name")) == "spec.rules[0].name"
    assert dotted(()) == "(root)"


def test_builtin_kinds_cover_the_brief() -> None:
    kinds = set(builtin_kinds())
    for expected in (
        "kyverno.io/v1 ClusterPolicy",
        "kyverno.io/v1 Policy",
        "kyverno.io/v2 PolicyException",
        "policies.kyverno.io/v1 ValidatingPolicy",
        "templates.gatekeeper.sh/v1beta1 ConstraintTemplate",
        "constraints.gatekeeper.sh/v1beta1 *",
        "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy",
        "v1 Namespace",
        "argoproj.io/v1alpha1 ApplicationSet",
        "argoproj.io/v1alpha1 AppProject",
        "source.toolkit.fluxcd.io/v1 OCIRepository",
    ):
        assert expected in kinds


def test_policy_exception() -> None:
    exception = {
        "apiVersion": "kyverno.io/v2",
        "kind": "PolicyException",
        "metadata": {"name": "allow-debug", "namespace": "kyverno"},
        "spec": {
            "exceptions": [{"policyName": "disallow-privileged", "ruleNames": ["privileged"]}],
            "match": {"any": [{"resources": {"kinds": ["Pod"], "namespaces": ["debug"]}}]},
        },
    }
    assert problems(exception) == []
    exception["spec"]["exceptions"][0].pop("ruleNames")
    exception["spec"]["match"]["any"][0]["resources"]["namespace"] = ["debug"]
    assert problems(exception) == [
        ("spec.exceptions[0]", 'missing required field "ruleNames"'),
        ("spec.match.any[0].resources.namespace", 'unknown field "namespace"'),
    ]


def test_legacy_schema_keeps_an_explicit_preserve_false() -> None:
    legacy = copy.deepcopy(TEMPLATE)
    legacy["apiVersion"] = "templates.gatekeeper.sh/v1beta1"
    schema = legacy["spec"]["crd"]["spec"]["validation"]["openAPIV3Schema"]
    schema["x-kubernetes-preserve-unknown-fields"] = False
    found = validate_constraint_parameters(legacy, constraint(mesage="x"))
    assert [p.dotted_path for p in found] == ["spec.parameters.mesage"]


@pytest.mark.parametrize(
    "data",
    [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {1: True}}},
        {"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "spec": {"rules": [None, 3, []]}},
        {"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "spec": float("nan")},
        {"apiVersion": 1, "kind": ["x"]},
        None,
    ],
)
def test_odd_documents_give_problems_not_exceptions(data: Any) -> None:
    found = validate_manifest(data)
    assert found
    assert all(p.status is ProblemStatus.INVALID for p in found)


def test_object_meta_names_and_labels() -> None:
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "Prd_1",
            "labels": {"bad key!": "x", "team": "has space", "a.b/c": "ok"},
        },
    }
    assert problems(ns) == [
        (
            "metadata.labels.bad key!",
            "invalid key \"bad key!\": must be an optional DNS prefix and '/', then at most 63 "
            "characters of A-Z, a-z, 0-9, '-', '_' and '.'",
        ),
        (
            "metadata.labels.team",
            "invalid value \"has space\": must be at most 63 characters of A-Z, a-z, 0-9, '-', '_' "
            "and '.', starting and ending alphanumeric",
        ),
        (
            "metadata.name",
            "invalid value \"Prd_1\": must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-' and '.', "
            "at most 253 characters)",
        ),
    ]


def test_map_lists_reject_duplicate_keys(registry: CrdRegistry) -> None:
    vpol = {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": "p"},
        "spec": {
            "variables": [
                {"name": "images", "expression": "object.spec.containers"},
                {"name": "images", "expression": "object.spec.initContainers"},
            ],
            "validations": [{"expression": "true"}],
        },
    }
    assert problems(vpol) == [
        ("spec.variables[1]", 'duplicate entry name="images" (first at index 0)')
    ]
    vpol["spec"]["variables"][1]["name"] = "init"
    assert problems(vpol) == []
    converted = openapi_to_jsonschema(
        {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}
    )
    assert converted["x-kubernetes-list-map-keys"] == ["name"]


def test_kyverno_rule_names_are_unique() -> None:
    rule = {"name": "check", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]}}
    policy = {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "p"},
        "spec": {"rules": [rule, dict(rule)]},
    }
    assert problems(policy) == [
        ("spec.rules[1]", 'duplicate entry name="check" (first at index 0)')
    ]
