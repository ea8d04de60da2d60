"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

One run; ``tool.driver.rules`` lists the rules (ids, names, descriptions, default level);
each result carries ``ruleId``/``ruleIndex``, ``level``, the message, a physical location
(``artifactLocation.uri`` relative to the repository with ``uriBaseId`` ``%SRCROOT%``, and a
region when the line is known) and ``partialFingerprints`` stable across runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from gitopspol.checks.docs import rule_markdown
from gitopspol.findings import Finding, Severity
from gitopspol.report.common import Summary, fingerprints, relative_file, sort_findings

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "gitopspol/v1"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def sarif_report(findings: Sequence[Finding], summary: Summary) -> str:
    """The SARIF log as indented JSON."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for info in summary.rule_infos():
        index[info.id] = len(rules)
        rules.append(
            {
                "id": info.id,
                "name": info.name,
                "shortDescription": {"text": info.summary},
                "fullDescription": {"text": _prose(info.description) or info.summary},
                "help": {
                    "text": info.description or info.summary,
                    "markdown": rule_markdown(info.description or info.summary),
                },
                "defaultConfiguration": {"level": _LEVELS[info.severity]},
                "properties": {"scope": info.scope.value},
            }
        )
    ordered = sort_findings(findings, summary.root)
    for finding in ordered:  # ids from engines or future rules still get a descriptor
        if finding.rule_id not in index:
            index[finding.rule_id] = len(rules)
            rules.append({"id": finding.rule_id, "shortDescription": {"text": finding.rule_id}})
    results = [
        _result(finding, fingerprint, index[finding.rule_id], summary.root)
        for finding, fingerprint in zip(ordered, fingerprints(ordered, summary.root), strict=True)
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "gitopspol",
                "version": summary.tool_version,
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if summary.tiers:
        run["properties"] = {"tiers": list(summary.tiers), "documents": summary.documents}
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _prose(description: str) -> str:
    """A rule description without its examples."""
    return description.split("Passing example::")[0].strip()


def _result(finding: Finding, fingerprint: str, rule_index: int, root: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
    }
    loc = finding.location
    if loc is not None:
        physical: dict[str, Any] = {"artifactLocation": _artifact(loc.file, root)}
        if loc.line > 0:
            region = {"startLine": loc.line}
            if loc.column > 0:
                region["startColumn"] = loc.column
            physical["region"] = region
        result["locations"] = [{"physicalLocation": physical}]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
    properties = {
        key: value
        for key, value in (("tier", finding.tier), ("resource", finding.resource))
        if value
    }
    if properties:
        result["properties"] = properties
    return result


def _artifact(file: str, root: str) -> dict[str, Any]:
    """A repository-relative URI (percent-encoded), or a file: URI outside the repository."""
    relative = relative_file(file, root)
    if PurePosixPath(relative).is_absolute():
        return {"uri": "file://" + quote(relative)}
    return {"uri": quote(relative), "uriBaseId": "%SRCROOT%"}
