"""Changes staged in a lower tier's overlay, the plain Kustomize way.

In ``environments/<tier>/kustomization.yaml`` a change is staged as

* a **resource file** in the overlay folder listed in ``resources`` (a new policy; every
  document of the file is an item of its own), or
* a **patch** in ``patches`` (a changed rule or parameter; a ``$patch: delete`` patch
  stages the removal of a policy).

Which candidates really are staged changes is decided by rendering (see
:mod:`gitopspol.promote.plan`): an item is staged when the tier renders some policy's
content differently without it. The tier-settings patches the scaffold generates only
change tier settings, so they are never staged items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.errors import ConfigError
from gitopspol.promote.documents import split_documents
from gitopspol.promote.model import ItemKind, StagedItem

KUSTOMIZATION = "kustomization.yaml"

#: New or changed file contents by repository-relative path (None: the file is deleted).
Edits = dict[str, "str | None"]


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _line(node: Any, index: int) -> int:
    try:
        return int(node.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return 0


def read_text(root: Path, rel: str, edits: Mapping[str, str | None] | None = None) -> str:
    """The text of ``rel`` as ``edits`` leave it (else as it is on disk)."""
    if edits is not None and rel in edits:
        text = edits[rel]
        if text is None:
            raise ConfigError("file was removed by this promotion", root / rel)
        return text
    return yamlio.read_text(root / rel)


def load_kustomization(root: Path, overlay: Path) -> tuple[str, Any]:
    """``(relative path, round-trip data)`` of an overlay's kustomization file."""
    path = overlay / KUSTOMIZATION
    rel = _rel(path, root)
    data = yamlio.rt_load(read_text(root, rel), path)
    if not isinstance(data, dict):
        raise ConfigError("a kustomization must be a mapping", path, 1)
    return rel, data


def candidates(root: Path, overlay: Path) -> list[StagedItem]:
    """Every item of the overlay that could be a staged change, in file order."""
    kust_rel, data = load_kustomization(root, overlay)
    items: list[StagedItem] = []
    resources = data.get("resources") or []
    for index, entry in enumerate(resources):
        if not isinstance(entry, str):
            continue
        path = (overlay / entry).resolve()
        if not path.is_file() or overlay.resolve() not in path.parents:
            continue  # the base, remote or other folders: not staged here
        rel = _rel(path, root.resolve())
        for doc_index, doc in enumerate(yamlio.load_all_file(path)):
            if doc is not None:
                item = StagedItem(
                    ItemKind.RESOURCE, kust_rel, index, _line(resources, index), rel, doc_index
                )
                items.append(item)
    patches = data.get("patches") or []
    for index, entry in enumerate(patches):
        if not isinstance(entry, dict):
            continue
        patch_file = None
        if isinstance(entry.get("path"), str):
            path = (overlay / entry["path"]).resolve()
            if root.resolve() in path.parents:
                patch_file = _rel(path, root.resolve())
        line = _line(patches, index)
        items.append(StagedItem(ItemKind.PATCH, kust_rel, index, line, patch_file))
    return items


def remove_items(root: Path, items: Iterable[StagedItem], edits: Edits | None = None) -> Edits:
    """Edits that take ``items`` out of their overlay (on top of ``edits``).

    Entries are cut from the kustomization (:func:`without_entries`); a resource file
    loses the promoted documents (and is deleted when none is left); a patch file no
    remaining entry uses is deleted.
    """
    out: Edits = dict(edits or {})
    by_kust: dict[str, list[StagedItem]] = {}
    for item in items:
        by_kust.setdefault(item.kustomization, []).append(item)
    for kust_rel, chosen in by_kust.items():
        data = yamlio.rt_load(read_text(root, kust_rel, out), root / kust_rel)
        patches = data.get("patches") or []
        drop_resources: set[int] = set()
        files: dict[str, set[int]] = {}
        for item in chosen:
            if item.kind is ItemKind.RESOURCE and item.file is not None:
                files.setdefault(item.file, set()).add(item.doc_index)
        for rel, removed in files.items():
            out[rel] = without_documents(root, rel, removed, out)
            if out[rel] is None:
                drop_resources |= {i.index for i in chosen if i.file == rel}
        drop_patches = {i.index for i in chosen if i.kind is ItemKind.PATCH}
        out[kust_rel] = without_entries(
            read_text(root, kust_rel, out),
            data,
            {"resources": drop_resources, "patches": drop_patches},
            root / kust_rel,
        )
        still_used = {
            str((root / kust_rel).parent.joinpath(p["path"]).resolve())
            for p in patches
            if isinstance(p, dict) and isinstance(p.get("path"), str)
        }
        for item in chosen:
            if (
                item.kind is ItemKind.PATCH
                and item.file is not None
                and str((root / item.file).resolve()) not in still_used
            ):
                out[item.file] = None
    return out


def without_documents(
    root: Path, rel: str, removed: set[int], edits: Mapping[str, str | None] | None = None
) -> str | None:
    """The text of the file ``rel`` without the documents ``removed`` (None when no
    document with content is left)."""
    text = read_text(root, rel, edits)
    docs = split_documents(text, root / rel)
    keep = set(range(len(docs.chunks))) - removed - _empty_documents(text, rel, root)
    return docs.text(keep) if keep else None


def probe_without(root: Path, item: StagedItem, text: str, data: Any) -> Edits:
    """Edits that take one item out of its overlay, for a trial render only: ``text`` and
    ``data`` (its kustomization, loaded once for every probe) are not changed, and the
    cut is not checked against a round-trip dump as :func:`remove_items` does."""
    if item.kind is ItemKind.RESOURCE and item.file is not None:
        left = without_documents(root, item.file, {item.doc_index})
        if left is not None:
            return {item.file: left}
        cut = cut_lines(text, data, {"resources": {item.index}})
        return {item.file: None, item.kustomization: cut} if cut else remove_items(root, [item])
    cut = cut_lines(text, data, {"patches": {item.index}})
    return {item.kustomization: cut} if cut else remove_items(root, [item])


def cut_lines(text: str, data: Any, drops: Mapping[str, set[int]]) -> str | None:
    """``text`` without the lines of the entries ``drops`` names (``{key: indexes}`` of
    top-level lists of ``data``, loaded from ``text``); None for a flow-style list."""
    lines = text.splitlines(keepends=True)
    cut: set[int] = set()
    for key, indexes in drops.items():
        entries = data.get(key)
        if not indexes or entries is None:
            continue
        if entries.fa.flow_style():
            return None
        for index in indexes:
            cut.update(entry_span(lines, data, key, index))
        if len(indexes) == len(entries):
            cut.add(int(data.lc.key(key)[0]))
    return "".join(line for number, line in enumerate(lines) if number not in cut)


def without_entries(text: str, data: Any, drops: Mapping[str, set[int]], source: Path) -> str:
    """``text`` without the entries ``drops`` names (``{key: indexes}`` of top-level lists
    of the round-trip ``data`` loaded from it, which is edited to match).

    Lines are cut from the text itself, so every other line keeps its bytes: an entry goes
    with the comment lines right above it, the comments that follow it stay with what
    follows; a list left empty goes with its key. Where that cannot be done (flow style),
    the round-trip dump of the edited data is used.
    """
    edited = cut_lines(text, data, drops)
    for key, indexes in drops.items():
        entries = data.get(key)
        for index in sorted(indexes, reverse=True):
            del entries[index]
        if key in data and indexes and not entries:
            del data[key]
    expected = yamlio.rt_dump(data)
    if edited is not None and yamlio.load(edited, source) == yamlio.load(expected, source):
        return edited
    return expected


def entry_span(lines: list[str], data: Any, key: str, index: int) -> range:
    """0-based lines of entry ``index`` of the top-level list ``key``: from the comment
    lines right above it to its last line (the comments after it belong to what follows)."""
    entries = data[key]
    keys = list(data)
    position = keys.index(key)
    if index + 1 < len(entries):
        end = _line(entries, index + 1) - 1
    elif position + 1 < len(keys):
        end = int(data.lc.key(keys[position + 1])[0])
    else:
        end = len(lines)
    start = _line(entries, index) - 1
    while end - 1 > start and _is_comment_or_blank(lines[end - 1]):
        end -= 1
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return range(start, end)


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _empty_documents(text: str, rel: str, root: Path) -> set[int]:
    """Indexes of empty documents (a file holding only those is deleted)."""
    return {i for i, doc in enumerate(yamlio.load_all(text, root / rel)) if doc is None}


def entry_lines(root: Path, item: StagedItem) -> range:
    """1-based lines of the item's own text: its document in the resource file, or its
    entry in the kustomization's ``patches`` (a comment above it is not the change)."""
    if item.kind is ItemKind.RESOURCE and item.file is not None:
        docs = split_documents(read_text(root, item.file), root / item.file)
        ends = [*docs.lines[1:], 1 << 30]
        return range(docs.lines[item.doc_index], ends[item.doc_index])
    text = read_text(root, item.kustomization)
    data = yamlio.rt_load(text, root / item.kustomization)
    span = entry_span(text.splitlines(keepends=True), data, "patches", item.index)
    return range(item.line, span.stop + 1)
