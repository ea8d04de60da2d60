"""The rule registry: unique, well-formed, complete, documented; every documented example runs."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import Counter

import pytest

import gitopspol.checks.rules as rules_package
from gitopspol.checks import RULES, Rule, get_rule, list_rules, run_rules
from gitopspol.checks.examples import Example, rule_examples
from gitopspol.errors import ConfigError

RANGES = {
    "1": "consistency",
    "2": "tier strictness",
    "3": "schema",
    "4": "behaviour",
    "5": "gitops",
}


def test_rule_ids_are_unique() -> None:
    duplicates = [rule_id for rule_id, n in Counter(rule.id for rule in RULES).items() if n > 1]
    assert duplicates == []
    names = Counter(rule.name for rule in RULES)
    assert [name for name, n in names.items() if n > 1] == []


def test_rule_ids_are_in_their_ranges() -> None:
    for rule in RULES:
        assert re.fullmatch(r"GP[1-5][0-9][0-9]", rule.id), rule.id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name


def test_every_rule_module_is_registered() -> None:
    registered = {id(rule) for rule in RULES}
    modules = [info.name for info in pkgutil.iter_modules(rules_package.__path__)]
    assert modules, "no rule modules found"
    for name in modules:
        module = importlib.import_module(f"{rules_package.__name__}.{name}")
        rule = getattr(module, "RULE", None)
        assert isinstance(rule, Rule), f"{name} defines no RULE"
        assert id(rule) in registered, f"{name} ({rule.id}) is not in the registry"
        assert name.startswith(rule.id.lower() + "_"), f"{name} is not named after {rule.id}"
    assert len(modules) == len(RULES)


def test_consistency_and_strictness_rules_are_registered() -> None:
    ids = [info.id for info in list_rules()]
    assert [i for i in ids if i.startswith("GP1")] == [f"GP1{n:02d}" for n in range(1, 12)]
    assert [i for i in ids if i.startswith("GP20")] == [f"GP20{n}" for n in range(1, 10)]


def test_schema_rules_are_registered() -> None:
    assert [info.id for info in list_rules() if info.id.startswith("GP3")] == [
        "GP301",
        "GP302",
        "GP303",
        "GP304",
    ]


def test_every_rule_documents_a_passing_and_a_failing_example() -> None:
    for rule in RULES:
        kinds = {example.passing for example in rule_examples(rule)}
        assert kinds == {True, False}, f"{rule.id} lacks a passing or a failing example"
        assert rule.info.summary, f"{rule.id} has no summary line"


def test_list_rules_is_sorted_and_described() -> None:
    infos = list_rules()
    assert [info.id for info in infos] == sorted(info.id for info in infos)
    assert infos[0].summary == "A tier does not render: its kustomization fails to build."
    assert "Passing example::" in infos[0].description
    schema = next(info for info in infos if info.id == "GP301")
    assert schema.summary == "A rendered manifest breaks the schema of its kind."


def test_get_rule() -> None:
    assert get_rule("gp301").name == "schema-violation"
    with pytest.raises(ConfigError, match="unknown rule id"):
        get_rule("GP999")


EXAMPLES = [(rule, example) for rule in RULES for example in rule_examples(rule)]


@pytest.mark.parametrize(
    ("rule", "example"),
    EXAMPLES,
    ids=[f"{rule.id}-{'pass' if ex.passing else 'fail'}" for rule, ex in EXAMPLES],
)
def test_documented_example(rule: Rule, example: Example) -> None:
    findings = run_rules(example.context(), [rule])
    if example.passing:
        assert findings == [], [f.message for f in findings]
        return
    assert findings, f"{rule.id}: the failing example raised no finding"
    for finding in findings:
        assert finding.rule_id == rule.id
        assert finding.severity == rule.severity
        assert finding.location is not None
        assert finding.location.line > 0
    messages = [finding.message for finding in findings]
    for expected in example.expect:
        assert any(expected in message for message in messages), (expected, messages)
