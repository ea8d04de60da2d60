"""Properties of the semantic diff: total on malformed input, empty on itself, antisymmetric."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gitopspol import yamlio
from gitopspol.checks import SourceDocument
from gitopspol.diff import Direction, compare, policy_views

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
KINDS = [
    ("kyverno.io/v1", "ClusterPolicy"),
    ("kyverno.io/v2", "PolicyException"),
    ("policies.kyverno.io/v1", "ValidatingPolicy"),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"),
    ("constraints.gatekeeper.sh/v1beta1", "K8sAllowedRepos"),
    ("templates.gatekeeper.sh/v1", "ConstraintTemplate"),
    ("v1", "Namespace"),
]
KEYS = st.sampled_from(
    ["rules", "validate", "failureAction", "match", "exclude", "parameters", "enforcementAction",
     "validationActions", "variables", "podSecurity", "any", "namespaces", "labels",
     "failureActionOverrides", "scopedEnforcementActions", "validationFailureAction"]
)  # fmt: skip
# Policy-shaped junk: known keys at every level, arbitrary values.
SHAPED = st.recursive(
    JSON,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


def _doc(api: str, kind: str, spec: Any, labels: Any = None) -> SourceDocument:
    data = {"apiVersion": api, "kind": kind, "metadata": {"name": "p", "labels": labels}}
    data["spec"] = spec
    # The text lets findings be located without a file on disk.
    return SourceDocument(data, "p.yaml", 0, yamlio.dump(data))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(KINDS), SHAPED, SHAPED, JSON)
def test_views_and_compare_are_total(kind: tuple[str, str], a: Any, b: Any, labels: Any) -> None:
    lower, higher = [_doc(*kind, a, labels)], [_doc(*kind, b, labels)]
    policy_views(lower)
    compare(lower, higher)
    assert compare(lower, lower) == []


ACTIONS = st.sampled_from(["dryrun", "warn", "deny"])
NAMESPACES = st.sets(st.sampled_from(["a", "b", "c", "d"]))


def _constraint(action: str, excluded: set[str], repos: set[str]) -> list[SourceDocument]:
    spec = {
        "enforcementAction": action,
        "match": {"excludedNamespaces": sorted(excluded)},
        "parameters": {"repos": sorted(repos)},
    }
    return [_doc("constraints.gatekeeper.sh/v1beta1", "K8sAllowedRepos", spec)]


@settings(max_examples=100, deadline=None)
@given(ACTIONS, ACTIONS, NAMESPACES, NAMESPACES, NAMESPACES, NAMESPACES)
def test_weakening_one_way_is_strengthening_the_other(
    a1: str, a2: str, e1: set[str], e2: set[str], r1: set[str], r2: set[str]
) -> None:
    one, two = _constraint(a1, e1, r1), _constraint(a2, e2, r2)
    forward = {c.aspect: c.direction for c in compare(one, two)}
    backward = {c.aspect: c.direction for c in compare(two, one)}
    assert set(forward) == set(backward)
    for aspect, direction in forward.items():
        if direction is Direction.STRENGTHENED:
            assert backward[aspect] is Direction.WEAKENED, aspect
    order = ["dryrun", "warn", "deny"]
    if order.index(a2) < order.index(a1):
        assert forward["enforcementAction"] is Direction.WEAKENED
    if e1 < e2:
        assert forward["match.excludedNamespaces"] is Direction.WEAKENED
    if r2 < r1:
        assert forward["parameters.repos"] is Direction.STRENGTHENED


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(KINDS), SHAPED, SHAPED, JSON)
def test_rules_are_total_on_malformed_policies(
    kind: tuple[str, str], a: Any, b: Any, labels: Any
) -> None:
    from gitopspol.checks import RuleContext, run_rules

    ctx = RuleContext(
        tiers={"sbx": [_doc(*kind, a, labels)], "prd": [_doc(*kind, b, labels)]},
        settings={"base": [_doc(*kind, a, labels).data], "profiles": {"prd": {}}},
    )
    for finding in run_rules(ctx):
        assert finding.rule_id.startswith("GP")
