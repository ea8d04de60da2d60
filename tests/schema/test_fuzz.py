"""validate_manifest returns problems for any YAML-shaped input; it never raises."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gitopspol.schema import builtin_kinds, validate_manifest

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
KEYS = (
    st.sampled_from(
        ["spec", "rules", "match", "metadata", "name", "validate", "parameters", "kinds", "any"]
    )
    | st.text(max_size=6)
    | st.integers()
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)
KINDS = st.sampled_from([kind.split(" ") for kind in builtin_kinds()])


@settings(max_examples=150, deadline=None)
@given(kind=KINDS, body=st.dictionaries(KEYS, VALUES, max_size=4))
def test_never_raises(kind: list[str], body: dict[Any, Any]) -> None:
    api_version, name = kind
    doc = {**body, "apiVersion": api_version, "kind": "K8sX" if name == "*" else name}
    for problem in validate_manifest(doc):
        assert isinstance(problem.message, str)
        assert isinstance(problem.path, tuple)
