"""The report for people: findings grouped by file, then one counts line."""

from __future__ import annotations

from collections.abc import Sequence

from gitopspol.checks import RuleInfo
from gitopspol.findings import Finding, Severity
from gitopspol.report.common import Summary, plural, relative_file, severity_counts, sort_findings

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD = "\033[1m"
_DIM = "\033[2m"
_RESET = "\033[0m"
NO_FILE = "(no file)"


def text_report(findings: Sequence[Finding], summary: Summary, *, color: bool = False) -> str:
    """Findings grouped by file (``line:column  severity  rule  message  [tier] resource``).

    ``color`` adds ANSI colours; the CLI passes it only when stdout is a terminal.
    """

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    ordered = sort_findings(findings, summary.root)
    lines: list[str] = []
    current: str | None = None
    for finding in ordered:
        loc = finding.location
        file = relative_file(loc.file, summary.root) if loc else NO_FILE
        if file != current:
            if current is not None:
                lines.append("")
            lines.append(paint(file, _BOLD))
            current = file
        position = str(loc.line) if loc and loc.line else "-"
        if loc and loc.line and loc.column:
            position += f":{loc.column}"
        severity = paint(f"{finding.severity.value:<7}", _COLOURS[finding.severity])
        context = " ".join(
            part for part in (f"[{finding.tier}]" if finding.tier else "", finding.resource) if part
        )
        tail = f"  {paint(context, _DIM)}" if context else ""
        message = finding.message.replace("\n", "\n" + " " * 26)  # keep continuation lines indented
        lines.append(f"  {position:<8} {severity} {finding.rule_id}  {message}{tail}")
    if lines:
        lines.append("")
    lines.append(_counts_line(findings, summary))
    return "\n".join(lines) + "\n"


def _counts_line(findings: Sequence[Finding], summary: Summary) -> str:
    counts = severity_counts(findings)
    files = {f.location.file for f in findings if f.location}
    checked = f"{plural(summary.documents, 'document')}"
    if summary.tiers:
        checked += f" in {plural(len(summary.tiers), 'tier')} ({', '.join(summary.tiers)})"
    if not findings:
        return f"no problems found; checked {checked}"
    found = ", ".join(
        plural(counts[severity], word)
        for severity, word in (
            (Severity.ERROR, "error"),
            (Severity.WARNING, "warning"),
            (Severity.INFO, "info"),
        )
        if counts[severity] or severity is not Severity.INFO
    )
    return f"{found} in {plural(len(files), 'file')}; checked {checked}"


def rules_text(rules: Sequence[RuleInfo]) -> str:
    """``validate --list-rules``: one line per rule (id, severity, name, summary)."""
    width = max((len(rule.name) for rule in rules), default=0)
    return "".join(
        f"{rule.id}  {rule.severity.value:<7}  {rule.name:<{width}}  {rule.summary}\n"
        for rule in rules
    )
