"""Scaffold 1.1.0 reaches existing repositories through ``gitopspol update``: the Argo CD sync
waves for a 1.0.0 repository, and a tier's ``kubewarden.mode`` override from gitopspol.yaml."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitopspol.repo import load_repository
from gitopspol.repo.build import render_tier
from gitopspol.repo.scaffold import init_repository, shipped_versions, update_repository
from gitopspol.yamlio import load_all

WAVE = "argocd.argoproj.io/sync-wave"


def _commit(repo: Path, message: str) -> None:
    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )


def test_update_from_1_0_0_adds_sync_waves(tmp_path: Path) -> None:
    old = [v for v in shipped_versions() if v.version == "1.0.0"]
    root = init_repository(tmp_path / "repo", versions=old).root
    assert not (root / "components").exists()
    _commit(root, "init")
    result = update_repository(root)
    assert (result.old_version, result.conflicts) == ("1.0.0", ())
    assert result.new_version == shipped_versions()[-1].version
    assert (root / "components" / "argocd-sync-waves" / "kustomization.yaml").is_file()
    docs = load_all(render_tier(load_repository(root), "prd"))
    waves = {d["kind"]: d["metadata"]["annotations"][WAVE] for d in docs}
    assert waves["ConstraintTemplate"] == "0"
    assert waves["K8sAllowedRepos"] == "10"
    assert waves["Namespace"] == "20"


def test_tier_kubewarden_mode_override_reaches_the_overlay(tmp_path: Path) -> None:
    engines = ["kyverno", "gatekeeper", "psa", "kubewarden"]
    root = init_repository(tmp_path / "repo", {"engines": engines}).root
    _commit(root, "init")

    def modes(tier: str) -> set[str]:
        docs = load_all(render_tier(load_repository(root), tier))
        return {d["spec"]["mode"] for d in docs if d["kind"] == "ClusterAdmissionPolicy"}

    assert modes("sbx") == {"monitor"}
    assert modes("prd") == {"protect"}
    config = root / "gitopspol.yaml"
    text = config.read_text()
    assert '- name: "sbx"\n  profile: "sbx"\n' in text
    config.write_text(
        text.replace(
            '- name: "sbx"\n  profile: "sbx"\n',
            '- name: "sbx"\n  profile: "sbx"\n  kubewarden: {mode: protect}\n',
        )
    )
    assert load_repository(root).tier("sbx").kubewarden_mode == "protect"
    _commit(root, "sbx protects")
    assert update_repository(root).conflicts == ()
    assert modes("sbx") == {"protect"}
