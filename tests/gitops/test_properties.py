"""Properties of ``plan_apps`` over arbitrary fleets: deterministic, complete, unambiguous."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitopspol.gitops import MARKER, plan_apps
from gitopspol.repo import Cluster, load_repository
from gitopspol.yamlio import load_all
from tests.conftest import build_file_tree

CONFIG = """\
apiVersion: gitopspol.io/v1alpha1
kind: PolicyRepository
name: fleet
engines: [kyverno, gatekeeper, psa, kubewarden]
gitops: both
repoURL: https://git.example.com/fleet.git
tiers:
- name: sbx
- name: prd
"""

NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
FLEETS = st.lists(
    st.tuples(NAMES, st.sampled_from(["sbx", "prd"]), st.booleans()),
    max_size=12,
    unique_by=lambda c: c[0],
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fleet=FLEETS)
def test_any_fleet(tmp_path: Path, fleet: list[tuple[str, str, bool]]) -> None:
    build_file_tree(tmp_path, {"gitopspol.yaml": CONFIG})
    clusters = tuple(
        Cluster(name, tier, f"https://{name}.example:6443" if server else None)
        for name, tier, server in fleet
    )
    repo = dataclasses.replace(load_repository(tmp_path), clusters=clusters)
    plan = plan_apps(repo)
    assert [(f.path, f.text) for f in plan.files] == [
        (f.path, f.text) for f in plan_apps(repo).files
    ]
    paths = [f.path for f in plan.files]
    assert paths == sorted(set(paths))
    selected: dict[str, str] = {}
    for file in plan.files:
        assert file.text.startswith(MARKER + "\n")
        assert load_all(file.text) == list(file.documents)
        for doc in file.documents:
            if doc["kind"] == "ApplicationSet":
                tier = doc["spec"]["template"]["spec"]["source"]["path"].rsplit("/", 1)[1]
                for name in doc["spec"]["generators"][0]["selector"]["matchExpressions"][0][
                    "values"
                ]:
                    assert name not in selected
                    selected[name] = tier
            if doc["kind"] == "Application":
                name = doc["metadata"]["name"].removeprefix("policies-")
                assert name not in selected
                selected[name] = doc["spec"]["source"]["path"].rsplit("/", 1)[1]
    # Argo CD: every cluster gets exactly its tier, once.
    assert selected == {c.name: c.tier for c in clusters}
    # Flux: a folder per cluster, applying its tier.
    for cluster in clusters:
        (kustomizations,) = [
            f for f in plan.files if f.path == f"clusters/flux/{cluster.name}/kustomizations.yaml"
        ]
        assert {d["spec"]["path"] for d in kustomizations.documents} == {
            f"./environments/{cluster.tier}"
        }
