"""What every reporter shares: the run summary, finding order, paths, counts and fingerprints."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitopspol import __version__
from gitopspol.checks import RuleInfo
from gitopspol.findings import Finding, Severity


@dataclass(frozen=True, slots=True)
class Summary:
    """What was checked, besides what was found (reporters are pure: no clock, no host lookups).

    ``rules`` are the rules that ran (SARIF ``tool.driver.rules``, JUnit test cases); when
    empty, reporters describe every registered rule. ``root`` is the repository folder:
    finding files under it are reported relative to it. ``timestamp`` (ISO 8601, no zone)
    and ``hostname`` are only used by JUnit, whose schema requires them.
    """

    tiers: tuple[str, ...] = ()
    rules: tuple[RuleInfo, ...] = ()
    documents: int = 0
    root: str = ""
    duration: float = 0.0
    timestamp: str = "1970-01-01T00:00:00"
    hostname: str = "localhost"
    tool_version: str = __version__

    def rule_infos(self) -> tuple[RuleInfo, ...]:
        """The rules that ran, or every registered rule when none were named."""
        if self.rules:
            return self.rules
        from gitopspol.checks import list_rules

        return tuple(list_rules())


def relative_file(file: str, root: str) -> str:
    """``file`` relative to ``root`` with ``/`` separators when it is under root, else as given."""
    path = Path(file)
    if root and path.is_absolute():
        for base in (Path(root).absolute(), Path(root).resolve()):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix()
    return path.as_posix()


def sort_findings(findings: Iterable[Finding], root: str = "") -> list[Finding]:
    """Findings in a stable order: by file, line, column, rule id, tier, message."""

    def key(finding: Finding) -> tuple[str, int, int, str, str, str]:
        loc = finding.location
        file = relative_file(loc.file, root) if loc else ""
        return (
            file,
            loc.line if loc else 0,
            loc.column if loc else 0,
            finding.rule_id,
            finding.tier or "",
            finding.message,
        )

    return sorted(findings, key=key)


def severity_counts(findings: Sequence[Finding]) -> dict[Severity, int]:
    """How many findings of each severity (every severity present, zero included)."""
    counts = Counter(finding.severity for finding in findings)
    return {severity: counts.get(severity, 0) for severity in Severity}


def plural(count: int, word: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def fingerprints(findings: Sequence[Finding], root: str = "") -> list[str]:
    """A fingerprint per finding, stable across runs and line shifts.

    It hashes what identifies the problem (rule, file, tier, resource, message), not its
    line, so code scanning keeps tracking an alert when lines above it move. Identical
    findings get ``:2``, ``:3``... in order, so each fingerprint is unique within a run.
    """
    seen: Counter[str] = Counter()
    out: list[str] = []
    for finding in findings:
        file = relative_file(finding.location.file, root) if finding.location else ""
        parts = (finding.rule_id, file, finding.tier or "", finding.resource or "", finding.message)
        digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]
        seen[digest] += 1
        out.append(digest if seen[digest] == 1 else f"{digest}:{seen[digest]}")
    return out


def fails(findings: Iterable[Finding], fail_on: Severity) -> bool:
    """Whether any finding is at or above ``fail_on`` (``validate --fail-on``: exit 1 if so)."""
    return any(finding.severity.rank >= fail_on.rank for finding in findings)
