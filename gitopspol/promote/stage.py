"""``gitopspol stage``: stage a change in a lower tier the plain Kustomize way.

Helpers that write what :mod:`gitopspol.promote.staging` reads, so a person does not have
to hand-write patches:

* a **new policy** file is copied into ``environments/<tier>/`` and listed in the overlay's
  ``resources``;
* an **edited copy** of a base policy becomes an inline JSON 6902 patch (``target`` by
  kind and name) holding exactly the fields that differ from ``policies/``;
* a **removal** is a ``$patch: delete`` patch.

Entries go at the end of the overlay's list (before the comments of whatever follows it);
every other line of the kustomization keeps its bytes. Nothing is written unless the tier
still renders afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopspol import yamlio
from gitopspol.errors import ConfigError, GitopspolError
from gitopspol.promote.gitrepo import write_files
from gitopspol.promote.plan import BASE_DIR, policy_key, scratch
from gitopspol.promote.staging import KUSTOMIZATION, entry_span

if TYPE_CHECKING:
    from gitopspol.repo import Repository

#: JSON pointer escaping (RFC 6901).
_ESCAPES = str.maketrans({"~": "~0", "/": "~1"})


def stage(
    root: str | Path,
    tier: str,
    *,
    add: Sequence[str | Path] = (),
    edit: Sequence[str | Path] = (),
    remove: Sequence[str] = (),
) -> list[str]:
    """Stage new policy files (``add``), edited copies of base policies (``edit``) and
    removals (``remove``: ``Kind/name``) in ``tier``; returns the repository-relative paths
    written. The highest tier has nothing above it to stage for (:class:`ConfigError`)."""
    from gitopspol.render import Renderer
    from gitopspol.repo import load_repository

    repo = load_repository(Path(root))
    if repo.tier(tier) is repo.tiers[-1]:
        raise ConfigError(
            f"{tier} is the strictest tier: stage changes in a lower tier and promote them",
            repo.config_file,
        )
    overlay = repo.environment_dir(tier)
    kust = overlay / KUSTOMIZATION
    text = yamlio.read_text(kust)
    files: dict[Path, str] = {}
    resources: list[str] = []
    patches: list[str] = []
    for path in map(Path, add):
        target = overlay / path.name
        if target.exists() or target in files:
            raise ConfigError(f"{target.relative_to(repo.root)} exists already", path)
        files[target] = yamlio.read_text(path)
        yamlio.load_all(files[target], path)  # refuse what is not YAML before writing
        resources.append(f"- {path.name}\n")
    if edit or remove:
        base = {policy_key(r): r.data for r in Renderer().build(repo.root / BASE_DIR)}
        rendered = {policy_key(r): r.data for r in Renderer().build(overlay)}
        for path in map(Path, edit):
            for _, index, doc in yamlio.iter_documents([path]):
                patches.append(_edit_patch(base, doc, path, index))
        for key in remove:
            if key not in rendered:
                known = ", ".join(sorted(k for k in rendered if k)) or "none"
                raise ConfigError(f"{tier} renders no policy {key!r} (policies: {known})")
            patches.append(_delete_patch(rendered[key]))
    if resources:
        text = _append(text, "resources", resources, kust)
    if patches:
        text = _append(text, "patches", patches, kust)
    files[kust] = text
    _check_renders(repo, tier, files)
    edits: dict[str, str | None] = {
        p.relative_to(repo.root).as_posix(): t for p, t in files.items()
    }
    try:
        write_files(repo.root, edits)  # all or nothing
    except OSError as exc:
        raise ConfigError(
            f"cannot write {exc.filename or 'a file'}: {exc.strerror or exc}; nothing was staged"
        ) from None
    return list(edits)


def _edit_patch(base: dict[str | None, Any], doc: Any, path: Path, index: int) -> str:
    """The inline patch that turns the base policy into the edited document ``doc``."""
    from gitopspol.checks import SourceDocument

    key = policy_key(SourceDocument(doc, str(path), index)) if isinstance(doc, dict) else None
    if key is None or key not in base:
        raise ConfigError(
            f"document {index + 1} is not a policy of {BASE_DIR}/: stage new policies "
            "as files instead",
            path,
        )
    ops = json_patch(base[key], doc)
    if not ops:
        raise ConfigError(f"{key} is the same as in {BASE_DIR}/: nothing to stage", path)
    group, _, version = str(doc.get("apiVersion", "")).rpartition("/")
    target = {"group": group, "version": version, "kind": doc["kind"]}
    target = {k: v for k, v in target.items() if v}
    target["name"] = doc["metadata"]["name"]
    if doc["metadata"].get("namespace"):
        target["namespace"] = doc["metadata"]["namespace"]
    body = "".join(f"    {line}\n" for line in yamlio.dump(ops).splitlines())
    entry = "- target:\n" + "".join(f"    {k}: {json.dumps(v)}\n" for k, v in target.items())
    return f"# staged: {key} ({path.name})\n{entry}  patch: |-\n{body}"


def _delete_patch(data: dict[str, Any]) -> str:
    """A ``$patch: delete`` patch of the rendered resource ``data``."""
    meta = {"name": data["metadata"]["name"]}
    if data["metadata"].get("namespace"):
        meta["namespace"] = data["metadata"]["namespace"]
    doc = {
        "$patch": "delete",
        "apiVersion": data["apiVersion"],
        "kind": data["kind"],
        "metadata": meta,
    }
    body = "".join(f"    {line}\n" for line in yamlio.dump(doc).splitlines())
    return f"# staged: remove {data['kind']}/{meta['name']}\n- patch: |-\n{body}"


def json_patch(old: Any, new: Any, pointer: str = "") -> list[dict[str, Any]]:
    """RFC 6902 operations that turn ``old`` into ``new`` (items appended to a list are
    added; a list otherwise changed in length is replaced whole)."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        ops: list[dict[str, Any]] = []
        for key in old:
            if key not in new:
                ops.append({"op": "remove", "path": f"{pointer}/{str(key).translate(_ESCAPES)}"})
        for key, value in new.items():
            child = f"{pointer}/{str(key).translate(_ESCAPES)}"
            if key in old:
                ops += json_patch(old[key], value, child)
            else:
                ops.append({"op": "add", "path": child, "value": value})
        return ops
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            op
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for op in json_patch(a, b, f"{pointer}/{i}")
        ]
    if isinstance(old, list) and isinstance(new, list) and new[: len(old)] == old:
        return [{"op": "add", "path": f"{pointer}/-", "value": value} for value in new[len(old) :]]
    return [{"op": "replace", "path": pointer, "value": new}]


def _append(text: str, key: str, entries: list[str], source: Path) -> str:
    """``text`` with ``entries`` at the end of its top-level list ``key`` (made when
    missing), indented like the list's items."""
    data = yamlio.rt_load(text, source)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    items = data.get(key) if isinstance(data, dict) else None
    if not items:
        if key in data:
            raise ConfigError(f"cannot add to an empty {key!r} entry; remove it first", source)
        return "".join(lines) + f"{key}:\n" + "".join(entries)
    if items.fa.flow_style():
        raise ConfigError(f"{key} is a flow-style list: write it in block style to stage", source)
    end = entry_span(lines, data, key, len(items) - 1).stop
    first = lines[entry_span(lines, data, key, 0).start :]
    dash = next(line for line in first if line.lstrip().startswith("-"))
    indent = dash[: len(dash) - len(dash.lstrip())]
    added = "".join(
        indent + line if line.strip() else line
        for e in entries
        for line in e.splitlines(keepends=True)
    )
    return "".join(lines[:end]) + added + "".join(lines[end:])


def _check_renders(repo: Repository, tier: str, files: dict[Path, str]) -> None:
    """Render the tier with ``files`` in place, in a scratch copy of the repository."""
    with scratch(repo.root) as work:
        work.set({p.relative_to(repo.root).as_posix(): text for p, text in files.items()})
        try:
            work.build(repo, tier)
        except GitopspolError as exc:
            message = exc.located().replace(str(work.root) + "/", "")
            raise ConfigError(f"the staged change does not render: {message}") from None
