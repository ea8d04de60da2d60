"""JUnit XML for CI dashboards: one ``<testsuite>`` per tier, one ``<testcase>`` per check.

A rule that found nothing in a tier is one passing test case; each finding is a failing
test case of its own (``<failure type="error|warning|info">``). The layout satisfies both
the strict Ant JUnit schema (every required attribute and child, in order) and the looser
Jenkins/pytest ``junit-10.xsd``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from gitopspol.findings import Finding
from gitopspol.report.common import Summary, relative_file, sort_findings

NO_TIER = "repository"
# Characters XML 1.0 cannot carry at all (messages quote user input).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class JUnitSuite:
    """One ``<testsuite>``: its ``<testcase>`` elements (already written) and attributes."""

    name: str
    cases: Sequence[str]
    failures: int
    skipped: int | None = None
    timestamp: str = "1970-01-01T00:00:00"
    hostname: str = "localhost"
    time: str = "0"
    properties: Sequence[tuple[str, str]] = ()


def junit_document(suites: Sequence[JUnitSuite]) -> str:
    """``<testsuites>`` valid under both JUnit XSDs (the Ant schema requires timestamp,
    hostname, properties and the output elements, in this order)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for index, suite in enumerate(suites):
        skipped = "" if suite.skipped is None else f' skipped="{suite.skipped}"'
        lines.append(
            f'  <testsuite name={quoteattr(suite.name)} package="gitopspol" id="{index}"'
            f" timestamp={quoteattr(suite.timestamp)} hostname={quoteattr(suite.hostname)}"
            f' tests="{len(suite.cases)}" failures="{suite.failures}" errors="0"{skipped}'
            f' time="{suite.time}">'
        )
        if suite.properties:
            lines.append("    <properties>")
            lines.extend(
                f"      <property name={quoteattr(k)} value={quoteattr(v)}/>"
                for k, v in suite.properties
            )
            lines.append("    </properties>")
        else:
            lines.append("    <properties/>")
        lines.extend(suite.cases)
        lines.append("    <system-out/>")
        lines.append("    <system-err/>")
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def junit_report(findings: Sequence[Finding], summary: Summary) -> str:
    """The ``<testsuites>`` document as a string."""
    ordered = sort_findings(findings, summary.root)
    tiers = list(summary.tiers) or []
    for finding in ordered:
        name = finding.tier or NO_TIER
        if name not in tiers:
            tiers.append(name)
    rules = summary.rule_infos()
    suites: list[JUnitSuite] = []
    for suite_id, tier in enumerate(tiers or [NO_TIER]):
        cases: list[str] = []
        failures = 0
        in_tier = [f for f in ordered if (f.tier or NO_TIER) == tier]
        rule_ids = [info.id for info in rules]
        rule_ids += sorted({f.rule_id for f in in_tier} - set(rule_ids))
        names = {info.id: info.name for info in rules}
        for rule_id in rule_ids:
            mine = [f for f in in_tier if f.rule_id == rule_id]
            classname = f"gitopspol.{tier}.{rule_id}"
            if not mine and (tier != NO_TIER or not summary.tiers):
                title = f"{rule_id} {names.get(rule_id, '')}".strip()
                cases.append(
                    f'    <testcase name={quoteattr(title)} classname={quoteattr(classname)} time="0"/>'
                )
            for finding in mine:
                failures += 1
                cases.append(_failed_case(finding, classname, summary.root))
        suites.append(
            JUnitSuite(
                name=tier,
                cases=cases,
                failures=failures,
                timestamp=summary.timestamp,
                hostname=summary.hostname,
                time=f"{summary.duration if suite_id == 0 else 0.0:.3f}",
                properties=(
                    ("gitopspol.version", summary.tool_version),
                    ("documents", str(summary.documents)),
                ),
            )
        )
    return junit_document(suites)


def _failed_case(finding: Finding, classname: str, root: str) -> str:
    loc = finding.location
    where = relative_file(loc.file, root) if loc else ""
    if loc and loc.line:
        where += f":{loc.line}"
    subject = finding.resource or where or "repository"
    name = _xml_safe(f"{finding.rule_id} {subject}")
    message = _xml_safe(finding.message)
    body = f"{where}: {message}" if where else message
    return (
        f'    <testcase name={quoteattr(name)} classname={quoteattr(classname)} time="0">\n'
        f"      <failure message={quoteattr(message)} type={quoteattr(finding.severity.value)}>"
        f"{escape(body)}</failure>\n"
        "    </testcase>"
    )
