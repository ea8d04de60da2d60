"""Create and update policy repositories from the copier scaffold shipped with gitopspol.

copier updates a repository by rendering the *old* template version with the old answers,
diffing that against the new version, and applying the diff to the user's files; it finds
both versions as tags of a git template. The scaffold ships inside the package as plain
folders (``scaffolds/versions.yaml`` lists every shipped version), so :func:`template_repo`
materialises them into a temporary git repository with one tagged commit per version.
Repositories record ``_src_path: gitopspol:<scaffold>`` in ``.copier-answers.yml``;
:func:`update_repository` points copier at the materialised repository instead.

The scaffold is trusted code with no tasks, migrations or Jinja extensions: copier never runs
in ``unsafe`` mode. Every answer is validated against :data:`ANSWER_SCHEMAS` before copier
sees it, and the result is loaded with :func:`load_repository` before it is moved into place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitopspol.errors import ConfigError, GitError, InputError
from gitopspol.fsutil import atomic_write
from gitopspol.repo.config import builtin_profiles, load_repository
from gitopspol.repo.model import Repository
from gitopspol.repo.schemas import ANSWER_SCHEMAS, TIER_SETTINGS_SCHEMA, dotted_path, first_error
from gitopspol.resources import data_path
from gitopspol.yamlio import load, load_file, read_text

#: The scaffold ``gitopspol init`` renders.
SCAFFOLD = "policy-repo"
ANSWERS_FILE = ".copier-answers.yml"
#: What ``_src_path`` records: the template is the one shipped with gitopspol.
SOURCE_MARKER = f"gitopspol:{SCAFFOLD}"
_SOURCE_LINE = re.compile(r"^_src_path: .*$", re.MULTILINE)
_PROFILE_KEYS = ("kyverno", "validatingPolicy", "gatekeeper", "psa")


@dataclass(frozen=True, slots=True)
class ScaffoldVersion:
    """One shipped version of the scaffold: its version (a git tag) and its template folder.

    ``digest`` is the :func:`tree_digest` recorded for the version: a released version's
    content must never change (copier re-renders it to compute updates).
    """

    version: str
    path: Path
    digest: str | None = None


def tree_digest(folder: Path) -> str:
    """SHA-256 over the relative paths, modes and contents of every file under ``folder``."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        executable = os.access(path, os.X_OK)
        digest.update(f"{path.relative_to(folder).as_posix()}\0{executable:d}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def shipped_versions(root: Path | None = None) -> tuple[ScaffoldVersion, ...]:
    """The scaffold versions listed in ``<root>/versions.yaml``, oldest first."""
    base = root or data_path("scaffolds")
    doc = load_file(base / "versions.yaml")
    try:
        return tuple(
            ScaffoldVersion(str(v["version"]), base / v["path"], v.get("digest"))
            for v in doc["versions"]
        )
    except (TypeError, KeyError):
        raise InputError("expected versions: [{version, path}]", base / "versions.yaml") from None


def _git(*args: str, cwd: Path) -> str:
    """Run git; its output, or :class:`GitError`.

    The identity, signing and hooks settings only matter for the commits made in the
    temporary template repository; the user's repository is only queried or initialised.
    """
    try:
        proc = subprocess.run(
            [
                "git",
                "-c",
                "user.name=gitopspol",
                "-c",
                "user.email=gitopspol@localhost",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
                "-c",
                "core.hooksPath=/dev/null",
                *args,
            ],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (init and update need it)", cwd) from None
    if proc.returncode != 0:
        raise GitError(f"git {args[0]} failed: {proc.stderr.strip()}", cwd)
    return proc.stdout


#: Materialised template repositories of this process, by version list. They are read-only
#: for copier (it clones them), so one per process is enough; removed at interpreter exit.
_MATERIALISED: dict[tuple[tuple[str, str], ...], tempfile.TemporaryDirectory[str]] = {}


def template_repo(versions: Sequence[ScaffoldVersion] | None = None) -> Path:
    """A git repository with one commit per scaffold version, tagged with its version.

    Built in a temporary folder once per process and version list, then reused.
    """
    chosen = list(versions) if versions is not None else list(shipped_versions())
    if not chosen:
        raise InputError("no scaffold versions to materialise")
    key = tuple((v.version, str(v.path.resolve())) for v in chosen)
    cached = _MATERIALISED.get(key)
    if cached is not None and Path(cached.name, ".git").is_dir():
        return Path(cached.name)
    holder = tempfile.TemporaryDirectory(prefix="gitopspol-scaffold-")
    repo = Path(holder.name)
    _git("init", "-q", cwd=repo)
    for item in chosen:
        for child in repo.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        shutil.copytree(item.path, repo, dirs_exist_ok=True)
        _git("add", "-A", cwd=repo)
        _git("commit", "-q", "--allow-empty", "-m", f"scaffold {item.version}", cwd=repo)
        _git("tag", item.version, cwd=repo)
    _MATERIALISED[key] = holder
    return repo


@dataclass(frozen=True, slots=True)
class Question:
    """One scaffold question a user answers (from the newest scaffold's ``copier.yml``)."""

    key: str
    help: str
    #: The default value, or None when it is derived from earlier answers (a Jinja default).
    default: Any
    choices: tuple[str, ...] = ()


def questions() -> tuple[Question, ...]:
    """The questions of the newest scaffold that users answer, in order."""
    doc = load_file(shipped_versions()[-1].path / "copier.yml")
    out = []
    for key, spec in doc.items():
        if key not in ANSWER_SCHEMAS:
            continue  # copier settings (_...) and values gitopspol computes
        default = spec.get("default")
        if isinstance(default, str) and "{{" in default:
            default = None
        out.append(
            Question(key, str(spec.get("help", key)), default, tuple(spec.get("choices", ())))
        )
    return tuple(out)


def default_tiers() -> list[str]:
    """The tiers the newest scaffold creates without a ``tiers`` answer."""
    return list(next(q.default for q in questions() if q.key == "tiers"))


def parse_data(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``--data KEY=VALUE`` arguments; each VALUE is a YAML scalar or flow list/map."""
    known = set(ANSWER_SCHEMAS)
    answers: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep:
            raise ConfigError(f"--data {item!r}: expected KEY=VALUE")
        if key not in known:
            raise ConfigError(
                f"--data {key}: unknown question (questions: {', '.join(sorted(known))})"
            )
        answers[key] = load(raw, f"--data {key}") if raw.strip() else ""
    check_answers(answers)
    return answers


def check_answers(answers: Mapping[str, Any]) -> None:
    """Validate scaffold answers: each against its schema, then across answers.

    Raises :class:`ConfigError` naming the answer (``--data tiers[1]: ...``).
    """
    for key, value in answers.items():
        schema = ANSWER_SCHEMAS.get(key)
        if schema is None:
            raise ConfigError(f"--data {key}: unknown question")
        found = first_error(value, schema)
        if found is not None:
            path, message = found
            where = dotted_path([key, *path])
            raise ConfigError(f"--data {where}: {message}")
    tiers = answers.get("tiers")
    if tiers is not None:
        profiles = builtin_profiles()
        for index, name in enumerate(tiers):
            if name in tiers[:index]:
                raise ConfigError(f"--data tiers[{index}]: duplicate tier {name!r}")
            # Tiers are listed least strict first: built-in names must keep their order.
            for earlier in tiers[:index]:
                if (
                    earlier in profiles
                    and name in profiles
                    and profiles[earlier].rank > profiles[name].rank
                ):
                    raise ConfigError(
                        f"--data tiers[{index}]: {name!r} is listed after the stricter "
                        f"{earlier!r} (list tiers least strict first)"
                    )
    clusters = answers.get("clusters") or []
    tier_names = tiers if tiers is not None else default_tiers()
    seen: set[str] = set()
    for index, cluster in enumerate(clusters):
        if cluster["tier"] not in tier_names:
            raise ConfigError(
                f"--data clusters[{index}].tier: unknown tier {cluster['tier']!r} "
                f"(tiers: {', '.join(tier_names)})"
            )
        if cluster["name"] in seen:
            raise ConfigError(
                f"--data clusters[{index}].name: duplicate cluster {cluster['name']!r}"
            )
        seen.add(cluster["name"])


def profiles_data() -> dict[str, Any]:
    """The built-in profiles as the scaffold's ``builtin_profiles`` answer."""
    return {name: tier.settings() for name, tier in builtin_profiles().items()}


def repository_answers(repo: Repository) -> dict[str, Any]:
    """The scaffold answers that reproduce ``repo``'s ``gitopspol.yaml`` (for update)."""
    answers: dict[str, Any] = {
        "repo_name": repo.name,
        "tiers": list(repo.tier_names),
        "engines": list(repo.engines),
        "kyverno_flavour": repo.kyverno_flavour,
        "gitops": repo.gitops,
        "clusters": [
            {
                "name": c.name,
                "tier": c.tier,
                **({"server": c.server} if c.server else {}),
                **({"labels": dict(c.labels)} if c.labels else {}),
            }
            for c in repo.clusters
        ],
        "tier_settings": {
            t.name: {"profile": t.profile, "rank": t.rank, **t.settings()} for t in repo.tiers
        },
    }
    if repo.trusted_registries:
        answers["registries"] = list(repo.trusted_registries)
    if repo.namespaces:
        answers["namespaces"] = list(repo.namespaces)
    return answers


def _set_source(root: Path, version: str | None = None) -> None:
    """Record the packaged scaffold as ``_src_path`` (and ``version`` as ``_commit``)."""
    path = root / ANSWERS_FILE
    text = read_text(path)
    line = f"_src_path: {SOURCE_MARKER}"
    if version is not None:
        line = f"_commit: {json.dumps(version)}\n{line}"
    atomic_write(path, _SOURCE_LINE.sub(lambda _: line, text, count=1))


def _copier_error(exc: Exception) -> ConfigError:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ConfigError(f"scaffold: {message}")


def init_repository(
    dest: str | Path,
    answers: Mapping[str, Any] | None = None,
    *,
    versions: Sequence[ScaffoldVersion] | None = None,
) -> Repository:
    """Create a policy repository at ``dest`` from the newest scaffold version.

    ``dest`` must not exist or be an empty folder. The repository is rendered into a
    temporary folder next to ``dest``, loaded and checked, then renamed into place: on any
    error nothing is left behind. Unanswered questions take their defaults (the
    library never prompts; the CLI asks the questions first when a person is there).
    """
    from copier import run_copy
    from copier.errors import CopierError

    target = Path(dest).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError("destination exists and is not empty", target)
    given = dict(answers or {})
    check_answers(given)
    chosen = list(versions) if versions is not None else list(shipped_versions())
    # Folders created for DEST's parent are removed again on failure.
    created = next((p for p in reversed(target.parents) if not p.exists()), None)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{target.name}.gitopspol-init-", dir=target.parent)
        )
    except OSError as exc:
        raise InputError(f"cannot create the repository here: {exc.strerror}", target) from None
    done = False
    try:
        rendered = staging / target.name
        try:
            # The newest version renders straight from its folder (no git clone: faster);
            # _commit is recorded below, as copier would for the tagged version.
            run_copy(
                str(chosen[-1].path),
                rendered,
                data={**given, "builtin_profiles": profiles_data()},
                defaults=True,
                quiet=True,
                unsafe=False,
                skip_tasks=True,
            )
        except (CopierError, ValueError) as exc:
            raise _copier_error(exc) from None
        _set_source(rendered, chosen[-1].version)
        load_repository(rendered)  # the rendered gitopspol.yaml must load: check before moving
        _git("init", "-q", cwd=rendered)
        if target.exists():
            target.rmdir()
        os.replace(rendered, target)
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not done and created is not None:
            shutil.rmtree(created, ignore_errors=True)
    return load_repository(target)


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What :func:`update_repository` did."""

    old_version: str
    new_version: str
    #: Files left with conflict markers (``<<<<<<<``) for the user to resolve.
    conflicts: tuple[str, ...]


def update_repository(
    root: str | Path, *, versions: Sequence[ScaffoldVersion] | None = None
) -> UpdateResult:
    """Bring the repository at ``root`` to the newest scaffold version, keeping local edits.

    The answers come from the repository's ``gitopspol.yaml`` (so tier overrides made there
    reach the overlays). The repository must be a clean git work tree; conflicting hunks are
    left inline with conflict markers, as ``git merge`` does.
    """
    # copier's public run_update() cannot be told where the old template version lives (it
    # reads _src_path from the answers file), so this uses its Worker directly; copier is
    # pinned below 10 in pyproject.toml and tests/scaffold/test_update.py proves the path.
    try:
        from copier._main import Worker
    except ImportError:  # copier before the _main split
        from copier.main import Worker
    from copier.errors import CopierError

    base = Path(root).absolute()
    repo = load_repository(base)
    answers_path = base / ANSWERS_FILE
    last = load_file(answers_path) if answers_path.is_file() else None
    if not isinstance(last, dict) or "_commit" not in last:
        raise ConfigError(
            "no scaffold version recorded (_commit): not created by gitopspol init", answers_path
        )
    old_version = str(last["_commit"])
    # copier renders the old version with these recorded answers: hold them to the same rules
    # as new answers (a hand-edited answers file must not reach paths or YAML unchecked).
    try:
        check_answers({k: v for k, v in last.items() if k in ANSWER_SCHEMAS})
        found = first_error(last.get("tier_settings", {}), TIER_SETTINGS_SCHEMA)
        if found is not None:
            raise ConfigError(f"{dotted_path(['tier_settings', *found[0]])}: {found[1]}")
    except ConfigError as exc:
        raise ConfigError(exc.message.removeprefix("--data "), answers_path) from None
    try:
        status = _git("status", "--porcelain", "--", ".", cwd=base)
    except GitError:
        raise GitError("not a git repository: commit the policy repository first", base) from None
    if status.strip():
        raise GitError("uncommitted changes: commit or stash them before updating", base)
    chosen = list(versions) if versions is not None else list(shipped_versions())
    if old_version not in {v.version for v in chosen}:
        raise ConfigError(
            f"scaffold version {old_version} is not shipped with this gitopspol "
            f"(versions: {', '.join(v.version for v in chosen)})",
            answers_path,
        )
    data = {**repository_answers(repo), "builtin_profiles": profiles_data()}
    source = template_repo(chosen)
    try:
        with Worker(
            src_path=str(source),
            dst_path=base,
            data=data,
            vcs_ref=chosen[-1].version,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
            skip_tasks=True,
            conflict="inline",
        ) as worker:
            # copier renders the old version from the recorded _src_path: point it at
            # the materialised repository (the recorded value is SOURCE_MARKER).
            worker.subproject.last_answers["_src_path"] = str(source)
            worker.run_update()
    except (CopierError, ValueError) as exc:
        raise _copier_error(exc) from None
    _set_source(base)
    # Unmerged paths are listed once per stage: keep each file once, in order.
    conflicts = list(
        dict.fromkeys(
            _git("diff", "--name-only", "--relative", "-G", "^<<<<<<< ", cwd=base).split()
        )
    )
    return UpdateResult(old_version, chosen[-1].version, tuple(conflicts))
