"""Conformance: gator Suites of gatekeeper-library (../shared/corpus/gatekeeper), via the CLI.

The totals are pinned, so a shrunken corpus fails instead of passing. Every case must pass
except those listed (with their reason) in KNOWN_FAILURES and in docs/gatekeeper.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from gitopspol import yamlio
from gitopspol.cli.main import main
from gitopspol.engines.gatekeeper.suite import run_suite
from gitopspol.engines.suite import discover
from tests.conftest import need_shared

pytestmark = pytest.mark.corpus

SUITES = 33
TESTS = 46
CASES = 177
ASSERTIONS = 194
#: (suite directory, "<test>/<case>") -> reason. Keep in step with docs/gatekeeper.md.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _corpus() -> Path:
    return need_shared("corpus", "gatekeeper")


def test_corpus_totals() -> None:
    root = _corpus()
    suites = [path for engine, path in discover([root]) if engine == "gatekeeper"]
    assert len(suites) == SUITES
    tests = [t for s in suites for t in yamlio.load_file(s)["tests"]]
    assert len(tests) == TESTS
    assert sum(len(t["cases"]) for t in tests) == CASES
    assert sum(len(c["assertions"]) for t in tests for c in t["cases"]) == ASSERTIONS


def _failed_cases(results: list[dict[str, object]]) -> dict[tuple[str, str], list[str]]:
    failed: dict[tuple[str, str], list[str]] = {}
    for r in results:
        if not r["ok"]:
            key = (Path(str(r["suite"])).parent.name, str(r["resource"]))
            failed.setdefault(key, []).append(
                f"{r['expected']} -> {r['actual']} {r.get('detail', '')}"
            )
    return failed


def test_verify_json_over_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    """gator's default (CEL first for templates that have both), through ``gitopspol verify``."""
    code = main(["verify", "--format", "json", str(_corpus())])
    doc = json.loads(capsys.readouterr().out)
    results = doc["results"]
    assert doc["summary"]["total"] == ASSERTIONS == len(results)
    cases = Counter((r["suite"], r["resource"]) for r in results)
    assert len(cases) == CASES
    assert len({r["suite"] for r in results}) == SUITES
    failed = _failed_cases(results)
    assert set(failed) == set(KNOWN_FAILURES), failed
    assert (CASES - len(failed)) / CASES >= 0.98
    assert code == (1 if failed else 0)
    assert all(r["expected"].startswith("violations: ") for r in results)


def test_rego_only_over_corpus() -> None:
    """With CEL disabled (gator ``--enable-k8s-native-validation=false``) the Rego passes too."""
    results = [r for _, path in discover([_corpus()]) for r in run_suite(path, prefer_cel=False)]
    assert len(results) == ASSERTIONS
    failed = {(Path(r.suite).parent.name, r.resource) for r in results if not r.ok}
    assert failed == set(KNOWN_FAILURES)


def test_text_output_ends_with_totals(capsys: pytest.CaptureFixture[str]) -> None:
    root = _corpus() / "general" / "allowedrepos"
    assert main(["verify", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "11 passed, 0 failed"
