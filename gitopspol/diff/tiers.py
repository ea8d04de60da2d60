"""``gitopspol diff FROM TO``: the changes between two tiers of a repository, and their formats.

Formats are pure functions of a :class:`TierDiff`: text for people, JSON (with a
``schema_version``) for scripts, Markdown for a pull-request comment. The Markdown report
lists weakenings first and stops cleanly before ``limit`` characters (GitHub refuses
comments over 65,536), saying how many changes it left out.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from gitopspol.diff.compare import compare
from gitopspol.diff.model import Change, Direction

JSON_SCHEMA_VERSION = 1
#: Default size limit of the Markdown report (GitHub's comment limit is 65,536).
MARKDOWN_LIMIT = 60_000
#: Report order: what a reviewer must look at first.
ORDER = (
    Direction.WEAKENED,
    Direction.REMOVED,
    Direction.ADDED,
    Direction.CHANGED,
    Direction.STRENGTHENED,
)
_MARKS = {
    Direction.WEAKENED: "🔻 weakened",
    Direction.REMOVED: "➖ removed",
    Direction.ADDED: "➕ added",
    Direction.CHANGED: "✏️ changed",
    Direction.STRENGTHENED: "🔺 strengthened",
}


@dataclass(frozen=True, slots=True)
class TierDiff:
    """The changes from tier ``source`` to tier ``target`` (paths relative to ``root``)."""

    source: str
    target: str
    changes: tuple[Change, ...]
    root: str = ""

    def ordered(self) -> list[Change]:
        """Changes in report order: weakened, removed, added, changed, strengthened."""
        return sorted(
            self.changes, key=lambda c: (ORDER.index(c.direction), c.policy, c.rule, c.aspect)
        )

    def counts(self) -> dict[str, int]:
        """How many changes of each direction (every direction, zero included)."""
        found = Counter(c.direction for c in self.changes)
        return {d.value: found.get(d, 0) for d in ORDER}


def diff_tiers(root: str | Path, source: str, target: str) -> TierDiff:
    """Render two tiers of the repository at ``root`` and compare them policy by policy.

    Unknown tiers are :class:`~gitopspol.errors.ConfigError`; a tier that does not render is
    a :class:`~gitopspol.errors.RenderError` (``gitopspol validate`` reports it as a finding).
    """
    from gitopspol.render import Renderer
    from gitopspol.repo.config import load_repository

    repo = load_repository(root)
    renderer = Renderer()
    lower = renderer.build(repo.environment_dir(source))
    higher = renderer.build(repo.environment_dir(target))
    return TierDiff(source, target, tuple(compare(lower, higher)), str(repo.root))


def _summary(diff: TierDiff) -> str:
    counts = diff.counts()
    total = len(diff.changes)
    if not total:
        return f"{diff.source} -> {diff.target}: no policy differences"
    parts = ", ".join(f"{n} {d}" for d, n in counts.items() if n)
    return f"{diff.source} -> {diff.target}: {total} change{'s' if total != 1 else ''} ({parts})"


def _where(change: Change, root: str) -> str:
    found = change.to_json(root)
    if not found["file"]:
        return ""
    return f"{found['file']}:{found['line']}" if found["line"] else str(found["file"])


def _values(change: Change) -> str:
    if not change.before:
        return change.after  # content changes name the fields that differ
    return f"{change.before} -> {change.after or '(none)'}"


def text_diff(diff: TierDiff) -> str:
    """Changes grouped by policy, weakenings first, then the counts line."""
    lines: list[str] = []
    current = None
    for change in diff.ordered():
        if change.policy != current:
            if current is not None:
                lines.append("")
            lines.append(change.policy)
            current = change.policy
        rule = f"rule {change.rule}: " if change.rule else ""
        values = _values(change)
        where = _where(change, diff.root)
        text = f"  {change.direction.value:<12} {rule}{change.aspect}"
        text += f": {values}" if values else ""
        text += f"  ({where})" if where else ""
        lines.append(text)
    if lines:
        lines.append("")
    lines.append(_summary(diff))
    return "\n".join(lines) + "\n"


def json_diff(diff: TierDiff) -> str:
    """``{"schema_version", "from", "to", "changes": [...], "summary": {...}}``."""
    document = {
        "schema_version": JSON_SCHEMA_VERSION,
        "from": diff.source,
        "to": diff.target,
        "changes": [change.to_json(diff.root) for change in diff.ordered()],
        "summary": {"total": len(diff.changes), **diff.counts()},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    """A Markdown table cell: pipes escaped, newlines flattened, long values shortened."""
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 300 else text[:297] + "..."


def markdown_diff(diff: TierDiff, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: summary, then a table, cut cleanly before ``limit`` chars."""
    head = [f"### gitopspol diff: `{diff.source}` → `{diff.target}`", ""]
    counts = diff.counts()
    if not diff.changes:
        return "\n".join([*head, "No policy differences."]) + "\n"
    summary = ", ".join(f"**{n}** {d}" for d, n in counts.items() if n)
    head += [summary, ""]
    head += [
        f"| policy | rule | setting | change | {_cell(diff.source)} | {_cell(diff.target)} | source |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = []
    for change in diff.ordered():
        where = _where(change, diff.root)
        rows.append(
            "| "
            + " | ".join(
                [
                    f"`{_cell(change.policy)}`",
                    _cell(change.rule),
                    _cell(change.aspect),
                    _MARKS[change.direction],
                    _cell(change.before),
                    _cell(change.after),
                    f"`{_cell(where)}`" if where else "",
                ]
            )
            + " |"
        )
    text = "\n".join(head) + "\n"
    for index, row in enumerate(rows):
        after = len(rows) - index - 1
        # Keep room for the note that would follow if a later row did not fit.
        reserve = len(_truncated(after, diff, limit)) if after else 0
        if len(text) + len(row) + 1 + reserve > limit:
            return text + _truncated(len(rows) - index, diff, limit)
        text += row + "\n"
    return text


def _truncated(hidden: int, diff: TierDiff, limit: int) -> str:
    return (
        f"\n… {hidden} more change{'s' if hidden != 1 else ''} not shown (this comment stops "
        f"before {limit:,} characters); run `gitopspol diff {diff.source} {diff.target}` "
        "for the full list.\n"
    )
