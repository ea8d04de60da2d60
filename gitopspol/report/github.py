"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding.

Escaping follows the runner's rules (actions/toolkit ``command.ts``): in the message ``%``,
CR and LF are percent-encoded; in property values ``:`` and ``,`` are too.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitopspol.findings import Finding, Severity
from gitopspol.report.common import Summary, relative_file, sort_findings

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_report(findings: Sequence[Finding], summary: Summary) -> str:
    """One annotation line per finding, in stable order (empty text when there is none)."""
    lines: list[str] = []
    for finding in sort_findings(findings, summary.root):
        properties: list[tuple[str, str]] = []
        loc = finding.location
        if loc is not None:
            properties.append(("file", relative_file(loc.file, summary.root)))
            if loc.line:
                properties.append(("line", str(loc.line)))
            if loc.column:
                properties.append(("col", str(loc.column)))
        title = finding.rule_id + (f" [{finding.tier}]" if finding.tier else "")
        properties.append(("title", title))
        props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
        message = finding.message + (f" ({finding.resource})" if finding.resource else "")
        lines.append(f"::{_COMMANDS[finding.severity]} {props}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)
