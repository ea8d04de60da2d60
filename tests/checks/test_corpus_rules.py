"""Conformance: the GP3xx rules over the whole policy corpus raise only the expected warnings."""

from __future__ import annotations

from collections import Counter

import pytest

from gitopspol import yamlio
from gitopspol.checks import RULES, RuleContext, SourceDocument, run_rules
from tests.conftest import need_shared
from tests.schema.conftest import gatekeeper_pairs, kyverno_policy_files

pytestmark = pytest.mark.corpus


def test_corpus_raises_only_not_validated_warnings() -> None:
    kyverno = kyverno_policy_files(need_shared("corpus", "kyverno"))
    pairs = list(gatekeeper_pairs(need_shared("corpus", "gatekeeper")))
    tiers: dict[str, list[SourceDocument]] = {"kyverno": []}
    for path in kyverno:
        tiers["kyverno"] += SourceDocument.from_text(yamlio.read_text(path), str(path))
    # One tier per gator test: its template and its constraint, as a repository would hold them.
    for index, (template, constraint) in enumerate(pairs):
        tiers[f"gatekeeper-{index}"] = [
            *SourceDocument.from_text(yamlio.read_text(template), str(template)),
            *SourceDocument.from_text(yamlio.read_text(constraint), str(constraint)),
        ]
    # The tiers here are an artificial grouping (the corpus repeats policy names across
    # folders, and its "tiers" are not ranked): only the per-document schema rules apply.
    schema_rules = [rule for rule in RULES if rule.id.startswith("GP3")]
    findings = run_rules(RuleContext(tiers=tiers), schema_rules)
    assert sum(len(docs) for docs in tiers.values()) == 264 + 2 * 46
    assert Counter(f.rule_id for f in findings) == {"GP302": 18}
    kinds = Counter(f.message.split(" ")[4] for f in findings)
    assert kinds == {"MutatingPolicy:": 17, "GeneratingPolicy:": 1}
