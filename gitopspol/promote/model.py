"""The values of a promotion: staged items, the per-policy plan, gates, and the result."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitopspol.diff import Change


class ItemKind(StrEnum):
    """What a staged item is in the lower tier's overlay."""

    #: A document of a resource file the overlay lists in ``resources`` (a new policy).
    RESOURCE = "resource"
    #: An entry of the overlay's ``patches`` that is not a tier-settings patch.
    PATCH = "patch"


@dataclass(frozen=True, slots=True)
class StagedItem:
    """One change staged in the lower tier's overlay (paths relative to the repository)."""

    kind: ItemKind
    #: The overlay's kustomization file.
    kustomization: str
    #: Index of the entry in the kustomization's ``resources`` or ``patches``.
    index: int
    #: 1-based line of that entry in the kustomization.
    line: int
    #: The resource file (RESOURCE) or the patch file of a ``path:`` patch (PATCH).
    file: str | None = None
    #: The document of the resource file (RESOURCE).
    doc_index: int = 0

    def describe(self) -> str:
        """``environments/sbx/x.yaml (document 1)`` or ``environments/sbx/kustomization.yaml:40
        (patch)``."""
        if self.kind is ItemKind.RESOURCE:
            return f"{self.file} (document {self.doc_index + 1})"
        where = f"{self.kustomization}:{self.line} (patch"
        return where + (f" {self.file})" if self.file else ")")


class Action(StrEnum):
    """What promotion does to a policy in the higher tier."""

    ADD = "add"
    CHANGE = "change"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class PolicyPlan:
    """One policy whose content differs between the two tiers (tier settings aside)."""

    #: ``Kind/name`` (``Kind/namespace/name`` for namespaced policies).
    key: str
    action: Action
    #: The semantic diff from the higher tier's content to the lower tier's.
    changes: tuple[Change, ...]
    #: The staged items that make the difference; empty when the higher tier drifted.
    items: tuple[StagedItem, ...]

    @property
    def staged(self) -> bool:
        """Whether promotion can move this policy (a staged item makes the difference)."""
        return bool(self.items)

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.key.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class Plan:
    """What promoting ``from_tier`` to ``to_tier`` would do."""

    from_tier: str
    to_tier: str
    policies: tuple[PolicyPlan, ...]
    #: Keys of the policies chosen for this promotion.
    selected: tuple[str, ...]

    def chosen(self) -> tuple[PolicyPlan, ...]:
        """The selected policies' plans."""
        return tuple(p for p in self.policies if p.key in self.selected)

    def items(self) -> tuple[StagedItem, ...]:
        """The staged items the selected policies move, each once."""
        seen: dict[StagedItem, None] = {}
        for policy in self.chosen():
            seen.update(dict.fromkeys(policy.items))
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Gate:
    """One gate checked before anything is written."""

    name: str
    ok: bool
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Promotion:
    """The outcome: the plan, the gates, and what was written (nothing unless ``written``)."""

    plan: Plan
    gates: tuple[Gate, ...]
    #: Repository-relative paths that promotion changes (written or, on a dry run, would be).
    files: tuple[str, ...] = ()
    written: bool = False
    branch: str | None = None
    commit: str | None = None

    @property
    def ok(self) -> bool:
        """Every gate passed."""
        return all(g.ok for g in self.gates)
