"""Conformance: the semantic diff over the Kyverno and Gatekeeper corpora.

Every corpus policy yields a view; a tier compared with itself has no changes; copies
with seeded weakenings are caught, one change per seeded rule or constraint.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest

from gitopspol import yamlio
from gitopspol.checks import RULES, RuleContext, SourceDocument, run_rules
from gitopspol.diff import Direction, compare, policy_views
from tests.conftest import need_shared
from tests.schema.conftest import gatekeeper_pairs, kyverno_policy_files

pytestmark = pytest.mark.corpus


def _docs(paths: list[Any]) -> list[SourceDocument]:
    out: list[SourceDocument] = []
    for path in paths:
        out += SourceDocument.from_text(yamlio.read_text(path), str(path))
    return out


@pytest.fixture(scope="module")
def kyverno() -> list[SourceDocument]:
    return _docs(kyverno_policy_files(need_shared("corpus", "kyverno")))


@pytest.fixture(scope="module")
def gatekeeper() -> list[SourceDocument]:
    root = need_shared("corpus", "gatekeeper")
    return _docs(sorted({p for pair in gatekeeper_pairs(root) for p in pair}))


def _unique(docs: list[SourceDocument]) -> list[SourceDocument]:
    """One document per policy key (the corpus repeats names across folders)."""
    return list({view.key: view.subject for view in policy_views(docs).values()}.values())


def test_every_policy_has_a_view_and_self_compare_is_empty(
    kyverno: list[SourceDocument], gatekeeper: list[SourceDocument]
) -> None:
    assert (len(kyverno), len(gatekeeper)) == (264, 79)
    views = policy_views(kyverno) | policy_views(gatekeeper)
    kinds = Counter(view.kind for view in views.values())
    assert len(views) == 254
    assert kinds["ClusterPolicy"] == 113
    assert kinds["ValidatingPolicy"] == 69
    assert kinds["ConstraintTemplate"] == 33
    assert compare(kyverno, kyverno) == []
    assert compare(gatekeeper, gatekeeper) == []


def _seed_kyverno(doc: SourceDocument) -> tuple[SourceDocument, SourceDocument, int]:
    """(enforcing copy, auditing copy, number of validate rules)."""
    enforce = copy.deepcopy(doc.data)
    spec = enforce.get("spec") or {}
    spec.pop("validationFailureAction", None)
    rules = [r for r in spec.get("rules") or [] if isinstance(r, dict) and "validate" in r]
    for rule in rules:
        rule["validate"]["failureAction"] = "Enforce"
    audit = copy.deepcopy(enforce)
    for rule in audit["spec"].get("rules") or []:
        if isinstance(rule, dict) and "validate" in rule:
            rule["validate"]["failureAction"] = "Audit"
    return SourceDocument(enforce, doc.file), SourceDocument(audit, doc.file), len(rules)


def test_seeded_kyverno_audit_is_caught_per_rule(kyverno: list[SourceDocument]) -> None:
    policies = [
        d
        for d in _unique(kyverno)
        if d.data.get("kind") in ("ClusterPolicy", "Policy")
        and str(d.data.get("apiVersion", "")).startswith("kyverno.io/")
    ]
    lower, higher, expected = [], [], 0
    for doc in policies:
        enforce, audit, count = _seed_kyverno(doc)
        lower.append(enforce)
        higher.append(audit)
        expected += count
    changes = compare(lower, higher)
    assert (len(policies), expected) == (113, 114)
    assert Counter((c.aspect, c.direction) for c in changes) == {
        ("failureAction", Direction.WEAKENED): expected
    }
    findings = run_rules(
        RuleContext(tiers={"sbx": lower, "prd": higher}),
        [rule for rule in RULES if rule.id == "GP201"],
    )
    assert len(findings) == expected


def test_seeded_gatekeeper_weakenings_are_caught(gatekeeper: list[SourceDocument]) -> None:
    constraints = [
        d
        for d in _unique(gatekeeper)
        if str(d.data.get("apiVersion", "")).startswith("constraints.")
    ]
    lower = [SourceDocument(copy.deepcopy(d.data), d.file) for d in constraints]
    higher = []
    for doc in lower:
        data = copy.deepcopy(doc.data)
        spec = data.setdefault("spec", {})
        spec["enforcementAction"] = "dryrun"
        match = spec.setdefault("match", {})
        match["excludedNamespaces"] = [*match.get("excludedNamespaces", []), "seeded-namespace"]
        higher.append(SourceDocument(data, doc.file))
    changes = Counter((c.aspect, c.direction) for c in compare(lower, higher))
    assert len(constraints) == 39
    assert changes == {
        ("enforcementAction", Direction.WEAKENED): len(constraints),
        ("match.excludedNamespaces", Direction.WEAKENED): len(constraints),
    }


def test_seeded_validating_policy_actions_are_caught(kyverno: list[SourceDocument]) -> None:
    policies = [d for d in _unique(kyverno) if d.data.get("kind") == "ValidatingPolicy"]
    lower, higher = [], []
    for doc in policies:
        deny = copy.deepcopy(doc.data)
        deny.setdefault("spec", {})["validationActions"] = ["Deny"]
        audit = copy.deepcopy(deny)
        audit["spec"]["validationActions"] = ["Audit", "Warn"]
        lower.append(SourceDocument(deny, doc.file))
        higher.append(SourceDocument(audit, doc.file))
    assert len(policies) == 69
    findings = run_rules(
        RuleContext(tiers={"sbx": lower, "prd": higher}),
        [rule for rule in RULES if rule.id == "GP202"],
    )
    assert len(findings) == 69
    assert all(f.message.endswith("Deny -> Audit, Warn") for f in findings)
