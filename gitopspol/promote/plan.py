"""The promotion plan and the file edits that carry it out, computed in a scratch copy.

Both tiers are rendered and compared with tier settings normalised away (Kyverno failure
actions, validation actions, Gatekeeper enforcement actions, Namespace PSA labels): what is
left is policy content. Each candidate item of the lower tier's overlay is taken out in
turn and the tier rendered again; the policies whose content changes are the ones that
item stages. Promotion then

1. takes the chosen items out of the lower overlay,
2. moves staged resource documents into the shared base (``policies/``),
3. renders the lower tier again and edits the base documents until it renders exactly as
   before (a staged patch's effect is written into the policy's base document; a staged
   ``$patch: delete`` deletes the base document),

so the lower tier keeps rendering the same bytes and the higher tier now renders the
promoted content with its own tier settings. Nothing here touches the work tree.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopspol import yamlio
from gitopspol.errors import ConfigError, GitopspolError
from gitopspol.promote.documents import Documents, edit_document, split_documents
from gitopspol.promote.model import Action, ItemKind, Plan, PolicyPlan, StagedItem
from gitopspol.promote.staging import (
    KUSTOMIZATION,
    Edits,
    candidates,
    load_kustomization,
    probe_without,
    read_text,
    remove_items,
)
from gitopspol.render.model import deep_copy

if TYPE_CHECKING:
    from gitopspol.checks import Subject
    from gitopspol.diff import Change
    from gitopspol.render import Resource
    from gitopspol.repo import Repository

#: The shared base every tier's overlay builds on.
BASE_DIR = "policies"

#: Base sub-folder for a new policy, by API group (the scaffold's layout).
_FOLDERS = {
    "kyverno.io": "kyverno",
    "policies.kyverno.io": "kyverno",
    "templates.gatekeeper.sh": "gatekeeper/templates",
    "constraints.gatekeeper.sh": "gatekeeper/constraints",
    "admissionregistration.k8s.io": "vap",
    "policies.kubewarden.io": "kubewarden",
}


class Scratch:
    """A private copy of the repository's files (without ``.git``) to render edits in."""

    def __init__(self, root: Path, workdir: Path) -> None:
        self.source = root
        self.root = workdir / "repo"
        # Links are copied as what they point to: nothing written here can reach outside.
        shutil.copytree(
            root, self.root, ignore=shutil.ignore_patterns(".git"), ignore_dangling_symlinks=True
        )
        self._applied: set[str] = set()

    def set(self, edits: Mapping[str, str | None]) -> None:
        """Make the copy the original files plus ``edits`` (earlier edits are undone)."""
        for rel in self._applied - set(edits):
            self._restore(rel)
        for rel, text in edits.items():
            target = self.root / rel
            # Unlinked first: a symlink in the copy may point at the real repository.
            target.unlink(missing_ok=True)
            if text is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        self._applied = set(edits)

    def _restore(self, rel: str) -> None:
        original = self.source / rel
        target = self.root / rel
        target.unlink(missing_ok=True)
        if original.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(original, target)

    def build(self, repo: Repository, tier: str) -> list[Resource]:
        """The tier rendered from the copy."""
        from gitopspol.render import Renderer

        return Renderer().build(self.root / _overlay_rel(repo, tier))

    def render(self, repo: Repository, tier: str) -> str:
        """The tier rendered from the copy, as text (``kubectl kustomize`` output)."""
        from gitopspol.render import Renderer

        return Renderer().render(self.root / _overlay_rel(repo, tier))


@contextmanager
def scratch(root: Path) -> Iterator[Scratch]:
    """A :class:`Scratch` copy of ``root``, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="gitopspol-promote-") as workdir:
        yield Scratch(root, Path(workdir))


def _overlay_rel(repo: Repository, tier: str) -> Path:
    return repo.environment_dir(tier).relative_to(repo.root)


#: :class:`gitopspol.diff.Category` values the tier settings control (with a Namespace's
#: Pod Security labels): Kyverno failure actions, ValidatingPolicy/VAP validation actions,
#: Gatekeeper enforcement actions, Kubewarden modes.
TIER_SETTINGS = frozenset(
    {"kyverno-action", "validation-actions", "gatekeeper-action", "kubewarden-mode"}
)


def is_tier_setting(change: Change) -> bool:
    """Whether a change is one tier settings make (not policy content)."""
    if change.category in TIER_SETTINGS:
        return True
    return change.policy.startswith("Namespace/") and change.category == "pod-security"


def content_changes(lower: Sequence[Resource], higher: Sequence[Resource]) -> list[Change]:
    """Differences of policy content from ``lower`` to ``higher``, tier settings normalised
    away."""
    from gitopspol.diff import compare

    return [c for c in compare(lower, higher) if not is_tier_setting(c)]


def policy_key(resource: Subject) -> str | None:
    """The diff's ``Kind/name`` key of a policy document (None for other resources)."""
    from gitopspol.diff import policy_view

    view = policy_view(resource)
    return view.key if view is not None else None


@dataclass(slots=True)
class Planner:
    """Computes the plan and the edits of one promotion in a scratch copy."""

    repo: Repository
    from_tier: str
    to_tier: str
    work: Scratch
    from_text: str = ""
    from_before: list[Resource] = field(default_factory=list)
    to_before: list[Resource] = field(default_factory=list)
    effects: dict[StagedItem, set[str]] = field(default_factory=dict)
    #: Rendered text of the tiers ranked above the higher tier, before promotion.
    above: dict[str, str | None] = field(default_factory=dict)
    #: Errors the higher tier had before promotion (the validate gate's baseline).
    errors_before: dict[tuple[str, str], str] = field(default_factory=dict)

    def render_both(self) -> None:
        """Render both tiers as they are (errors propagate: the render gate), and the
        tiers above the higher one (their text, None when they do not render)."""
        self.from_before = self.work.build(self.repo, self.from_tier)
        self.from_text = self.work.render(self.repo, self.from_tier)
        self.to_before = self.work.build(self.repo, self.to_tier)
        rank = self.repo.tier(self.to_tier).rank
        self.above = {t.name: self.render_or_none(t.name) for t in self.repo.tiers if t.rank > rank}

    def render_or_none(self, tier: str) -> str | None:
        """The tier's rendered text in the scratch copy, None when it does not render."""
        try:
            return self.work.render(self.repo, tier)
        except GitopspolError:
            return None

    def plan(self, names: Sequence[str] = ()) -> Plan:
        """The per-policy plan; ``names`` select policies (default: every staged one)."""
        root = self.work.root
        overlay = root / _overlay_rel(self.repo, self.from_tier)
        kust_rel, kust_data = load_kustomization(root, overlay)
        kust_text = read_text(root, kust_rel)
        for item in candidates(root, overlay):
            # A staged resource stages its own policy, even when the tier cannot render
            # without it (a staged patch of that policy needs it).
            affected = self._defines(item)
            self.work.set(probe_without(root, item, kust_text, kust_data))
            try:
                without = self.work.build(self.repo, self.from_tier)
                affected |= {c.policy for c in content_changes(without, self.from_before)}
            except GitopspolError:
                pass  # only what the item defines
            finally:
                self.work.set({})
            if affected:
                self.effects[item] = affected
        grouped: dict[str, list[Change]] = {}
        for change in content_changes(self.to_before, self.from_before):
            grouped.setdefault(change.policy, []).append(change)
        from_keys = {policy_key(r) for r in self.from_before}
        to_keys = {policy_key(r) for r in self.to_before}
        policies = []
        for key, changes in grouped.items():
            if key in from_keys and key not in to_keys:
                action = Action.ADD
            elif key in to_keys and key not in from_keys:
                action = Action.REMOVE
            else:
                action = Action.CHANGE
            items = tuple(i for i, keys in self.effects.items() if key in keys)
            policies.append(PolicyPlan(key, action, tuple(changes), items))
        selected = self._select(policies, names)
        return Plan(self.from_tier, self.to_tier, tuple(policies), selected)

    def _defines(self, item: StagedItem) -> set[str]:
        """The policy a staged resource document defines (empty for patches)."""
        from gitopspol.checks import SourceDocument

        if item.kind is not ItemKind.RESOURCE or item.file is None:
            return set()
        path = self.work.root / item.file
        doc = yamlio.load_all_file(path)[item.doc_index]
        key = policy_key(SourceDocument(doc, str(path), item.doc_index)) if doc else None
        return {key} if key else set()

    def _select(self, policies: list[PolicyPlan], names: Sequence[str]) -> tuple[str, ...]:
        staged = [p for p in policies if p.staged]
        if not names:
            chosen = [p.key for p in staged]
        else:
            chosen = []
            for name in names:
                found = [p.key for p in staged if name in (p.key, p.name)]
                known = ", ".join(p.key for p in staged) or "none"
                if not found:
                    raise ConfigError(
                        f"no staged change of a policy {name!r} in {self.from_tier} "
                        f"(staged: {known})",
                        self.repo.environment_dir(self.from_tier) / KUSTOMIZATION,
                    )
                if len(found) > 1:
                    raise ConfigError(
                        f"policy name {name!r} is ambiguous: use one of {', '.join(found)}",
                        self.repo.environment_dir(self.from_tier) / KUSTOMIZATION,
                    )
                chosen.extend(k for k in found if k not in chosen)
        in_plan = {p.key for p in policies}
        for policy in staged:
            if policy.key not in chosen:
                continue
            for item in policy.items:
                others = sorted((self.effects[item] & in_plan) - set(chosen))
                if others:
                    raise ConfigError(
                        f"{item.describe()} also changes {', '.join(others)}: "
                        f"promote {'them' if len(others) > 1 else 'it'} together "
                        f"(--policy {' --policy '.join(others)})",
                        item.kustomization,
                        item.line,
                    )
        return tuple(chosen)

    def edits(self, plan: Plan) -> Edits:
        """The new contents of every file the promotion changes (None: deleted)."""
        root = self.work.root
        items = plan.items()
        edits = remove_items(root, items)
        for rel, chosen in _by_file(items).items():
            self._move_to_base(rel, chosen, edits)
        self.work.set(edits)
        after = {_resource_id(r): r for r in self.work.build(self.repo, self.from_tier)}
        before = {_resource_id(r): r for r in self.from_before}
        files: dict[str, dict[int, Any]] = {}  # base file -> {doc index: new data or None}
        for rid, resource in after.items():
            key = policy_key(resource)
            if key not in plan.selected:
                continue
            wanted = before.get(rid)
            if wanted is not None and wanted.data == resource.data:
                continue
            rel = self._base_file(resource)
            files.setdefault(rel, {})[resource.origin.doc_index] = (
                None if wanted is None else (resource.data, wanted.data)
            )
        for rel, changes in files.items():
            self._edit_base_file(rel, changes, edits)
        self.work.set(edits)
        added = [p.key for p in plan.chosen() if p.action is Action.ADD]
        if added:
            self._strictest_values(added, edits)
        return {rel: text for rel, text in edits.items() if not self._unchanged(rel, text)}

    def _strictest_values(self, keys: Sequence[str], edits: Edits) -> None:
        """Give policies new in the base the strictest tier's tier-setting values, as the
        base's other policies have them (the base alone fails closed).

        Tier settings override these fields in every tier, so no tier renders differently;
        if one would, the values are left as staged.
        """
        from gitopspol.checks import SourceDocument, pointer_to_path
        from gitopspol.diff import compare

        before = dict(edits)
        top = {policy_key(r): r for r in self.work.build(self.repo, self.repo.tiers[-1].name)}
        for key in keys:
            resource = top.get(key)
            if resource is None:
                continue
            rel = self._base_file(resource)
            path = self.work.root / rel
            docs = split_documents(read_text(self.work.root, rel, edits), path)
            index = resource.origin.doc_index
            data = yamlio.load_all(docs.text(), path)[index]
            wanted = deep_copy(data)
            for change in compare([SourceDocument(data, rel)], [resource]):
                if is_tier_setting(change):
                    parts = pointer_to_path(change.pointer)
                    try:
                        _set_path(wanted, parts, _get_path(resource.data, parts))
                    except (KeyError, IndexError, TypeError):
                        continue  # a setting the strictest tier removes: left as staged
            if wanted != data:
                chunk = edit_document(docs.chunks[index], data, wanted, path)
                edits[rel] = docs.replace(index, chunk).text()
        self.work.set(edits)
        if self.work.render(self.repo, self.from_tier) != self.from_text:
            edits.clear()
            edits.update(before)
            self.work.set(edits)

    def _unchanged(self, rel: str, text: str | None) -> bool:
        original = self.work.source / rel
        if text is None:
            return not original.exists()
        return original.is_file() and yamlio.read_text(original) == text

    def _base_file(self, resource: Resource) -> str:
        path = Path(resource.origin.file).resolve()
        base = (self.work.root / BASE_DIR).resolve()
        if base not in path.parents:
            raise ConfigError(
                f"{policy_key(resource)} comes from outside {BASE_DIR}/: promotion edits "
                "only the shared base",
                path,
            )
        return path.relative_to(self.work.root.resolve()).as_posix()

    def _edit_base_file(self, rel: str, changes: Mapping[int, Any], edits: Edits) -> None:
        path = self.work.root / rel
        text = read_text(self.work.root, rel, edits)
        docs = split_documents(text, path)
        keep = set(range(len(docs.chunks)))
        for index, change in changes.items():
            if change is None:
                keep.discard(index)
            else:
                old, new = change
                docs = docs.replace(index, edit_document(docs.chunks[index], old, new, path))
        if any(_has_content(docs, i) for i in keep):
            edits[rel] = docs.text(keep)
        else:
            edits[rel] = None
            self._unlist(rel, edits)

    def _move_to_base(self, rel: str, chosen: Sequence[StagedItem], edits: Edits) -> None:
        """Put the chosen documents of a staged resource file into the base: a file of the
        same name in the engine's folder (appended to it when an earlier promotion of the
        same staged file made it)."""
        root = self.work.root
        docs = split_documents(yamlio.read_text(root / rel), root / rel)
        indexes = {i.doc_index for i in chosen}
        first = yamlio.load_all(docs.chunks[min(indexes)], root / rel)
        doc = next((d for d in first if isinstance(d, dict)), {})
        group = str(doc.get("apiVersion", "")).rpartition("/")[0]
        folder = "psa" if doc.get("kind") == "Namespace" else _FOLDERS.get(group, "")
        target = "/".join(p for p in (BASE_DIR, folder, Path(rel).name) if p)
        if edits.get(target) is None and not (root / target).exists():
            edits[target] = docs.text(indexes)
        elif self._listing(target, edits) is not None:
            existing = read_text(root, target, edits)
            added = "".join(
                c if c.startswith("---") else "---\n" + c
                for i, c in enumerate(docs.chunks)
                if i in indexes
            )
            edits[target] = existing + ("" if existing.endswith("\n") else "\n") + added
            return
        else:
            raise ConfigError(
                f"cannot move the staged policy to {target}: a file the base does not list "
                "is in the way",
                root / rel,
            )
        # Listed by the nearest kustomization under policies/ (a folder may have its own).
        lister = (root / target).parent
        while lister != root / BASE_DIR and not (lister / KUSTOMIZATION).is_file():
            lister = lister.parent
        kust = (lister / KUSTOMIZATION).relative_to(root).as_posix()
        data = yamlio.rt_load(read_text(root, kust, edits), root / kust)
        if data.get("resources") is None:
            data["resources"] = []
        data["resources"].append((root / target).relative_to(lister).as_posix())
        edits[kust] = yamlio.rt_dump(data)

    def _listing(self, rel: str, edits: Edits) -> tuple[str, Any, int] | None:
        """``(kustomization, its round-trip data, resources index)`` of the kustomization
        under ``policies/`` that lists the file ``rel`` (None when none does)."""
        root = self.work.root.resolve()
        path = (root / rel).resolve()
        folder = path.parent
        while root in folder.parents:
            kust = folder / KUSTOMIZATION
            kust_rel = kust.relative_to(root).as_posix()
            if kust_rel in edits or kust.is_file():
                data = yamlio.rt_load(read_text(root, kust_rel, edits), kust)
                for index, entry in enumerate(data.get("resources") or []):
                    if isinstance(entry, str) and (folder / entry).resolve() == path:
                        return kust_rel, data, index
            if folder == root / BASE_DIR:
                break
            folder = folder.parent
        return None

    def _unlist(self, rel: str, edits: Edits) -> None:
        """Remove a deleted base file from the kustomization under ``policies/`` listing it."""
        found = self._listing(rel, edits)
        if found is None:
            raise ConfigError(f"no kustomization under {BASE_DIR}/ lists this file", rel)
        kust_rel, data, index = found
        del data["resources"][index]
        edits[kust_rel] = yamlio.rt_dump(data)


def _has_content(docs: Documents, index: int) -> bool:
    return any(
        line.strip() and not line.lstrip().startswith(("#", "---"))
        for line in docs.chunks[index].splitlines()
    )


def _get_path(data: Any, parts: Sequence[str | int]) -> Any:
    for part in parts:
        data = data[part]
    return deep_copy(data)


def _set_path(data: Any, parts: Sequence[str | int], value: Any) -> None:
    for part in parts[:-1]:
        data = data.setdefault(part, {}) if isinstance(data, dict) else data[part]
    data[parts[-1]] = value


def _by_file(items: Sequence[StagedItem]) -> dict[str, list[StagedItem]]:
    out: dict[str, list[StagedItem]] = {}
    for item in items:
        if item.kind is ItemKind.RESOURCE and item.file is not None:
            out.setdefault(item.file, []).append(item)
    return out


def _resource_id(resource: Resource) -> tuple[str, str, str, str]:
    group = str(resource.data.get("apiVersion", "")).rpartition("/")[0]
    return group, resource.kind, resource.namespace, resource.name
