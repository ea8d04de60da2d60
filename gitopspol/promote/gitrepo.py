"""Git for promotion (GitPython, imported lazily: the only user of it in gitopspol).

The work tree must be clean and on a branch; the soak time of a staged item is measured
from the commit that last changed its lines (``git blame`` of HEAD); the promotion is one
commit on a new branch, and any failure while writing puts the repository back as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopspol.errors import ConfigError, GitError
from gitopspol.fsutil import atomic_write

if TYPE_CHECKING:
    from git import Repo

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> dt.timedelta:
    """``24h``, ``3d``, ``1d12h``, ``90m``, ``2w`` -> a timedelta; anything else is a
    :class:`ConfigError`."""
    compact = text.strip().replace(" ", "")
    if not compact or _DURATION.sub("", compact):
        raise ConfigError(
            f"invalid duration {text!r} (use a number and a unit s, m, h, d or w: 24h, 3d, 1d12h)"
        )
    seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(compact))
    return dt.timedelta(seconds=seconds)


def format_duration(delta: dt.timedelta) -> str:
    """``2d 3h``, ``45m`` or ``10s``: a short human form."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    if seconds or not parts:
        parts.append(f"{seconds}s")
    return " ".join(parts[:2])


def open_repo(root: Path) -> Repo:
    """The Git repository holding ``root``; not a Git work tree is a :class:`GitError`."""
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError("not inside a Git work tree", root) from None


def _top(repo: Repo) -> Path:
    """The work tree's top folder."""
    return Path(str(repo.working_tree_dir))


def check_clean(repo: Repo) -> None:
    """Refuse a detached HEAD, a repository without commits, and a dirty work tree."""
    root = _top(repo)
    if repo.head.is_detached:
        raise GitError("HEAD is detached: check out a branch before promoting", root)
    if not repo.head.is_valid():
        raise GitError("the repository has no commit yet: commit the staged changes first", root)
    dirty = {str(item.a_path) for item in repo.index.diff(None)}
    dirty |= {str(item.a_path) for item in repo.index.diff("HEAD")}
    dirty |= set(repo.untracked_files)
    if dirty:
        shown = ", ".join(sorted(dirty)[:5]) + (" ..." if len(dirty) > 5 else "")
        raise GitError(
            f"the work tree has uncommitted changes ({shown}): commit or stash them first",
            root,
        )


def last_changed(repo: Repo, path: Path, lines: range | None = None) -> dt.datetime | None:
    """Commit time of the newest commit among ``lines`` (1-based; all when None) of ``path``
    at HEAD; None when the file is not committed."""
    import git

    rel = path.resolve().relative_to(_top(repo).resolve()).as_posix()
    try:
        blame = repo.blame("HEAD", rel)
    except git.GitCommandError:
        return None
    newest: dt.datetime | None = None
    number = 1
    entries: list[Any] = list(blame or [])
    for entry in entries:
        commit, count = entry[0], len(entry[1])
        span = range(number, number + count)
        number += count
        if lines is not None and not (span.start < lines.stop and lines.start < span.stop):
            continue
        when: dt.datetime = commit.committed_datetime
        if newest is None or when > newest:
            newest = when
    return newest


def default_branch(repo: Repo, from_tier: str, to_tier: str, now: dt.datetime) -> str:
    """``promote/sbx-to-prd/20261126-150102`` (``-2``, ``-3``... when taken)."""
    name = f"promote/{from_tier}-to-{to_tier}/{now.strftime('%Y%m%d-%H%M%S')}"
    candidate, number = name, 1
    while candidate in repo.heads:
        number += 1
        candidate = f"{name}-{number}"
    return candidate


def check_branch(repo: Repo, name: str) -> None:
    """Refuse an invalid branch name or one that exists."""
    import git

    try:
        repo.git.check_ref_format("--branch", name)
    except git.GitCommandError:
        raise GitError(f"invalid branch name {name!r}", _top(repo)) from None
    if name in repo.heads:
        raise GitError(f"branch {name!r} exists already", _top(repo))


def write_files(root: Path, edits: Mapping[str, str | None]) -> dict[str, bytes | None]:
    """Write every edit (atomically, file by file); on failure restore the originals.

    Returns the originals (None: the file did not exist) for :func:`restore_files`.
    """
    originals: dict[str, bytes | None] = {}
    for rel in edits:
        path = root / rel
        originals[rel] = path.read_bytes() if path.is_file() else None
    try:
        for rel, text in edits.items():
            path = root / rel
            if text is None:
                path.unlink(missing_ok=True)
            else:
                atomic_write(path, text)
    except BaseException:
        restore_files(root, originals)
        raise
    return originals


def restore_files(root: Path, originals: Mapping[str, bytes | None]) -> None:
    """Put files back as :func:`write_files` found them (folders it created are removed)."""
    for rel, raw in originals.items():
        path = root / rel
        if raw is None:
            path.unlink(missing_ok=True)
            folder = path.parent
            while folder != root and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        else:
            atomic_write(path, raw)


def commit(repo: Repo, root: Path, paths: Iterable[str], branch: str, message: str) -> str:
    """Create ``branch`` at HEAD, switch to it, commit ``paths`` (relative to ``root``) and
    return the new commit's sha.

    On failure the previous branch is checked out again, the new branch deleted and the
    index reset to the original HEAD; the work tree is the caller's to restore.
    """
    original = repo.active_branch
    head = repo.head.commit
    top = _top(repo).resolve()
    rels = [(root / p).resolve().relative_to(top).as_posix() for p in paths]

    def undo() -> None:
        if repo.active_branch.name == branch:
            repo.git.symbolic_ref("HEAD", f"refs/heads/{original.name}")
        repo.index.reset(head)
        if branch in repo.heads:
            repo.delete_head(branch, force=True)

    try:
        _run(repo, "checkout", "-q", "-b", branch)
        _run(repo, "add", "--all", "--", *rels)
        _run(repo, "commit", "-q", "--no-verify", "-m", message)
    except BaseException:
        undo()
        raise
    return str(repo.head.commit.hexsha)


def _run(repo: Repo, *args: str) -> None:
    """Run a git command in the repository with its hooks disabled: gitopspol never runs
    code from the repositories it reads (``core.hooksPath`` could point into the work
    tree)."""
    repo.git.execute(["git", "-c", f"core.hooksPath={os.devnull}", *args])


def source_commit(repo: Repo) -> str:
    """The sha of HEAD."""
    return str(repo.head.commit.hexsha)
