"""``gitopspol validate`` as a library: render every tier, run the rules, collect findings.

Public API::

    validate_repository(root, *, crds=(), changed_since=None, today=None, rules=None,
                        progress=None, cache_dir=None)
        -> ValidationResult
    render_repository(repo, renderer=None) -> RenderedRepository
    rule_context(rendered, *, crds=None, today=None, behaviour=True, only=None) -> RuleContext
    changed_files(root, rev) -> set[Path]

The base (``policies/``) and every tier are built by one
:class:`~gitopspol.render.Renderer`, so files and bases shared by the tiers are parsed and
built once. A tier that does not render is a finding (GP101), never an abort.

``changed_since`` limits the per-policy findings to policies whose source files changed
since a Git revision: ``git diff --name-only --relative REV`` plus untracked files, run
read-only with the ``git`` executable (GitPython is reserved for ``promote``). A change
to gitopspol.yaml changes every tier's settings, so it limits nothing. Repository-level
findings (a tier that does not render, a patch that selects nothing, an expired waiver)
and behaviour findings are always kept; the behaviour cases run only when a case, a
policy or gitopspol.yaml changed.

``cache_dir`` (e.g. ``.gitopspol-cache/``) keeps each engine's answer per policy and
behaviour case across runs (:mod:`gitopspol.behaviour.cache`): after a one-policy change only
that policy is evaluated again. The folder can be deleted at any time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopspol import yamlio
from gitopspol.behaviour.cases import CASES_DIR, load_cases
from gitopspol.checks import RULES, Rule, RuleContext, resource_id, run_rules
from gitopspol.checks.behaviour import start_in_background
from gitopspol.errors import GitError, GitopspolError, RenderError
from gitopspol.findings import Finding
from gitopspol.repo.config import load_repository
from gitopspol.repo.model import Repository
from gitopspol.report.common import Summary

if TYPE_CHECKING:
    from gitopspol.render import Renderer, Resource
    from gitopspol.schema import CrdRegistry

BASE_DIR = "policies"
#: The ``render_errors`` key of the base (it is not a tier).
BASE_KEY = "the base (policies/)"


@dataclass(frozen=True, slots=True)
class RenderedRepository:
    """A repository with its base and tiers rendered (tiers lowest rank first)."""

    repo: Repository
    base: list[Resource] | None
    tiers: dict[str, list[Resource]]
    errors: dict[str, GitopspolError] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Findings of a validate run and what was checked."""

    findings: tuple[Finding, ...]
    summary: Summary


def render_repository(repo: Repository, renderer: Renderer | None = None) -> RenderedRepository:
    """Build ``policies/`` and every tier's overlay; render errors are collected, not raised."""
    from gitopspol.render import Renderer
    from gitopspol.render.kustomize import KUSTOMIZATION_FILES

    renderer = renderer or Renderer()
    errors: dict[str, GitopspolError] = {}
    base: list[Resource] | None = None
    # Without a kustomization, policies/ is not a base (tiers may list its files directly).
    if any((repo.root / BASE_DIR / name).is_file() for name in KUSTOMIZATION_FILES):
        try:
            base = renderer.build(repo.root / BASE_DIR)
        except GitopspolError as exc:
            errors[BASE_KEY] = exc
    tiers: dict[str, list[Resource]] = {}
    for tier in repo.tier_names:
        overlay = repo.environment_dir(tier)
        if not overlay.is_dir():
            message = (
                f"tier {tier!r} has no overlay folder {overlay.relative_to(repo.root)} "
                "(run 'gitopspol update' to create it)"
            )
            errors[tier] = RenderError(message, repo.config_file, _tier_line(repo, tier))
            continue
        try:
            tiers[tier] = renderer.build(overlay)
        except GitopspolError as exc:
            errors[tier] = exc
    return RenderedRepository(repo, base, tiers, errors)


def _tier_line(repo: Repository, tier: str) -> int | None:
    """The line of a tier's entry in gitopspol.yaml."""
    text = yamlio.read_text(repo.config_file)
    entries = yamlio.load(text, repo.config_file).get("tiers") or []
    for index, entry in enumerate(entries):
        if isinstance(entry, dict) and entry.get("name") == tier:
            found = yamlio.locate(text, 0, ["tiers", index, "name"])
            return found[0] if found else None
    return None


def _patches(repo: Repository) -> list[dict[str, Any]]:
    """Every targeted ``patches`` entry of each tier's kustomization, with its location."""
    out: list[dict[str, Any]] = []
    for tier in repo.tier_names:
        path = repo.environment_dir(tier).absolute() / "kustomization.yaml"
        try:
            text = yamlio.read_text(path)
            data = yamlio.load(text, path)
        except GitopspolError:
            continue  # GP101 reports it
        entries = data.get("patches") if isinstance(data, dict) else None
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict) or not isinstance(entry.get("target"), dict):
                continue
            patch_text = str(entry.get("patch") or "")
            if isinstance(entry.get("path"), str):
                try:
                    patch_text = yamlio.read_text(path.parent / entry["path"])
                except GitopspolError:
                    continue
            out.append(
                {
                    "tier": tier,
                    "file": str(path),
                    # The line is located only for a patch that is reported (GP103).
                    "path": ["patches", index],
                    "target": entry["target"],
                    "deletes": "$patch: delete" in patch_text.replace('"', "").replace("'", ""),
                }
            )
    return out


def _waivers(repo: Repository) -> list[dict[str, Any]]:
    return [
        {
            "policy": w.policy,
            "tier": w.tier,
            "rule": w.rule,
            "reason": w.reason,
            "expires": w.expires.isoformat(),
            "file": str(repo.config_file.absolute()),
            "line": w.line or 0,
        }
        for w in repo.waivers
    ]


def _error_data(error: GitopspolError) -> dict[str, Any]:
    return {"message": error.message, "file": error.file, "line": error.line or 0}


def rule_context(
    rendered: RenderedRepository,
    *,
    crds: CrdRegistry | None = None,
    today: dt.date | None = None,
    behaviour: bool = True,
    only: Iterable[str] | None = None,
) -> RuleContext:
    """The rule context of a rendered repository (settings as documented in
    :mod:`gitopspol.checks.repository`)."""
    repo = rendered.repo
    settings: dict[str, Any] = {
        "render_errors": {k: _error_data(v) for k, v in rendered.errors.items()},
        "patches": _patches(repo),
        "root": str(repo.root.absolute()),
        "overlays": {t: str(repo.environment_dir(t).absolute()) for t in repo.tier_names},
        "profiles": {tier.name: tier.settings() for tier in repo.tiers},
        "waivers": _waivers(repo),
        "today": (today or dt.date.today()).isoformat(),
        "behaviour": behaviour,
    }
    try:
        # Absolute paths: findings are reported relative to the repository root.
        settings["cases"] = list(load_cases(repo.root.absolute(), repo.tier_names))
    except GitopspolError as exc:
        settings["case_error"] = _error_data(exc)
    if rendered.base is not None:
        settings["base"] = rendered.base
    if repo.namespaces:
        settings["namespaces"] = list(repo.namespaces)
    if only is not None:  # per-document rules look at these resources only
        settings["only"] = frozenset(only)
    return RuleContext(tiers=rendered.tiers, crds=crds, settings=settings)


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"cannot run git: {exc}", root) from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        raise GitError(f"git {args[0]} failed: {detail[-1] if detail else done.returncode}", root)
    return done.stdout


def changed_files(root: str | Path, rev: str) -> set[Path]:
    """Files under ``root`` changed since ``rev`` (committed, staged, unstaged or untracked)."""
    base = Path(root).resolve()
    if rev.startswith("-"):
        raise GitError(f"invalid revision {rev!r}", base)
    names = _git(base, "diff", "--name-only", "--relative", "-z", rev, "--")
    names += _git(base, "ls-files", "--others", "--exclude-standard", "-z")
    return {(base / name).resolve() for name in names.split("\0") if name}


def _source_files(resource: Any) -> set[Path]:
    """Files a rendered resource came from: its document and every patch that changed it."""
    files = {getattr(getattr(resource, "origin", None), "file", "")}
    files |= {origin.file for origin in getattr(resource, "field_origins", {}).values()}
    return {_resolved(f) for f in files if f}


@functools.lru_cache(maxsize=16384)
def _resolved(file: str) -> Path:
    """``Path(file).resolve()``, once per file (thousands of resources share a few files)."""
    return Path(file).resolve()


def touched_resources(rendered: RenderedRepository, changed: set[Path]) -> set[str]:
    """``Kind/name`` of every rendered resource whose source files are in ``changed``."""
    touched: set[str] = set()
    for docs in [*rendered.tiers.values(), rendered.base or []]:
        for doc in docs:
            if _source_files(doc) & changed:
                touched.add(resource_id(doc.data))
    return touched


def limit_to_changes(
    findings: Iterable[Finding], rendered: RenderedRepository, changed: set[Path]
) -> list[Finding]:
    """Findings about resources whose source files are in ``changed`` (and repository-level
    findings). Everything is kept when gitopspol.yaml changed."""
    findings = list(findings)
    if rendered.repo.config_file.resolve() in changed:
        return findings
    touched = touched_resources(rendered, changed)
    kept = []
    for finding in findings:
        located = finding.location is not None and Path(finding.location.file).resolve() in changed
        # Behaviour findings sit at a case but are caused by policies: they only exist when
        # the cases ran, which they do only when something they depend on changed.
        behaviour = finding.rule_id.startswith("GP4")
        if finding.resource is None or finding.resource in touched or located or behaviour:
            kept.append(finding)
    return kept


def _behaviour_touched(rendered: RenderedRepository, changed: set[Path]) -> bool:
    """Whether a change can alter a behaviour case's result: a case, a policy, the config."""
    cases = (rendered.repo.root / CASES_DIR).resolve()
    return (
        rendered.repo.config_file.resolve() in changed
        or any(path.is_relative_to(cases) for path in changed)
        or bool(touched_resources(rendered, changed))
    )


def _result_cache(cache_dir: str | Path | None) -> contextlib.AbstractContextManager[object]:
    if cache_dir is None:
        return contextlib.nullcontext()
    from gitopspol.behaviour.cache import result_cache

    return result_cache(cache_dir)


def validate_repository(
    root: str | Path,
    *,
    crds: Sequence[str | Path] = (),
    changed_since: str | None = None,
    today: dt.date | None = None,
    rules: Sequence[Rule] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    cache_dir: str | Path | None = None,
) -> ValidationResult:
    """Validate a policy repository: every tier rendered, every rule run.

    Configuration errors (gitopspol.yaml, unreadable ``--crd`` files, a bad revision) raise
    :class:`~gitopspol.errors.GitopspolError`; everything wrong with the policies is a
    finding. ``progress(done, total, step)`` is called before each step (rendering, then each
    rule), for a progress bar. ``cache_dir`` keeps behaviour results across runs.
    """
    from gitopspol.render.memory import frozen_gc, paused_gc

    started = time.monotonic()
    report = progress or (lambda done, total, step: None)
    repo = load_repository(root)
    registry = None
    if crds:
        from gitopspol.schema import CrdRegistry

        registry = CrdRegistry.from_paths(crds)
    changed = changed_files(repo.root, changed_since) if changed_since else None
    chosen = tuple(rules) if rules is not None else RULES
    report(0, len(chosen) + 1, "render")
    # What is rendered lives to the end of the run: the garbage collector is paused while
    # rendering, and then kept from rescanning it (gitopspol.render.memory says why).
    with paused_gc():
        rendered = render_repository(repo)
        # Behaviour cases are skipped when nothing a case depends on changed.
        behaviour = changed is None or _behaviour_touched(rendered, changed)
        # With --changed-since, per-document rules run on touched resources only (the
        # findings about the others would be dropped); a gitopspol.yaml change limits nothing.
        only = None
        if changed is not None and repo.config_file.resolve() not in changed:
            only = touched_resources(rendered, changed)
        ctx = rule_context(rendered, crds=registry, today=today, behaviour=behaviour, only=only)
    with frozen_gc(), _result_cache(cache_dir):
        # The behaviour cases (GP4xx) run on the second core while the other rules run here.
        # They run last, so that the others overlap them; findings keep the rules' order.
        job = start_in_background(ctx) if any(r.id.startswith("GP4") for r in chosen) else None
        found: dict[str, list[Finding]] = {}
        try:
            ordered = sorted(chosen, key=lambda r: r.id.startswith("GP4"))
            for done, rule in enumerate(ordered, 1):
                report(done, len(chosen) + 1, rule.id)
                found[rule.id] = run_rules(ctx, [rule])
        finally:
            if job is not None:
                job.cancel()
        findings = [f for rule in chosen for f in found[rule.id]]
    report(len(chosen) + 1, len(chosen) + 1, "done")
    if changed is not None:
        findings = limit_to_changes(findings, rendered, changed)
    summary = Summary(
        tiers=repo.tier_names,
        rules=tuple(rule.info for rule in sorted(chosen, key=lambda r: r.id)),
        documents=sum(len(docs) for docs in rendered.tiers.values()),
        root=str(repo.root),
        duration=time.monotonic() - started,
        timestamp=dt.datetime.now().replace(microsecond=0).isoformat(),
        hostname=os.environ.get("HOSTNAME") or socket.gethostname(),
    )
    return ValidationResult(tuple(findings), summary)
