"""Round-trip editing: only the fields a staged change touched are rewritten."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitopspol import yamlio
from gitopspol.errors import ConfigError, InputError
from gitopspol.promote import commit_message, parse_duration
from gitopspol.promote.documents import edit_document, split_documents
from gitopspol.promote.model import Action, Plan, PolicyPlan

CONSTRAINT = """\
# Allowed registries (a comment that must survive).
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sAllowedRepos
metadata:
  name: allowed-repos  # trailing comment
spec:
  enforcementAction: 'deny'
  match:
    kinds:
    - apiGroups: [""]
      kinds: [Pod]
  parameters:
    # the list promotion edits
    repos: ["open-policy-agent", "ubuntu"]
    exempt: [a, b]
"""


def test_edit_keeps_untouched_lines_and_styles() -> None:
    old = yamlio.load(CONSTRAINT)
    new = yamlio.load(CONSTRAINT)
    new["spec"]["parameters"]["repos"].append("gcr.io/distroless")
    del new["spec"]["parameters"]["exempt"]
    new["spec"]["parameters"]["labels"] = {"team": "platform"}
    edited = edit_document(CONSTRAINT, old, new, "c.yaml")
    assert yamlio.load(edited) == new
    assert edited == CONSTRAINT.replace(
        '    repos: ["open-policy-agent", "ubuntu"]\n    exempt: [a, b]\n',
        '    repos: ["open-policy-agent", "ubuntu", "gcr.io/distroless"]\n'
        "    labels:\n      team: platform\n",
    )


def test_edit_replaces_scalars_in_their_quoting() -> None:
    old = yamlio.load(CONSTRAINT)
    new = yamlio.load(CONSTRAINT)
    new["spec"]["enforcementAction"] = "warn"
    new["spec"]["match"]["kinds"][0]["kinds"] = ["Pod", "Deployment"]
    edited = edit_document(CONSTRAINT, old, new, "c.yaml")
    assert "  enforcementAction: 'warn'\n" in edited
    assert "      kinds: [Pod, Deployment]\n" in edited
    assert "  name: allowed-repos  # trailing comment\n" in edited


def test_unchanged_document_is_byte_identical() -> None:
    data = yamlio.load(CONSTRAINT)
    assert edit_document("---\n" + CONSTRAINT, data, data, "c.yaml") == "---\n" + CONSTRAINT


def test_split_documents() -> None:
    text = "# preamble\n---\na: 1\n---\n# second\nb: 2\n"
    docs = split_documents(text, "x.yaml")
    assert docs.preamble == "# preamble\n"
    assert docs.chunks == ("---\na: 1\n", "---\n# second\nb: 2\n")
    assert docs.lines == (2, 4)
    assert docs.text({1}) == "# preamble\n---\n# second\nb: 2\n"
    assert docs.text() == text
    first = split_documents("# head\na: 1\n---\nb: 2\n", "y.yaml")
    assert first.preamble == ""
    assert first.chunks == ("# head\na: 1\n", "---\nb: 2\n")
    with pytest.raises(InputError, match="invalid YAML"):
        split_documents("a: 1\n...\nb: 2\n", "z.yaml")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400), ("3d", 259200), ("1d12h", 129600), ("90m", 5400), ("2w", 1209600)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "3", "3 days", "h", "-1d", "1.5h"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ConfigError, match="invalid duration"):
        parse_duration(text)


def test_commit_message_trailers() -> None:
    plan = Plan(
        "sbx",
        "prd",
        (
            PolicyPlan("K8sAllowedRepos/allowed-repos", Action.CHANGE, (), ()),
            PolicyPlan("ClusterPolicy/require-image-tag", Action.ADD, (), ()),
            PolicyPlan("ClusterPolicy/other", Action.ADD, (), ()),
        ),
        ("K8sAllowedRepos/allowed-repos", "ClusterPolicy/require-image-tag"),
    )
    assert commit_message(plan, "abc123") == (
        "Promote 2 policies from sbx to prd\n\n"
        "- change K8sAllowedRepos/allowed-repos\n"
        "- add ClusterPolicy/require-image-tag\n\n"
        "Promoted-From: sbx\n"
        "Promoted-To: prd\n"
        "Source-Commit: abc123\n"
        "Policy: K8sAllowedRepos/allowed-repos\n"
        "Policy: ClusterPolicy/require-image-tag\n"
    )


_KEYS = st.from_regex(r"[a-z][a-zA-Z0-9_.-]{0,8}", fullmatch=True)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
    # Strings go-yaml v3 (kustomize) would read as something else unless quoted.
    st.sampled_from(["yes", "0b101", "1_000", "0755", "0x1F", "2001-12-14", "~", "1e3", "a: b"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=12,
)
_DOCS = st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(_DOCS, _DOCS)
def test_edit_reaches_any_new_value(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Whatever the staged change, the edited document loads (as kustomize reads it) to
    exactly the new data."""
    text = yamlio.dump(old)
    edited = edit_document(text, old, new, "x.yaml")
    assert yamlio.load(edited) == new
