"""Behaviour case files: the scaffold's cases load; format errors point at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopspol.errors import ConfigError
from gitopspol.repo import load_repository
from gitopspol.repo.cases import load_case_file, load_cases, strongest
from tests.conftest import build_file_tree

CASE = """\
apiVersion: gitopspol.io/v1alpha1
kind: BehaviourCase
metadata:
  name: privileged
namespace: apps
resources:
- apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    containers:
    - {name: c, image: ubuntu, securityContext: {privileged: true}}
- apiVersion: v1
  kind: Namespace
  metadata:
    name: apps
expect:
  sbx: warn
  prd: deny
"""

CONFIG = "apiVersion: gitopspol.io/v1alpha1\nkind: PolicyRepository\nname: p\nengines: [psa]\ntiers: [{name: sbx}, {name: prd}]\n"


def test_namespace_applies_to_namespaced_objects_only(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"c.yaml": CASE})
    (case,) = load_case_file(tmp_path / "c.yaml")
    pod, namespace = case.objects()
    assert pod["metadata"]["namespace"] == "apps"
    assert "namespace" not in namespace["metadata"]


def test_strongest_verdict() -> None:
    assert strongest(["allow", "deny", "warn"]) == "deny"
    assert strongest(["allow", "warn"]) == "warn"
    assert strongest([]) == "allow"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "  prd: deny",
            "  prd: block",
            20,
            "expect.prd: 'block' is not one of ['allow', 'warn', 'deny']",
        ),
        ("  prd: deny", "  qa: deny", 20, "expect.qa: unknown tier 'qa' (tiers: sbx, prd)"),
        ("kind: BehaviourCase", "kind: Case", 2, "kind: 'BehaviourCase' was expected"),
        ("namespace: apps\n", "namespace: Apps\n", 5, "namespace: 'Apps' is not a DNS-1123 label"),
        (
            "    name: p\n",
            "    nom: p\n",
            10,
            "resources[0].metadata: 'name' is a required property",
        ),
    ],
)
def test_errors_point_at_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in CASE
    build_file_tree(tmp_path, {"gitopspol.yaml": CONFIG, "tests/c.yaml": CASE.replace(old, new)})
    with pytest.raises(ConfigError) as info:
        load_cases(load_repository(tmp_path))
    assert info.value.file == str(tmp_path / "tests" / "c.yaml")
    assert message in info.value.message
    assert info.value.line == line


def test_duplicate_case_names(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {"gitopspol.yaml": CONFIG, "tests/a.yaml": CASE, "tests/b/c.yml": "---\n" + CASE},
    )
    with pytest.raises(ConfigError, match="duplicate case name 'privileged'") as info:
        load_cases(load_repository(tmp_path))
    assert info.value.file == str(tmp_path / "tests" / "b" / "c.yml")
    assert info.value.line == 2
