"""Conformance: every corpus policy validates (built-in schemas and upstream CRDs); seeded mistakes fail."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from gitopspol import yamlio
from gitopspol.errors import InputError
from gitopspol.schema import (
    CrdRegistry,
    ProblemStatus,
    validate_constraint_parameters,
    validate_manifest,
)
from tests.conftest import need_shared
from tests.schema.conftest import Doc, gatekeeper_pairs

pytestmark = pytest.mark.corpus

#: Documents per kind in the corpus (pinned: a shrunken corpus fails).
KYVERNO_KINDS = {
    ("kyverno.io/v1", "ClusterPolicy"): 175,
    ("kyverno.io/v2beta1", "ClusterPolicy"): 2,
    ("policies.kyverno.io/v1", "ValidatingPolicy"): 4,
    ("policies.kyverno.io/v1alpha1", "ValidatingPolicy"): 64,
    ("policies.kyverno.io/v1beta1", "ValidatingPolicy"): 1,
    ("policies.kyverno.io/v1alpha1", "MutatingPolicy"): 17,
    ("policies.kyverno.io/v1alpha1", "GeneratingPolicy"): 1,
}
#: MutatingPolicy and GeneratingPolicy: no built-in schema and no CRD in the corpus.
NOT_VALIDATED = 18
GATEKEEPER_TEMPLATES = 33
GATEKEEPER_CONSTRAINTS = 46


def _kinds(docs: list[Doc]) -> Counter[tuple[str, str]]:
    return Counter((doc["apiVersion"], doc["kind"]) for _, _, doc in docs)


def _validate_all(docs: list[Doc], crds: CrdRegistry | None) -> Counter[str]:
    outcome: Counter[str] = Counter()
    for path, _, doc in docs:
        problems = validate_manifest(doc, crds=crds)
        invalid = [str(p) for p in problems if p.status is ProblemStatus.INVALID]
        assert not invalid, f"{path}: {invalid}"
        outcome["not validated" if problems else "valid"] += 1
    return outcome


def test_corpus_counts(kyverno_docs: list[Doc], gatekeeper_docs: list[Doc]) -> None:
    assert dict(_kinds(kyverno_docs)) == KYVERNO_KINDS
    kinds = _kinds(gatekeeper_docs)
    assert kinds.pop(("templates.gatekeeper.sh/v1", "ConstraintTemplate")) == GATEKEEPER_TEMPLATES
    assert {api for api, _ in kinds} == {"constraints.gatekeeper.sh/v1beta1"}
    assert sum(kinds.values()) == GATEKEEPER_CONSTRAINTS


@pytest.mark.parametrize("with_crds", [False, True], ids=["built-in", "upstream-crds"])
def test_every_corpus_policy_validates(
    with_crds: bool,
    upstream_crds: CrdRegistry,
    kyverno_docs: list[Doc],
    gatekeeper_docs: list[Doc],
) -> None:
    crds = upstream_crds if with_crds else None
    kyverno = _validate_all(kyverno_docs, crds)
    assert kyverno == {"valid": sum(KYVERNO_KINDS.values()) - NOT_VALIDATED, "not validated": 18}
    gatekeeper = _validate_all(gatekeeper_docs, crds)
    assert gatekeeper == {"valid": GATEKEEPER_TEMPLATES + GATEKEEPER_CONSTRAINTS}


def test_constraint_parameters_match_their_templates() -> None:
    checked = 0
    for template_file, constraint_file in gatekeeper_pairs(need_shared("corpus", "gatekeeper")):
        template = yamlio.load_file(template_file)
        constraint = yamlio.load_file(constraint_file)
        assert validate_constraint_parameters(template, constraint) == [], constraint_file
        checked += 1
    assert checked == GATEKEEPER_CONSTRAINTS


def test_upstream_crds_loaded(upstream_crds: CrdRegistry) -> None:
    kinds = upstream_crds.kinds()
    for expected in (
        "kyverno.io/v1 ClusterPolicy",
        "policies.kyverno.io/v1alpha1 ValidatingPolicy",
        "templates.gatekeeper.sh/v1 ConstraintTemplate",
        "argoproj.io/v1alpha1 Application",
        "kustomize.toolkit.fluxcd.io/v1 Kustomization",
    ):
        assert expected in kinds
    assert upstream_crds.match_schema is not None


# Seeded mistakes: each mutation edits an in-memory copy and names the path it broke.
Mutation = Callable[[dict[str, Any]], tuple[str | int, ...] | None]


def _typo_spec_field(doc: dict[str, Any]) -> tuple[str | int, ...]:
    doc["spec"]["validationFailureActon"] = "Enforce"
    return ("spec", "validationFailureActon")


def _wrong_type(doc: dict[str, Any]) -> tuple[str | int, ...]:
    doc["spec"]["background"] = "yes"
    return ("spec", "background")


def _missing_rule_name(doc: dict[str, Any]) -> tuple[str | int, ...] | None:
    rules = doc["spec"].get("rules") or []
    if not rules:
        return None
    del rules[0]["name"]
    return ("spec", "rules", 0)


def _bad_failure_action(doc: dict[str, Any]) -> tuple[str | int, ...] | None:
    for index, rule in enumerate(doc["spec"].get("rules") or []):
        if "validate" in rule:
            rule["validate"]["failureAction"] = "Block"
            return ("spec", "rules", index, "validate", "failureAction")
    return None


def _vpol_bad_action(doc: dict[str, Any]) -> tuple[str | int, ...]:
    doc["spec"]["validationActions"] = ["Block"]
    return ("spec", "validationActions", 0)


def _vpol_typo(doc: dict[str, Any]) -> tuple[str | int, ...]:
    doc["spec"]["validation"] = doc["spec"].get("validations", [])
    return ("spec", "validation")


def _template_typo(doc: dict[str, Any]) -> tuple[str | int, ...]:
    doc["spec"]["crd"]["spec"]["names"]["kindd"] = "X"
    return ("spec", "crd", "spec", "names", "kindd")


def _constraint_bad_action(doc: dict[str, Any]) -> tuple[str | int, ...]:
    doc.setdefault("spec", {})["enforcementAction"] = "block"
    return ("spec", "enforcementAction")


def _constraint_match_typo(doc: dict[str, Any]) -> tuple[str | int, ...]:
    doc.setdefault("spec", {}).setdefault("match", {})["excludedNamespace"] = ["kube-system"]
    return ("spec", "match", "excludedNamespace")


SEEDS: dict[str, list[Mutation]] = {
    "ClusterPolicy": [_typo_spec_field, _wrong_type, _missing_rule_name, _bad_failure_action],
    "ValidatingPolicy": [_vpol_bad_action, _vpol_typo],
    "ConstraintTemplate": [_template_typo],
    "constraint": [_constraint_bad_action, _constraint_match_typo],
}


@pytest.mark.parametrize("with_crds", [False, True], ids=["built-in", "upstream-crds"])
def test_seeded_mistakes_are_caught(
    with_crds: bool,
    upstream_crds: CrdRegistry,
    kyverno_docs: list[Doc],
    gatekeeper_docs: list[Doc],
) -> None:
    crds = upstream_crds if with_crds else None
    seeded: Counter[str] = Counter()
    for path, _, doc in kyverno_docs + gatekeeper_docs:
        group = doc["apiVersion"].partition("/")[0]
        key = "constraint" if group == "constraints.gatekeeper.sh" else doc["kind"]
        for mutate in SEEDS.get(key, []):
            broken = copy.deepcopy(doc)
            where = mutate(broken)
            if where is None:
                continue
            problems = validate_manifest(broken, crds=crds)
            paths = [p.path for p in problems if p.status is ProblemStatus.INVALID]
            assert where in paths, f"{path}: {mutate.__name__} not caught: {problems}"
            seeded[mutate.__name__] += 1
    assert seeded == {
        "_typo_spec_field": 177,
        "_wrong_type": 177,
        "_missing_rule_name": 177,
        "_bad_failure_action": 153,
        "_vpol_bad_action": 69,
        "_vpol_typo": 69,
        "_template_typo": 33,
        "_constraint_bad_action": 46,
        "_constraint_match_typo": 46,
    }


def test_seeded_parameter_mistakes_are_caught() -> None:
    root = need_shared("corpus", "gatekeeper")
    template = yamlio.load_file(root / "general" / "allowedrepos" / "template.yaml")
    constraint = {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": "K8sAllowedRepos",
        "metadata": {"name": "repo-is-openpolicyagent"},
        "spec": {"parameters": {"repos": "openpolicyagent/"}},
    }
    problems = validate_constraint_parameters(template, constraint)
    assert [(p.path, p.message) for p in problems] == [
        (("spec", "parameters", "repos"), "must be of type array, not string")
    ]
    constraint["spec"]["parameters"] = {"repos": ["ok/"], "repo": ["typo/"]}
    problems = validate_constraint_parameters(template, constraint)
    assert [p.path for p in problems] == [("spec", "parameters", "repo")]


CORE_KINDS = {
    "ConfigMap",
    "ServiceAccount",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "Namespace",
}


def test_core_kinds_in_corpus_test_resources_validate() -> None:
    """The Namespaces, ConfigMaps and RBAC objects the Kyverno tests use are all valid."""
    checked = 0
    for path in sorted(need_shared("corpus", "kyverno").rglob("*.yaml")):
        try:
            docs = yamlio.load_all_file(path)
        except InputError:
            continue  # a few upstream test resources are deliberately not YAML
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") in CORE_KINDS:
                assert validate_manifest(doc) == [], path
                checked += 1
    assert checked == 205
