"""Conformance: the kyverno/policies CLI test suites (../shared/corpus/kyverno), via ``verify``.

The corpus's own ``index.py`` (read in place) classifies every expected result by rule type,
independently of gitopspol. Totals are pinned so that a shrunken corpus fails.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from tests.conftest import need_shared

pytestmark = pytest.mark.corpus

TOTAL = 2921
BY_TYPE = {
    "validate": 1955,
    "ValidatingPolicy": 886,
    "mutate": 42,
    "generate": 3,
    "MutatingPolicy": 34,
    "GeneratingPolicy": 1,
}
VALIDATING = ("validate", "ValidatingPolicy")
#: Expected results of validating policies that gitopspol reproduces (raise as it improves).
VALIDATING_FLOOR = 2841
#: (case, policy, rule, resource) -> reason; keep in step with docs/kyverno.md.
KNOWN_DISAGREEMENTS: dict[tuple[str, str, str, str], str] = {}


def _corpus() -> Path:
    return need_shared("corpus", "kyverno")


@pytest.fixture(scope="module")
def index_rows() -> list[list[str]]:
    """One row per expected result, from the corpus's own index.py."""
    root = _corpus()
    out = subprocess.run(
        [sys.executable, str(root / "index.py"), str(root)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if not line.startswith("TOTAL")]


def _key(result: dict[str, object], root: Path) -> tuple[str, str, str, str]:
    case = str(Path(str(result["suite"])).parent.parent.relative_to(root))
    rule = result["rule"] if result["rule"] is not None else "-"
    return case, str(result["policy"]), str(rule), str(result["resource"])


@pytest.fixture(scope="module")
def verify_json() -> dict[str, object]:
    root = _corpus()
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["verify", "--format", "json", str(root)])
    doc: dict[str, object] = json.loads(buffer.getvalue())
    doc["exit_code"] = code
    return doc


def _types(rows: list[list[str]]) -> dict[tuple[str, str, str, str], str]:
    """(case, policy, rule, resource) -> rule type (validate, mutate, ValidatingPolicy, ...)."""
    return {(row[0], row[1], row[2], row[4]): row[6] for row in rows}


def test_corpus_totals(index_rows: list[list[str]]) -> None:
    assert len(index_rows) == TOTAL
    assert Counter(row[6] for row in index_rows) == Counter(BY_TYPE)


def test_verify_reproduces_validating_results(
    verify_json: dict[str, object], index_rows: list[list[str]]
) -> None:
    root = _corpus()
    results = verify_json["results"]
    assert isinstance(results, list)
    summary = verify_json["summary"]
    assert isinstance(summary, dict)
    assert summary["total"] == TOTAL == len(results)
    types = _types(index_rows)
    validating = [r for r in results if types[_key(r, root)] in VALIDATING]
    assert len(validating) == BY_TYPE["validate"] + BY_TYPE["ValidatingPolicy"]
    ok = [r for r in validating if r["ok"]]
    assert len(ok) >= VALIDATING_FLOOR
    assert len(ok) / len(validating) >= 0.97
    disagreements = {_key(r, root) for r in validating if not r["ok"]}
    assert disagreements == set(KNOWN_DISAGREEMENTS)
    assert verify_json["exit_code"] == 1  # mutate/generate lines are never passed


def test_mutate_and_generate_are_never_passed(
    verify_json: dict[str, object], index_rows: list[list[str]]
) -> None:
    root = _corpus()
    results = verify_json["results"]
    assert isinstance(results, list)
    types = _types(index_rows)
    others = [r for r in results if types[_key(r, root)] not in VALIDATING]
    assert len(others) == TOTAL - BY_TYPE["validate"] - BY_TYPE["ValidatingPolicy"]
    actual = Counter(r["actual"] for r in others)
    assert set(actual) <= {"not evaluated", "skip"}
    # Only lines whose rule provably does not apply (preconditions false) agree.
    assert all(r["expected"] == "skip" for r in others if r["ok"])
    assert actual["not evaluated"] >= 70
