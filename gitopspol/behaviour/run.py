"""Run behaviour cases in every tier of a repository: the case x tier matrix.

:func:`prepare_tiers` renders each tier once (one :class:`~gitopspol.render.Renderer`, so
shared bases are built once) and prepares its engines; :func:`run_cases` evaluates every
case in every tier and compares with the case's expectations; :func:`run_repository` does
both for a policy repository.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitopspol.behaviour.cases import BehaviourCase, Expectation, Verdict, load_cases
from gitopspol.behaviour.tier import (
    Admission,
    PreparedTier,
    combine,
    evaluate_tier,
    policy_key,
    prepare_tier,
)
from gitopspol.engines.admission import Status
from gitopspol.errors import ConfigError
from gitopspol.repo.model import Repository


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One unexpected verdict: the case's, or one policy's (``policy`` set)."""

    expected: Verdict
    actual: Verdict | None
    policy: str | None = None
    #: Policies that were not evaluated (a Kubewarden module not available offline) and
    #: might have given the expected verdict: the reason it was not met, said plainly.
    unevaluated: tuple[str, ...] = ()

    def describe(self) -> str:
        """``expected deny, got warn`` or ``gatekeeper:K8sX/y: expected deny, got audit``
        (``...; not evaluated: kubewarden:x`` when an unevaluated policy may decide it)."""
        actual = self.actual.value if self.actual is not None else "not evaluated"
        text = f"expected {self.expected.value}, got {actual}"
        if self.unevaluated:
            text += f" (not evaluated: {', '.join(self.unevaluated)})"
        return f"{self.policy}: {text}" if self.policy else text


@dataclass(frozen=True, slots=True)
class Cell:
    """One case evaluated in one tier."""

    case: BehaviourCase
    tier: str
    admission: Admission
    expected: Expectation | None = None
    mismatches: tuple[Mismatch, ...] = ()

    @property
    def ok(self) -> bool:
        """No unexpected verdict (a cell without expectation is always ok)."""
        return not self.mismatches

    @property
    def verdict(self) -> Verdict:
        """The admission verdict."""
        return self.admission.verdict


@dataclass(frozen=True, slots=True)
class Matrix:
    """Every case in every tier, tiers least strict first."""

    tiers: tuple[str, ...]
    cases: tuple[BehaviourCase, ...]
    cells: Mapping[tuple[str, str], Cell] = field(default_factory=dict)
    prepared: Mapping[str, PreparedTier] = field(default_factory=dict)

    def cell(self, case: str, tier: str) -> Cell:
        """The cell of case ``case`` in tier ``tier``."""
        return self.cells[(case, tier)]

    @property
    def failures(self) -> tuple[Cell, ...]:
        """Cells with an unexpected verdict, in case then tier order."""
        return tuple(
            self.cells[(c.name, t)]
            for c in self.cases
            for t in self.tiers
            if not self.cells[(c.name, t)].ok
        )

    @property
    def ok(self) -> bool:
        """Every expectation met."""
        return not self.failures

    @property
    def checked(self) -> int:
        """How many cells carried an expectation."""
        return sum(1 for cell in self.cells.values() if cell.expected is not None)


def verdict_meets(expected: Verdict, actual: Verdict) -> bool:
    """Whether ``actual`` meets ``expected``: equal, or ``warn`` (reported) met by ``audit``.

    ``warn`` keeps the case format's original meaning, "admitted, and some policy reports
    it" (a warning or an audit entry); ``audit`` is the narrower "only recorded in audit".
    """
    return actual is expected or (expected is Verdict.WARN and actual is Verdict.AUDIT)


def mismatches(admission: Admission, expected: Expectation | None) -> tuple[Mismatch, ...]:
    """How ``admission`` differs from ``expected`` (empty when it meets it).

    Besides the verdict and the listed policies, an expected ``deny`` is *defence in depth*:
    every other policy that flags the request must deny it too, so a tier where one engine
    stops denying fails, naming that engine's policy, although the others still deny. List
    a policy under ``policies`` to expect something else of it.
    """
    if expected is None:
        return ()
    found: list[Mismatch] = []
    skipped = unevaluated(admission)
    if expected.verdict is not None and not verdict_meets(expected.verdict, admission.verdict):
        # Only an expectation stronger than what ran could have been met by what did not run.
        maybe = skipped if expected.verdict.rank > admission.verdict.rank else ()
        found.append(Mismatch(expected.verdict, admission.verdict, unevaluated=maybe))
    for policy, verdict in expected.policies.items():
        if policy in skipped or any(key.partition(":")[2] == policy for key in skipped):
            found.append(Mismatch(verdict, None, policy))  # never a pass, even for allow
            continue
        actual = admission.policy_verdict(policy)
        if actual is None and verdict is Verdict.ALLOW:
            continue  # a policy that does not apply allows
        if actual is None or not verdict_meets(verdict, actual):
            found.append(Mismatch(verdict, actual, policy))
    if expected.verdict is Verdict.DENY:
        listed = set(expected.policies)
        for key, actual in admission.policy_verdicts().items():
            if key in listed or key.partition(":")[2] in listed:
                continue
            if actual is not Verdict.ALLOW and actual is not Verdict.DENY:
                found.append(Mismatch(Verdict.DENY, actual, key))
    return tuple(found)


def unevaluated(admission: Admission) -> tuple[str, ...]:
    """``engine:policy`` of the policies none of whose results were evaluated (a Kubewarden
    policy whose module is not available offline), in first-seen order."""
    if all(result.status is not Status.NOT_EVALUATED for result in admission.results):
        return ()
    statuses: dict[str, set[Status]] = {}
    for result in admission.results:
        statuses.setdefault(policy_key(result), set()).add(result.status)
    return tuple(key for key, found in statuses.items() if found == {Status.NOT_EVALUATED})


def evaluate_case(
    case: BehaviourCase, tier: PreparedTier, *, enforce_templates: bool = False
) -> Admission:
    """The admission of every request of ``case`` in ``tier``, combined."""
    return combine(
        evaluate_tier(tier, request, enforce_templates=enforce_templates)
        for request in case.requests
    )


def run_cases(cases: Sequence[BehaviourCase], tiers: Mapping[str, PreparedTier]) -> Matrix:
    """Evaluate every case in every tier (``tiers`` in strictness order)."""
    cells: dict[tuple[str, str], Cell] = {}
    for case in cases:
        for name, tier in tiers.items():
            admission = evaluate_case(case, tier)
            expected = case.expect.get(name)
            cells[(case.name, name)] = Cell(
                case, name, admission, expected, mismatches(admission, expected)
            )
    return Matrix(tuple(tiers), tuple(cases), cells, dict(tiers))


def check_kubewarden_modules(repo: Repository) -> None:
    """A :class:`ConfigError` at its line of ``gitopspol.yaml`` for a Kubewarden module file
    that ``kubewarden.modules`` maps but that does not exist (a typo would otherwise make
    every request the policy matches an error, denied under ``failurePolicy: Fail``)."""
    from gitopspol import yamlio
    from gitopspol.repo.schemas import config_error

    for reference, file in repo.kubewarden_modules.items():
        if not (repo.root / file).is_file():
            raise config_error(
                yamlio.read_text(repo.config_file),
                repo.config_file,
                ["kubewarden", "modules", reference],
                f"module file {file} does not exist",
            )


def prepare_tiers(repo: Repository, tiers: Sequence[str] = ()) -> dict[str, PreparedTier]:
    """Render and prepare the repository's tiers (all, least strict first, or ``tiers``).

    An unknown tier, or a Kubewarden module file that does not exist, is a
    :class:`ConfigError` on ``gitopspol.yaml``.
    """
    from gitopspol.render import Renderer

    for name in tiers:
        repo.tier(name)  # raises for an unknown tier
    check_kubewarden_modules(repo)
    names = [t for t in repo.tier_names if not tiers or t in tiers]
    renderer = Renderer()
    prepared: dict[str, PreparedTier] = {}
    for name in names:
        overlay = repo.environment_dir(name)
        if not (overlay / "kustomization.yaml").is_file():
            raise ConfigError(
                f"tier {name!r} has no overlay {overlay.relative_to(repo.root)}/"
                "kustomization.yaml (run 'gitopspol update' to create it)",
                repo.config_file,
            )
        prepared[name] = prepare_tier(
            renderer.build(overlay),
            name,
            kubewarden_modules=repo.kubewarden_modules,
            base_dir=repo.root,
        )
    return prepared


def run_repository(root: str | Path, tiers: Sequence[str] = ()) -> Matrix:
    """Load the repository's cases (``tests/``), render its tiers, run every case in each."""
    from gitopspol.repo import load_repository

    repo = load_repository(Path(root))
    prepared = prepare_tiers(repo, tiers)
    return run_cases(load_cases(repo.root, repo.tier_names), prepared)
