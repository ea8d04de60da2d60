"""Reporters of ``gitopspol test`` and ``gitopspol check``: pure functions from results to text.

* :func:`matrix_text`, :func:`matrix_json`, :func:`matrix_junit` for a case x tier
  :class:`~gitopspol.behaviour.run.Matrix` (plus :func:`agreement_text`);
* :func:`check_text`, :func:`check_json`, :func:`check_junit`, :func:`check_findings`
  (for the SARIF reporter of :mod:`gitopspol.report`) for ``check``.

JSON documents carry ``schema_version`` (:data:`SCHEMA_VERSION`); JUnit documents have one
``testsuite`` per tier.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from gitopspol.behaviour.agreement import Disagreement
from gitopspol.behaviour.cases import Verdict
from gitopspol.behaviour.check import ObjectVerdict
from gitopspol.behaviour.run import Cell, Matrix, unevaluated
from gitopspol.behaviour.tier import Admission, effect
from gitopspol.engines.admission import RuleResult, Status
from gitopspol.findings import Finding, Location, Severity

SCHEMA_VERSION = 1
#: ``check`` findings (SARIF): an object the tier would deny, or admit with a report.
CHECK_DENIED = "GP410"
CHECK_WARNED = "GP411"
_MESSAGE_WIDTH = 240


def _short(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= _MESSAGE_WIDTH else one[: _MESSAGE_WIDTH - 3] + "..."


def result_name(result: RuleResult) -> str:
    """``engine:policy/rule`` (``engine:policy`` when the rule is unnamed or the policy's)."""
    rule = f"/{result.rule}" if result.rule and result.rule != result.policy else ""
    return f"{result.engine}:{result.policy}{rule}"


def cell_summary(admission: Admission) -> str:
    """``deny (psa, kyverno, gatekeeper)``: the verdict and the engines that decided it,
    then how many policies were not evaluated (``; 3 not evaluated``), if any."""
    engines = admission.engines()
    text = (
        f"{admission.verdict.value} ({', '.join(engines)})" if engines else admission.verdict.value
    )
    skipped = unevaluated(admission)
    return f"{text}; {len(skipped)} not evaluated" if skipped else text


def _result_json(result: RuleResult) -> dict[str, Any]:
    return {
        "engine": result.engine,
        "policy": result.policy,
        "rule": result.rule,
        "status": result.status.value,
        "effect": effect(result).value,
        "message": result.message,
    }


def _unique(results: Sequence[RuleResult]) -> list[RuleResult]:
    """Results without repeats (Gatekeeper gives one FAIL per violation message)."""
    return list(dict.fromkeys(results))


def _not_evaluated(admission: Admission) -> list[RuleResult]:
    """Results that were not evaluated (a Kubewarden module not available offline): listed
    beside the reported ones so they never look like a pass."""
    return [r for r in _unique(admission.results) if r.status is Status.NOT_EVALUATED]


def failure_text(cell: Cell) -> str:
    """``FAIL case in tier T (file:line): expected deny, got warn; ... (decided by ...)``."""
    problems = "; ".join(m.describe() for m in cell.mismatches)
    deciding = ", ".join(dict.fromkeys(result_name(r) for r in cell.admission.deciding))
    by = f" (decided by {deciding})" if deciding else ""
    where = f"{cell.case.file}:{cell.case.line}"
    return f"FAIL {cell.case.name} in tier {cell.tier} ({where}): {problems}{by}"


def matrix_text(matrix: Matrix, *, details: bool = True) -> str:
    """The case x tier matrix, what decided each cell, the failures and a count line."""
    header = ["CASE", *matrix.tiers]
    rows = [header]
    for case in matrix.cases:
        row = [case.name]
        for tier in matrix.tiers:
            cell = matrix.cell(case.name, tier)
            mark = "" if cell.ok else "  FAIL"
            row.append(cell_summary(cell.admission) + mark)
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if details:
        for case in matrix.cases:
            block: list[str] = []
            for tier in matrix.tiers:
                admission = matrix.cell(case.name, tier).admission
                for result in _unique(admission.reported):
                    block.append(
                        f"  {tier}  {effect(result).value:<5}  {result_name(result)}: "
                        f"{_short(result.message)}"
                    )
                for result in _not_evaluated(admission):
                    block.append(
                        f"  {tier}  {'-':<5}  {result_name(result)}: not evaluated: "
                        f"{_short(result.message)}"
                    )
            if block:
                lines += ["", f"{case.name} ({case.file}:{case.line})", *block]
    failures = matrix.failures
    if failures:
        lines.append("")
        lines += [failure_text(cell) for cell in failures]
    passed = matrix.checked - len(failures)
    lines.append("")
    lines.append(
        f"{len(matrix.cases)} cases in {len(matrix.tiers)} tiers: "
        f"{passed} expectations met, {len(failures)} failed"
    )
    return "\n".join(lines) + "\n"


def agreement_text(disagreements: Sequence[Disagreement]) -> str:
    """The cross-engine agreement section."""
    if not disagreements:
        return "cross-engine agreement: policies of the same control agree on every case\n"
    lines = ["cross-engine disagreements:"]
    lines += ["  " + d.describe() for d in disagreements]
    return "\n".join(lines) + "\n"


def _disagreement_json(d: Disagreement) -> dict[str, Any]:
    return {
        "tier": d.tier,
        "case": d.case,
        "control": d.control,
        "violated": list(d.violated),
        "passed": list(d.passed),
    }


def matrix_json(
    matrix: Matrix, disagreements: Sequence[Disagreement] = (), findings: Sequence[Finding] = ()
) -> str:
    """One JSON document: cases, cells (verdict, deciding results, mismatches), summary."""
    cases = []
    for case in matrix.cases:
        tiers: dict[str, Any] = {}
        for tier in matrix.tiers:
            cell = matrix.cell(case.name, tier)
            expected = cell.expected
            tiers[tier] = {
                "verdict": cell.verdict.value,
                "engines": list(cell.admission.engines()),
                "expected": None
                if expected is None
                else {
                    "verdict": expected.verdict.value if expected.verdict else None,
                    "policies": {k: v.value for k, v in expected.policies.items()},
                },
                "ok": cell.ok,
                "mismatches": [
                    {
                        "policy": m.policy,
                        "expected": m.expected.value,
                        "actual": m.actual.value if m.actual else None,
                    }
                    for m in cell.mismatches
                ],
                "deciding": [_result_json(r) for r in _unique(cell.admission.deciding)],
                "results": [_result_json(r) for r in _unique(cell.admission.results)],
            }
        cases.append(
            {
                "name": case.name,
                "file": str(case.file),
                "line": case.line,
                "resources": list(case.resources),
                "tiers": tiers,
            }
        )
    failed = len(matrix.failures)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tiers": list(matrix.tiers),
        "cases": cases,
        "agreement": [_disagreement_json(d) for d in disagreements],
        "strictness": [
            {
                "rule_id": f.rule_id,
                "message": f.message,
                "file": f.location.file if f.location else None,
                "line": f.location.line if f.location else None,
                "tier": f.tier,
            }
            for f in findings
        ],
        "summary": {
            "cases": len(matrix.cases),
            "checked": matrix.checked,
            "passed": matrix.checked - failed,
            "failed": failed,
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def _junit(suites: list[tuple[str, list[str], int, int]]) -> str:
    """``<testsuites>`` from (name, testcase elements, failures, skipped) per suite (no clock)."""
    from gitopspol.report.junit import JUnitSuite, junit_document

    return junit_document(
        [JUnitSuite(name, cases, failures, skipped) for name, cases, failures, skipped in suites]
    )


def _testcase(name: str, classname: str, failure: str | None, skipped: str | None = None) -> str:
    head = f'    <testcase name={quoteattr(name)} classname={quoteattr(classname)} time="0"'
    if failure is not None:
        return (
            f"{head}>\n      <failure message={quoteattr(_short(failure))} type='unexpected'>"
            f"{escape(failure)}</failure>\n    </testcase>"
        )
    if skipped is not None:
        return f"{head}>\n      <skipped message={quoteattr(skipped)}/>\n    </testcase>"
    return f"{head}/>"


def matrix_junit(matrix: Matrix) -> str:
    """JUnit XML: one testsuite per tier, one testcase per case (skipped when not expected)."""
    suites = []
    for tier in matrix.tiers:
        cases = []
        failures = skipped = 0
        for case in matrix.cases:
            cell = matrix.cell(case.name, tier)
            failure = failure_text(cell) if not cell.ok else None
            skip = "no expectation for this tier" if cell.expected is None else None
            failures += failure is not None
            skipped += skip is not None
            cases.append(_testcase(case.name, f"gitopspol.test.{tier}", failure, skip))
        suites.append((tier, cases, failures, skipped))
    return _junit(suites)


def _object_lines(item: ObjectVerdict) -> list[str]:
    m = item.manifest
    lines = [f"{m.file}:{m.line}: {item.resource}: {item.answer}"]
    for result in _unique(item.admission.reported):
        lines.append(f"  {effect(result).value:<5}  {result_name(result)}: {result.message}")
    for result in _not_evaluated(item.admission):
        lines.append(f"  {'-':<5}  {result_name(result)}: not evaluated: {result.message}")
    return lines


def check_text(tier: str, items: Sequence[ObjectVerdict]) -> str:
    """Per object: ``file:line: Kind/ns/name: denied`` and each policy's message."""
    lines: list[str] = []
    for item in items:
        lines += _object_lines(item)
    denied = sum(1 for i in items if i.admission.verdict is Verdict.DENY)
    warned = sum(1 for i in items if i.admission.verdict not in (Verdict.DENY, Verdict.ALLOW))
    lines.append(
        f"{len(items)} objects in {tier}: {len(items) - denied - warned} admitted, "
        f"{warned} admitted with warnings, {denied} denied"
    )
    return "\n".join(lines) + "\n"


def check_json(tier: str, items: Sequence[ObjectVerdict]) -> str:
    """One JSON document: an entry per object with its answer and each policy's message."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tier": tier,
        "objects": [
            {
                "file": i.manifest.file,
                "line": i.manifest.line,
                "resource": i.resource,
                "verdict": i.admission.verdict.value,
                "answer": i.answer,
                "admitted": i.admission.verdict is not Verdict.DENY,
                "policies": [
                    _result_json(r)
                    for r in [*_unique(i.admission.reported), *_not_evaluated(i.admission)]
                ],
            }
            for i in items
        ],
        "summary": {
            "objects": len(items),
            "denied": sum(1 for i in items if i.admission.verdict is Verdict.DENY),
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def check_findings(tier: str, items: Sequence[ObjectVerdict]) -> list[Finding]:
    """One finding per policy that denies (GP410, error) or reports (GP411, warning) an object."""
    findings = []
    for item in items:
        for result in _unique(item.admission.reported):
            denied = effect(result) is Verdict.DENY
            findings.append(
                Finding(
                    CHECK_DENIED if denied else CHECK_WARNED,
                    Severity.ERROR if denied else Severity.WARNING,
                    f"{result_name(result)} ({effect(result).value}): {result.message}",
                    Location(item.manifest.file, item.manifest.line),
                    tier,
                    item.resource,
                )
            )
    return findings


def check_junit(tier: str, items: Sequence[ObjectVerdict]) -> str:
    """JUnit XML: one testsuite (the tier), one testcase per object; denied objects fail."""
    cases = []
    failures = 0
    for item in items:
        failure = None
        if item.admission.verdict is Verdict.DENY:
            failures += 1
            failure = "\n".join(_object_lines(item))
        name = f"{item.resource} ({item.manifest.file}:{item.manifest.line})"
        cases.append(_testcase(name, f"gitopspol.check.{tier}", failure))
    return _junit([(tier, cases, failures, 0)])
