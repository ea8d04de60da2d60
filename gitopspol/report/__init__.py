"""Reporters: pure functions from findings (and a run :class:`Summary`) to text.

Public API::

    render_report(fmt, findings, summary, *, color=False) -> str   fmt in FORMATS
    text_report(findings, summary, *, color=False) -> str
    rules_text(list_rules()) -> str            (``validate --list-rules``)
    json_report(findings, summary) -> str      (JSON_SCHEMA_VERSION)
    sarif_report(findings, summary) -> str     (SARIF 2.1.0)
    junit_report(findings, summary) -> str     (JUnit XML)
    github_report(findings, summary) -> str    (GitHub Actions annotations)
    Summary, fingerprints(findings, root), fails(findings, fail_on) -> bool
    report.schema.json: the JSON Schema of the json report
"""

from __future__ import annotations

from collections.abc import Sequence

from gitopspol.errors import GitopspolError
from gitopspol.findings import Finding
from gitopspol.report.common import Summary, fails, fingerprints, relative_file, sort_findings
from gitopspol.report.github import github_report
from gitopspol.report.json_report import JSON_SCHEMA_VERSION, json_report
from gitopspol.report.junit import junit_report
from gitopspol.report.sarif import sarif_report
from gitopspol.report.text import rules_text, text_report

FORMATS = ("text", "json", "sarif", "junit", "github")


def render_report(
    fmt: str, findings: Sequence[Finding], summary: Summary, *, color: bool = False
) -> str:
    """The report in format ``fmt``; an unknown format is a usage error."""
    if fmt == "text":
        return text_report(findings, summary, color=color)
    reporters = {
        "json": json_report,
        "sarif": sarif_report,
        "junit": junit_report,
        "github": github_report,
    }
    if fmt not in reporters:
        raise GitopspolError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
    return reporters[fmt](findings, summary)


__all__ = [
    "FORMATS",
    "JSON_SCHEMA_VERSION",
    "Summary",
    "fails",
    "fingerprints",
    "github_report",
    "json_report",
    "junit_report",
    "relative_file",
    "render_report",
    "rules_text",
    "sarif_report",
    "sort_findings",
    "text_report",
]
