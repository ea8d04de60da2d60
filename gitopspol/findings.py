"""The finding model: "evaluated, and something is wrong", with the source location to fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is; ``--fail-on`` compares against this order."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file the user edits (1-based line and column; 0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")
        return self.file


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by a check or an engine."""

    rule_id: str
    severity: Severity
    message: str
    location: Location | None = None
    tier: str | None = None
    resource: str | None = None
