"""Behaviour cases as rules (GP4xx): run every case in every tier once per rule context.

The cases come from ``RuleContext.settings['cases']``: loaded
:class:`~gitopspol.behaviour.cases.BehaviourCase` objects, or plain case documents (the
documented examples); ``settings['case_error']`` (``{message, file, line}``) when they do not
load. ``settings['behaviour'] = False`` skips them (``--changed-since``
when no policy, overlay or case changed). The findings are the behaviour engineer's
:func:`~gitopspol.behaviour.strictness.behavioural_strictness` (GP401, GP402) and
:func:`~gitopspol.behaviour.strictness.expectation_findings` (GP403); a tier whose policies
cannot be prepared for evaluation is a GP403 finding too. A waiver of a policy in a tier
also accepts the GP401 findings about that policy there. Kubewarden policies run the local
modules the repository's gitopspol.yaml maps (``kubewarden.modules``, found from
``settings['root']``), as ``gitopspol test`` does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopspol.checks.base import RuleContext
from gitopspol.errors import GitopspolError
from gitopspol.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from gitopspol.background import Job

EXAMPLE_FILE = "tests/example-case.yaml"


def _cases(ctx: RuleContext) -> list[Any]:
    from gitopspol.behaviour.cases import BehaviourCase, parse_case

    found = ctx.settings.get("cases")
    if not isinstance(found, list | tuple):
        return []
    return [
        case if isinstance(case, BehaviourCase) else parse_case(case, EXAMPLE_FILE)
        for case in found
        if isinstance(case, BehaviourCase | dict)
    ]


def _kubewarden_modules(root: Any) -> tuple[dict[str, Path], Path]:
    """The repository's Kubewarden module files and the folder they are relative to."""
    from gitopspol.repo.config import load_repository

    if not isinstance(root, str) or not (Path(root) / "gitopspol.yaml").is_file():
        return {}, Path(".")
    try:
        return dict(load_repository(root).kubewarden_modules), Path(root)
    except GitopspolError:  # gitopspol.yaml is validate's to report
        return {}, Path(root)


def _compute(ctx: RuleContext) -> list[Finding]:
    from gitopspol.behaviour.run import run_cases
    from gitopspol.behaviour.strictness import behavioural_strictness, expectation_findings
    from gitopspol.behaviour.tier import prepare_tier

    if ctx.settings.get("behaviour") is False:
        return []
    error = ctx.settings.get("case_error")
    if isinstance(error, dict):
        where = Location(str(error.get("file") or ""), int(error.get("line") or 0))
        message = f"invalid behaviour case: {error.get('message')}"
        return [Finding("GP403", Severity.ERROR, message, where)]
    try:
        cases = _cases(ctx)
    except GitopspolError as exc:
        where = Location(exc.file or "", exc.line or 0)
        return [Finding("GP403", Severity.ERROR, f"invalid behaviour case: {exc.message}", where)]
    if not cases:
        return []
    prepared = {}
    problems: list[Finding] = []
    modules, base_dir = _kubewarden_modules(ctx.settings.get("root"))
    for tier, docs in ctx.tiers.items():
        try:
            prepared[tier] = prepare_tier(docs, tier, kubewarden_modules=modules, base_dir=base_dir)
        except GitopspolError as exc:
            message = f"behaviour cases cannot run in tier {tier}: {exc.message}"
            at = Location(exc.file, exc.line or 0) if exc.file else None
            problems.append(Finding("GP403", Severity.ERROR, message, at, tier))
    if problems:
        return problems
    try:
        matrix = run_cases(cases, prepared)
    except GitopspolError as exc:  # e.g. constraint parameters its template refuses (GP303)
        at = Location(exc.file, exc.line or 0) if exc.file else None
        message = f"behaviour cases cannot run: {exc.message}"
        return [Finding("GP403", Severity.ERROR, message, at)]
    return behavioural_strictness(matrix) + expectation_findings(matrix)


# GP401 messages name the policy as "<engine> policy <name>" (gitopspol.behaviour.strictness).
_POLICY = re.compile(r" policy (\S+)")


def _waived(ctx: RuleContext, finding: Finding) -> bool:
    """A GP401 finding about a policy a valid waiver accepts in that tier."""
    from gitopspol.checks.repository import waived

    found = _POLICY.search(finding.message) if finding.rule_id == "GP401" else None
    return found is not None and waived(ctx, found.group(1), finding.tier or "")


def start_in_background(ctx: RuleContext) -> Job[list[Finding]]:
    """Start running the cases in a forked child (see :mod:`gitopspol.background`), while
    the other rules run here; the GP4xx rules then take the child's findings. The active
    result cache is saved by the child. ``cancel()`` the job when the rules do not run."""
    from gitopspol.background import in_background
    from gitopspol.behaviour.cache import active_cache

    def compute() -> list[Finding]:
        findings = _compute(ctx)
        cache = active_cache()
        if cache is not None:
            cache.save()
        return findings

    job = in_background(compute)
    ctx.cached("behaviour-job", lambda: job)
    return job


def behaviour_findings(ctx: RuleContext, rule_id: str) -> list[Finding]:
    """The behaviour findings of one GP4xx rule (cases run once per context)."""

    def compute() -> list[Finding]:
        job: Job[list[Finding]] | None = ctx.cached("behaviour-job", lambda: None)
        return job.result() if job is not None else _compute(ctx)

    findings: list[Finding] = ctx.cached("behaviour", compute)
    return [f for f in findings if f.rule_id == rule_id and not _waived(ctx, f)]
