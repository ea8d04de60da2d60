"""Promotion end to end: plan, gates, then all files written and committed, or none."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gitopspol.errors import ConfigError, GitError, GitopspolError
from gitopspol.findings import Finding, Severity
from gitopspol.promote import gitrepo
from gitopspol.promote.model import Gate, ItemKind, Plan, Promotion
from gitopspol.promote.plan import BASE_DIR, Planner, content_changes, scratch
from gitopspol.promote.staging import Edits, entry_lines

if TYPE_CHECKING:
    from git import Repo


def promote(
    root: str | Path,
    from_tier: str,
    to_tier: str,
    *,
    policies: Sequence[str] = (),
    dry_run: bool = False,
    branch: str | None = None,
    message: str | None = None,
    commit: bool = True,
    min_soak: str | dt.timedelta | None = None,
    now: dt.datetime | None = None,
) -> Promotion:
    """Promote the changes staged in ``from_tier`` to ``to_tier``.

    ``policies`` selects policies by ``Kind/name`` or name (default: every staged one).
    Gates run before anything is written; a failing gate is a :class:`Gate` with
    ``ok=False`` in the result and nothing is written. Unless ``dry_run``, the files are
    written and (unless ``commit`` is False) committed on a new branch. Usage and
    configuration errors (unknown tier or policy, dirty work tree, detached HEAD) raise
    :class:`~gitopspol.errors.GitopspolError`.
    """
    from gitopspol.repo import load_repository

    repo = load_repository(Path(root))
    lower, higher = repo.tier(from_tier), repo.tier(to_tier)
    if lower.rank >= higher.rank:
        raise ConfigError(
            f"promotion goes up in rank: {from_tier} (rank {lower.rank}) is not below "
            f"{to_tier} (rank {higher.rank})",
            repo.config_file,
        )
    now = now or dt.datetime.now(dt.UTC)
    soak = gitrepo.parse_duration(min_soak) if isinstance(min_soak, str) else min_soak
    git_repo = gitrepo.open_repo(repo.root) if not dry_run or soak is not None else None
    with contextlib.ExitStack() as cleanup:
        if git_repo is not None:
            cleanup.callback(git_repo.close)  # GitPython keeps git processes until closed
        branch_name = None
        if git_repo is not None and not dry_run:
            gitrepo.check_clean(git_repo)
            if commit:
                branch_name = branch or gitrepo.default_branch(git_repo, from_tier, to_tier, now)
                gitrepo.check_branch(git_repo, branch_name)
        with scratch(repo.root) as work:
            planner = Planner(repo, from_tier, to_tier, work)
            try:
                planner.render_both()
            except GitopspolError as exc:
                failed = Gate("render", False, (_relative(exc.located(), work.root),))
                return Promotion(Plan(from_tier, to_tier, (), ()), (failed,))
            gates = [Gate("render", True, (f"{from_tier} and {to_tier} render",))]
            planner.errors_before = _errors(work.root, to_tier)
            plan = planner.plan(policies)
            if not plan.selected:
                return Promotion(plan, tuple(gates))
            if soak is not None and git_repo is not None:
                gates.append(_soak_gate(git_repo, planner, plan, soak, now))
            edits = planner.edits(plan)
            gates.extend(_after_gates(planner, plan))
            files = tuple(sorted(edits))
            if dry_run or not all(g.ok for g in gates):
                return Promotion(plan, tuple(gates), files)
        sha = _write(repo.root, git_repo, branch_name, edits, plan, message)
        return Promotion(plan, tuple(gates), files, True, branch_name, sha)


def _write(
    root: Path,
    git_repo: Repo | None,
    branch: str | None,
    edits: Edits,
    plan: Plan,
    subject: str | None,
) -> str | None:
    """Write every file, then (with a branch) commit them on it; on any failure put the
    files, index and branches back and raise. Returns the commit's sha."""
    try:
        originals = gitrepo.write_files(root, edits)
    except OSError as exc:
        raise GitError(
            f"cannot write {exc.filename or 'a file'}: {exc.strerror or exc}; "
            "every file was restored, nothing was promoted",
            root,
        ) from None
    if git_repo is None or branch is None:
        return None
    message = commit_message(plan, gitrepo.source_commit(git_repo), subject)
    try:
        return gitrepo.commit(git_repo, root, sorted(edits), branch, message)
    except BaseException as exc:
        gitrepo.restore_files(root, originals)
        if isinstance(exc, Exception) and not isinstance(exc, GitopspolError):
            lines = str(exc).strip().splitlines()
            raise GitError(
                f"cannot commit the promotion ({lines[-1] if lines else type(exc).__name__}); "
                "files, index and branches were restored, nothing was promoted",
                root,
            ) from None
        raise


def commit_message(plan: Plan, source: str, subject: str | None = None) -> str:
    """Subject, the promoted policies, and the trailers machines key on."""
    chosen = plan.chosen()
    count = f"{len(chosen)} {'policy' if len(chosen) == 1 else 'policies'}"
    title = subject or f"Promote {count} from {plan.from_tier} to {plan.to_tier}"
    body = [f"- {p.action.value} {p.key}" for p in chosen]
    trailers = [
        f"Promoted-From: {plan.from_tier}",
        f"Promoted-To: {plan.to_tier}",
        f"Source-Commit: {source}",
        *(f"Policy: {p.key}" for p in chosen),
    ]
    return "\n".join([title, "", *body, "", *trailers]) + "\n"


def _relative(text: str, root: Path) -> str:
    """Scratch-copy paths in a message shown as repository-relative paths."""
    return text.replace(str(root.resolve()) + "/", "").replace(str(root) + "/", "")


def _soak_gate(
    repo: Repo, planner: Planner, plan: Plan, soak: dt.timedelta, now: dt.datetime
) -> Gate:
    """Each promoted item has been committed in the lower tier for at least ``soak``."""
    root = planner.repo.root
    short: list[str] = []
    for item in plan.items():
        own = entry_lines(root, item)
        if item.kind is ItemKind.RESOURCE and item.file is not None:
            # The document itself, and its entry in the overlay's resources.
            times = [
                gitrepo.last_changed(repo, root / item.file, own),
                gitrepo.last_changed(
                    repo, root / item.kustomization, range(item.line, item.line + 1)
                ),
            ]
        else:
            times = [gitrepo.last_changed(repo, root / item.kustomization, own)]
            if item.file is not None:
                times.append(gitrepo.last_changed(repo, root / item.file))
        known = [t for t in times if t is not None]
        age = now - max(known) if len(known) == len(times) else dt.timedelta(0)
        if age < soak:
            short.append(
                f"{item.describe()} has been in {plan.from_tier} for "
                f"{gitrepo.format_duration(max(age, dt.timedelta(0)))}, less than "
                f"{gitrepo.format_duration(soak)}"
            )
    if short:
        return Gate("soak", False, tuple(short))
    return Gate(
        "soak",
        True,
        (f"every change has been in {plan.from_tier} for {gitrepo.format_duration(soak)} or more",),
    )


def _after_gates(planner: Planner, plan: Plan) -> list[Gate]:
    """Gates on the promoted copy: lower tier unchanged, higher tier matches it for the
    promoted policies, and the higher tier passes validation and its behaviour cases."""
    work, repo = planner.work, planner.repo
    gates: list[Gate] = []
    try:
        from_text = work.render(repo, plan.from_tier)
        to_after = work.build(repo, plan.to_tier)
        from_after = work.build(repo, plan.from_tier)
    except GitopspolError as exc:
        return [Gate("render after promotion", False, (_relative(exc.located(), work.root),))]
    same = from_text == planner.from_text
    gates.append(
        Gate(
            f"{plan.from_tier} unchanged",
            same,
            (
                f"{plan.from_tier} renders the same bytes after promotion"
                if same
                else f"moving the staged changes to the base would change what "
                f"{plan.from_tier} renders",
            ),
        )
    )
    changed = [t for t, text in planner.above.items() if planner.render_or_none(t) != text]
    if changed:
        top = repo.tiers[-1].name
        gates.append(
            Gate(
                "higher tiers unchanged",
                False,
                tuple(
                    f"{tier} would change too: promotion writes the shared base {BASE_DIR}/, "
                    f"which every tier renders; promote to the strictest tier "
                    f"({plan.from_tier} -> {top})"
                    for tier in changed
                ),
            )
        )
    left = [c for c in content_changes(to_after, from_after) if c.policy in plan.selected]
    gates.append(
        Gate(
            f"{plan.to_tier} matches {plan.from_tier}",
            not left,
            tuple(f"{c.policy}: {c.aspect} still differs" for c in left)
            or ("the promoted policies render alike in both tiers, tier settings aside",),
        )
    )
    gates.append(_validation_gate(work.root, plan.to_tier, planner.errors_before))
    return gates


def _errors(root: Path, tier: str) -> dict[tuple[str, str], str]:
    """Error findings about ``tier`` (or the whole repository) of the files under ``root``:
    schema, consistency and strictness rules, behaviour cases and behavioural strictness.

    Keyed without the line (promotion moves lines), valued with it for people.
    """
    from gitopspol.behaviour.run import run_repository
    from gitopspol.behaviour.strictness import behavioural_strictness, expectation_findings
    from gitopspol.validate import validate_repository

    findings: list[Finding] = list(validate_repository(root).findings)
    matrix = run_repository(root)
    findings += expectation_findings(matrix) + behavioural_strictness(matrix)
    errors: dict[tuple[str, str], str] = {}
    for finding in findings:
        if finding.severity is not Severity.ERROR or finding.tier not in (tier, None):
            continue
        where = f"{finding.location}: " if finding.location is not None else ""
        text = _relative(f"{finding.rule_id} {where}{finding.message}", root)
        errors[(finding.rule_id, _relative(finding.message, root))] = text
    return errors


def _validation_gate(root: Path, tier: str, before: Mapping[tuple[str, str], str]) -> Gate:
    """The promoted copy adds no error about ``tier`` to those the repository had."""
    after = _errors(root, tier)
    new = [text for key, text in after.items() if key not in before]
    if new:
        return Gate("validate", False, tuple(new))
    notes = [f"{tier} passes schema, consistency, strictness and behaviour cases"]
    if after:
        notes.append(
            f"{len(after)} error(s) it had before remain ('gitopspol validate' lists them)"
        )
    if len(before) > len(after):
        notes.append(f"{len(before) - len(after)} error(s) it had before are fixed")
    return Gate("validate", True, tuple(notes))
