"""``docs/rules.md``, generated from the registry so the documentation is the rules' docstrings."""

from __future__ import annotations

import re
import textwrap

from gitopspol.checks.registry import RULES

_RANGES = (
    ("GP1", "Consistency"),
    ("GP2", "Tier strictness"),
    ("GP3", "Schema"),
    ("GP4", "Behaviour"),
    ("GP5", "GitOps output"),
)
_LITERAL = re.compile(r"^(.*)::\n\n((?:(?:    .*)?\n)+)", re.MULTILINE)


def rule_markdown(doc: str) -> str:
    """A rule docstring as Markdown: ``Title::`` literal blocks become YAML code fences."""

    def fence(match: re.Match[str]) -> str:
        body = textwrap.dedent(match.group(2)).strip("\n")
        return f"**{match.group(1)}**\n\n```yaml\n{body}\n```\n\n"

    # ``# expect:`` lines are for the example tests, not for readers.
    prose = re.sub(r"^ *# expect: .*\n", "", textwrap.dedent(doc).strip() + "\n", flags=re.M)
    return _LITERAL.sub(fence, prose.replace("``", "`")).strip() + "\n"


def rules_markdown() -> str:
    """The whole rules reference: one section per id range, one per rule."""
    out = [
        "# gitopspol validate: rules\n",
        "Generated from the rule docstrings in `gitopspol/checks/rules/` by",
        "`gitopspol.checks.docs.rules_markdown()`; regenerate with `make golden`.",
        "Rule ids are stable and never reused. `gitopspol validate --list-rules` prints",
        "the same list.\n",
        "| id | name | severity | summary |",
        "|---|---|---|---|",
    ]
    ordered = sorted(RULES, key=lambda rule: rule.id)
    out += [
        f"| [{r.id}](#{r.id.lower()}-{r.name}) | {r.name} | {r.severity.value} | {r.info.summary} |"
        for r in ordered
    ]
    for prefix, title in _RANGES:
        rules = [rule for rule in ordered if rule.id.startswith(prefix)]
        out.append(f"\n## {prefix}xx {title}\n")
        if not rules:
            out.append("No rules yet.")
        for rule in rules:
            out.append(f"### {rule.id} {rule.name}\n")
            out.append(f"Severity: {rule.severity.value}. Scope: {rule.scope.value}.\n")
            out.append(rule_markdown(rule.doc))
    return "\n".join(out).rstrip("\n") + "\n"
