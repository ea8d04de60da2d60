"""``gitopspol stage``: what it writes is what ``promote`` picks up."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.promote.stage import json_patch
from gitopspol.render import build
from tests.promote.conftest import git
from tests.promote.helpers import NEW_POLICY, commit_all, renders, snapshot


def stage(root: Path, *args: str) -> int:
    return main(["stage", "sbx", "-C", str(root), *args])


def test_stage_then_promote(repo: Path, tmp_path: Path) -> None:
    kust = repo / "environments/sbx/kustomization.yaml"
    original = kust.read_text()
    new = tmp_path / "require-image-tag.yaml"
    new.write_text(NEW_POLICY)
    edited = tmp_path / "allowed-repos.yaml"
    base = (repo / "policies/gatekeeper/constraints/allowed-repos.yaml").read_text()
    edited.write_text(base.replace('"ubuntu"]', '"ubuntu", "gcr.io/distroless"]'))
    before = renders(repo)
    assert stage(repo, "--add", str(new), "--edit", str(edited)) == 0
    assert stage(repo, "--remove", "ClusterPolicy/pod-security-baseline") == 0
    staged = kust.read_text()
    # Existing lines keep their bytes; the entries go at the end of each list.
    changes = difflib.SequenceMatcher(None, original.splitlines(), staged.splitlines())
    assert {op for op, *_ in changes.get_opcodes()} == {"equal", "insert"}
    assert "- ../../policies\n- require-image-tag.yaml\n" in staged
    assert "      path: /spec/parameters/repos/-\n" in staged
    assert "    $patch: delete\n" in staged
    assert (repo / "environments/sbx/require-image-tag.yaml").read_text() == NEW_POLICY
    after = renders(repo)
    assert after["prd"] == before["prd"]  # staging never changes the higher tier
    assert "gcr.io/distroless" in after["sbx"]
    commit_all(repo, "staged with gitopspol stage")
    assert main(["promote", "sbx", "prd", "-C", str(repo)]) == 0
    assert renders(repo)["sbx"] == after["sbx"]
    prd = {(r.kind, r.name): r.data for r in build(repo / "environments/prd")}
    assert ("ClusterPolicy", "pod-security-baseline") not in prd
    assert prd[("ClusterPolicy", "require-image-tag")]
    assert (
        "gcr.io/distroless"
        in prd[("K8sAllowedRepos", "allowed-repos")]["spec"]["parameters"]["repos"]
    )
    assert (repo / "environments/sbx/kustomization.yaml").read_text() == original


def test_stage_refusals(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(repo)
    assert stage(repo, "--remove", "ClusterPolicy/nope") == 2
    assert "sbx renders no policy 'ClusterPolicy/nope'" in capsys.readouterr().err
    same = tmp_path / "same.yaml"
    same.write_text((repo / "policies/kyverno/restrict-image-registries.yaml").read_text())
    assert stage(repo, "--edit", str(same)) == 2
    assert "nothing to stage" in capsys.readouterr().err
    assert main(["stage", "prd", "-C", str(repo), "--add", str(same)]) == 2
    assert "prd is the strictest tier" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: ConfigMap\n")  # no name: does not render
    assert stage(repo, "--add", str(broken)) == 2
    assert "the staged change does not render" in capsys.readouterr().err
    assert stage(repo) == 2
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_json_patch() -> None:
    old = {"a": 1, "b": {"c": [1, 2], "d": "x"}, "e/f": 0}
    new = {"a": 1, "b": {"c": [1, 3], "g": True}, "e/f": 1}
    assert json_patch(old, new) == [
        {"op": "remove", "path": "/b/d"},
        {"op": "replace", "path": "/b/c/1", "value": 3},
        {"op": "add", "path": "/b/g", "value": True},
        {"op": "replace", "path": "/e~1f", "value": 1},
    ]
    assert json_patch([1], [1, 2]) == [{"op": "add", "path": "/-", "value": 2}]
    assert json_patch([1, 2], [2]) == [{"op": "replace", "path": "", "value": [2]}]
