"""GP103's target matching: literals compare as text, regexes as anchored Python regexes."""

from __future__ import annotations

import pytest

from gitopspol.checks.rules.gp103_patch_target_missing import target_matches

POLICY = {"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "p-1"}}


@pytest.mark.parametrize(
    ("target", "selected"),
    [
        ({"kind": "ClusterPolicy", "name": "p-1"}, True),
        ({"kind": "ClusterPolicy", "name": "p-10"}, False),
        ({"kind": "ClusterPolicy", "name": "p"}, False),  # anchored: no prefix match
        ({"group": "kyverno.io", "version": "v1"}, True),
        ({"group": "kyverno", "version": "v1"}, False),
        ({"kind": "Cluster.*", "name": "p-[0-9]"}, True),
        ({"kind": "Cluster.*", "name": "p-[2-9]"}, False),
        ({"name": "p-1|q"}, True),
        ({"name": "(p-1"}, False),  # not a regex: compared as text
        ({"namespace": "default"}, False),
    ],
)
def test_target_matches(target: dict[str, str], selected: bool) -> None:
    assert target_matches(target, POLICY) is selected


def test_invalid_regex_is_compared_as_text() -> None:
    named = {**POLICY, "metadata": {"name": "(p-1"}}
    assert target_matches({"name": "(p-1"}, named)


def test_thousands_of_distinct_patterns_keep_their_meaning() -> None:
    # More patterns than Python's re cache (512) holds: each is still matched correctly.
    for index in range(1500):
        named = {**POLICY, "metadata": {"name": f"policy-{index}"}}
        assert target_matches({"name": f"policy-{index}"}, named)
        assert target_matches({"name": f"policy-{index}.?"}, named)
        assert not target_matches({"name": f"policy-{index + 1}"}, named)
