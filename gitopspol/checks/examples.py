"""The passing and failing examples in rule docstrings, parsed so tests can run them.

An example is a literal block after a ``Passing example::`` or ``Failing example::`` line,
indented by four spaces. It is a YAML stream; ``# tier: NAME`` lines start the documents
of another tier (default tier: ``example``), so cross-tier rules can show two tiers.
``# expect: TEXT`` lines say what a failing example's finding messages must contain.
A ``# settings:`` line starts a YAML mapping of repository data for ``RuleContext.settings``
(render errors, the base, waivers, tier profiles: what the orchestrator passes as plain data).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Any

from gitopspol import yamlio
from gitopspol.checks.base import Rule, RuleContext, SourceDocument

_HEADER = re.compile(r"^(Passing|Failing) example::\n\n((?:(?:    .*)?\n)+)", re.MULTILINE)
_DIRECTIVE = re.compile(r"^# (tier|expect|settings):(.*)$")
SETTINGS = "\0settings"
DEFAULT_TIER = "example"


@dataclass(frozen=True, slots=True)
class Example:
    """One documented example of a rule."""

    rule_id: str
    passing: bool
    #: Tier name -> YAML text, in the order written.
    tiers: tuple[tuple[str, str], ...]
    #: Substrings the failing example's findings must contain (one finding each).
    expect: tuple[str, ...] = ()
    #: YAML text of the ``# settings:`` block (empty when there is none).
    settings: str = ""

    def context(self) -> RuleContext:
        """A rule context whose tiers hold the example's documents (file ``<RULE>-example``)."""
        file = f"{self.rule_id}-{'passing' if self.passing else 'failing'}.yaml"
        settings: Any = yamlio.load(self.settings, file) if self.settings else {}
        return RuleContext(
            tiers={tier: SourceDocument.from_text(text, file) for tier, text in self.tiers},
            settings=settings if isinstance(settings, dict) else {},
        )


def rule_examples(rule: Rule) -> list[Example]:
    """Every example in the rule's docstring, in order."""
    examples: list[Example] = []
    for match in _HEADER.finditer(rule.doc + "\n"):
        tiers: list[tuple[str, list[str]]] = [(DEFAULT_TIER, [])]
        expect: list[str] = []
        for line in textwrap.dedent(match.group(2)).splitlines():
            directive = _DIRECTIVE.match(line)
            if directive and directive.group(1) == "tier":
                tiers.append((directive.group(2).strip(), []))
            elif directive and directive.group(1) == "settings":
                tiers.append((SETTINGS, []))
            elif directive:
                expect.append(directive.group(2).strip())
            else:
                tiers[-1][1].append(line)
        texts = tuple(
            (name, "\n".join(lines) + "\n")
            for name, lines in tiers
            if any(lines) and name != SETTINGS
        )
        settings = "".join("\n".join(lines) + "\n" for name, lines in tiers if name == SETTINGS)
        passing = match.group(1) == "Passing"
        examples.append(Example(rule.id, passing, texts, tuple(expect), settings))
    return examples
