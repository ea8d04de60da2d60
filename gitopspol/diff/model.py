"""The values of a semantic tier diff: policy settings, and the changes between two tiers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitopspol.checks.base import Subject


class Category(StrEnum):
    """What a setting controls, which says how to compare it between tiers.

    Ordered categories hold ``{scope: (rank, label)}`` maps (a higher rank is stricter);
    set categories hold frozensets of strings; ``content`` holds a canonical JSON string.
    """

    KYVERNO_ACTION = "kyverno-action"
    VALIDATION_ACTIONS = "validation-actions"
    GATEKEEPER_ACTION = "gatekeeper-action"
    #: Kubewarden ``spec.mode``: ``monitor`` < ``protect``.
    KUBEWARDEN_MODE = "kubewarden-mode"
    #: What admission does when the policy cannot be evaluated: ``Ignore`` < ``Fail``.
    FAILURE_POLICY = "failure-policy"
    POD_SECURITY = "pod-security"
    #: Exclusions, exceptions, exemptions: a larger set is weaker.
    EXCLUSION = "exclusion"
    #: Match filters: a removed value or a new condition narrows the match (weaker).
    MATCH = "match"
    #: Allow-lists (registries, capabilities, volume types, pattern alternatives): larger is weaker.
    ALLOW_LIST = "allow-list"
    #: Deny-lists (disallowed tags, required labels): larger is stricter.
    DENY_LIST = "deny-list"
    #: A Kubewarden policy weaker by :func:`gitopspol.engines.kubewarden.compare` (rules,
    #: selectors, settings lists, module, group members): only "weakened".
    KUBEWARDEN = "kubewarden"
    #: Anything else: only "changed".
    CONTENT = "content"
    #: The presence of a policy or rule.
    PRESENCE = "presence"


ORDERED = frozenset(
    {
        Category.KYVERNO_ACTION,
        Category.VALIDATION_ACTIONS,
        Category.GATEKEEPER_ACTION,
        Category.KUBEWARDEN_MODE,
        Category.FAILURE_POLICY,
        Category.POD_SECURITY,
    }
)
SETS = frozenset({Category.EXCLUSION, Category.MATCH, Category.ALLOW_LIST, Category.DENY_LIST})


class Direction(StrEnum):
    """How a policy, rule or setting differs in the higher (``to``) tier."""

    ADDED = "added"
    REMOVED = "removed"
    STRENGTHENED = "strengthened"
    WEAKENED = "weakened"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Setting:
    """One comparable setting of a policy: per rule (``rule``; empty for the policy itself)."""

    category: Category
    rule: str
    aspect: str
    value: Any
    #: JSON pointer of the field in the rendered resource (for source locations).
    pointer: str


@dataclass(frozen=True, slots=True)
class PolicyView:
    """The comparable view of one policy resource of a tier."""

    key: str
    kind: str
    name: str
    subject: Subject
    rules: tuple[str, ...]
    settings: tuple[Setting, ...]
    #: An exception/exemption object (Kyverno PolicyException): its presence widens.
    exemption: bool = False

    def setting_map(self) -> dict[tuple[str, str], Setting]:
        """Settings by ``(rule, aspect)``."""
        return {(s.rule, s.aspect): s for s in self.settings}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two tiers, with the values on each side.

    ``subject`` and ``pointer`` locate the change in the tier that has the policy (the
    ``to`` tier, or the ``from`` tier for removals).
    """

    policy: str
    rule: str
    aspect: str
    category: Category
    direction: Direction
    before: str
    after: str
    subject: Subject | None = None
    pointer: str = ""

    @property
    def weakens(self) -> bool:
        """Whether the ``to`` tier is less strict here than the ``from`` tier."""
        return self.direction is Direction.WEAKENED or (
            self.direction is Direction.REMOVED and self.category is Category.PRESENCE
        )

    def location(self) -> tuple[str, int] | None:
        """``(file, line)`` of the source that set the value (None without a subject)."""
        from gitopspol.diff.locate import locate

        if self.subject is None:
            return None
        found = locate(self.subject, self.pointer)
        return found.file, found.line

    def to_json(self, root: str = "") -> dict[str, Any]:
        """The change as JSON data (``diff --format json``)."""
        from gitopspol.report.common import relative_file

        where = self.location()
        return {
            "policy": self.policy,
            "rule": self.rule or None,
            "aspect": self.aspect,
            "category": self.category.value,
            "change": self.direction.value,
            "before": self.before,
            "after": self.after,
            "file": relative_file(where[0], root) if where else None,
            "line": where[1] if where and where[1] else None,
        }


def ordered_label(value: Mapping[str, tuple[Any, str]]) -> str:
    """``Enforce`` or ``Audit; namespace payments: Enforce`` for an ordered map."""
    parts = [value[""][1]] if "" in value else []
    parts += [f"{scope}: {value[scope][1]}" for scope in sorted(value) if scope]
    return "; ".join(parts)


def set_label(value: frozenset[str]) -> str:
    """``[a, b]`` for a set (sorted)."""
    return "[" + ", ".join(sorted(value)) + "]"
