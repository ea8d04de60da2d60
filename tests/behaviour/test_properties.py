"""Properties of verdict combination, checked on generated engine results."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gitopspol.behaviour.cases import Verdict
from gitopspol.behaviour.tier import admission_of, combine, effect
from gitopspol.engines.admission import Action, RuleResult, Status

results = st.builds(
    RuleResult,
    engine=st.sampled_from(["psa", "kyverno", "vap", "gatekeeper"]),
    policy=st.sampled_from(["a", "b", "c"]),
    rule=st.sampled_from([None, "r"]),
    status=st.sampled_from(list(Status)),
    message=st.just(""),
    actions=st.lists(st.sampled_from(list(Action)), max_size=3).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(results, max_size=8))
def test_verdict_is_the_strongest_effect_and_deciding_results_give_it(
    found: list[RuleResult],
) -> None:
    admission = admission_of(found)
    assert all(effect(r).rank <= admission.verdict.rank for r in found)
    assert bool(admission.deciding) == (admission.verdict is not Verdict.ALLOW)
    assert all(effect(r) is admission.verdict for r in admission.deciding)
    if any(Action.DENY in r.actions and r.status is Status.FAIL for r in found):
        assert admission.verdict is Verdict.DENY
    if all(r.status in (Status.PASS, Status.SKIP, Status.NOT_EVALUATED) for r in found):
        assert admission.verdict is Verdict.ALLOW
    # per-policy verdicts never exceed, and together reach, the request's verdict
    per_policy = admission.policy_verdicts().values()
    assert max((v.rank for v in per_policy), default=0) == admission.verdict.rank


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(results, max_size=4), max_size=4))
def test_combining_requests_is_order_independent(groups: list[list[RuleResult]]) -> None:
    admissions = [admission_of(g) for g in groups]
    forward = combine(admissions)
    backward = combine(reversed(admissions))
    assert forward.verdict is backward.verdict
    assert sorted(map(repr, forward.results)) == sorted(map(repr, backward.results))
