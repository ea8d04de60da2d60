"""The JSON report: one document with a ``schema_version``, for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gitopspol.findings import Finding
from gitopspol.report.common import (
    Summary,
    fingerprints,
    relative_file,
    severity_counts,
    sort_findings,
)

#: Bumped when a field changes meaning or goes away (adding fields does not bump it).
JSON_SCHEMA_VERSION = 1


def json_report(findings: Sequence[Finding], summary: Summary) -> str:
    """``{"schema_version", "tool", "findings": [...], "summary": {...}}`` as indented JSON."""
    ordered = sort_findings(findings, summary.root)
    counts = severity_counts(ordered)
    items: list[dict[str, Any]] = []
    for finding, fingerprint in zip(ordered, fingerprints(ordered, summary.root), strict=True):
        loc = finding.location
        items.append(
            {
                "rule_id": finding.rule_id,
                "severity": finding.severity.value,
                "message": finding.message,
                "file": relative_file(loc.file, summary.root) if loc else None,
                "line": loc.line if loc and loc.line else None,
                "column": loc.column if loc and loc.column else None,
                "tier": finding.tier,
                "resource": finding.resource,
                "fingerprint": fingerprint,
            }
        )
    document = {
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": "gitopspol", "version": summary.tool_version},
        "findings": items,
        "summary": {
            "total": len(ordered),
            **{severity.value: count for severity, count in counts.items()},
            "documents": summary.documents,
            "tiers": list(summary.tiers),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
