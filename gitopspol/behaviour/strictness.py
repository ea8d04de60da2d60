"""Behavioural strictness: a higher tier never lets through what a lower tier flags.

For every case and every adjacent pair of tiers (lower, higher) of a :class:`Matrix`:

* **GP401** ``violation-weakened``: a policy the case violates in the lower tier must be
  violated in the higher tier too, with an effect no weaker (audit < warn < deny). A policy
  that passes, no longer applies, or only audits in prd what sbx warned about is reported.
* **GP402** ``denial-lost``: a case the lower tier denies must be denied in the higher tier.

:func:`expectation_findings` turns the cells of ``gitopspol test`` that miss their
expectation into **GP403** ``unexpected-verdict`` findings, so ``validate`` fails on them too.

Findings point at the case file and line; ``tier`` is the higher tier, ``resource`` the
case's resources. The GP4xx rule module of ``validate`` wraps this function.
"""

from __future__ import annotations

from gitopspol.behaviour.cases import Verdict
from gitopspol.behaviour.run import Matrix
from gitopspol.behaviour.tier import effect, policy_key
from gitopspol.engines.admission import RuleResult, Status
from gitopspol.findings import Finding, Location, Severity

VIOLATION_WEAKENED = "GP401"
DENIAL_LOST = "GP402"
UNEXPECTED_VERDICT = "GP403"


def _violations(results: tuple[RuleResult, ...]) -> dict[str, tuple[Verdict, RuleResult]]:
    """``engine:policy`` -> (strongest effect, a result showing it) for violated policies."""
    out: dict[str, tuple[Verdict, RuleResult]] = {}
    for result in results:
        if result.status is not Status.FAIL:
            continue
        key = policy_key(result)
        verdict = effect(result)
        if key not in out or verdict.rank > out[key][0].rank:
            out[key] = (verdict, result)
    return out


def behavioural_strictness(matrix: Matrix) -> list[Finding]:
    """GP401 and GP402 findings for every case and adjacent tier pair of ``matrix``."""
    findings: list[Finding] = []
    pairs = list(zip(matrix.tiers, matrix.tiers[1:], strict=False))
    for case in matrix.cases:
        location = Location(str(case.file), case.line)
        resource = ", ".join(case.resources)
        for lower, higher in pairs:
            low = matrix.cell(case.name, lower).admission
            high = matrix.cell(case.name, higher).admission
            high_violations = _violations(high.results)
            for key, (verdict, result) in _violations(low.results).items():
                got = high_violations.get(key)
                if got is not None and got[0].rank >= verdict.rank:
                    continue
                rule = f" (rule {result.rule})" if result.rule else ""
                now = f"violated with effect {got[0].value}" if got else "not violated"
                findings.append(
                    Finding(
                        VIOLATION_WEAKENED,
                        Severity.ERROR,
                        f"case {case.name}: {result.engine} policy {result.policy}{rule} is "
                        f"violated in {lower} (effect {verdict.value}) but {now} in {higher}",
                        location,
                        higher,
                        resource,
                    )
                )
            if low.verdict is Verdict.DENY and high.verdict is not Verdict.DENY:
                by = ", ".join(dict.fromkeys(policy_key(r) for r in low.deciding))
                findings.append(
                    Finding(
                        DENIAL_LOST,
                        Severity.ERROR,
                        f"case {case.name}: denied in {lower} (by {by}) but "
                        f"{high.verdict.value} in {higher}",
                        location,
                        higher,
                        resource,
                    )
                )
    return findings


def expectation_findings(matrix: Matrix) -> list[Finding]:
    """GP403 for every case and tier whose verdict misses the case's expectation."""
    findings = []
    for cell in matrix.failures:
        problems = "; ".join(m.describe() for m in cell.mismatches)
        findings.append(
            Finding(
                UNEXPECTED_VERDICT,
                Severity.ERROR,
                f"case {cell.case.name} in tier {cell.tier}: {problems}",
                Location(str(cell.case.file), cell.case.line),
                cell.tier,
                ", ".join(cell.case.resources),
            )
        )
    return findings
