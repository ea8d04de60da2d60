"""``gitopspol build TIER``: the pure-Python render of a tier equals ``kubectl kustomize``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.repo.scaffold import init_repository
from tests.conftest import need_kubectl


@pytest.fixture
def repo(default_repo: Path) -> Path:
    return default_repo


@pytest.mark.kubectl
@pytest.mark.parametrize("tier", ["sbx", "prd"])
def test_build_is_byte_identical_to_kubectl(
    repo: Path, tier: str, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = subprocess.run(
        [need_kubectl(), "kustomize", str(repo / "environments" / tier)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert main(["build", tier, "-C", str(repo)]) == 0
    assert capsys.readouterr().out == expected


def test_build_writes_file_atomically(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "prd.yaml"
    assert main(["build", "prd", "-C", str(repo), "-o", str(out)]) == 0
    text = out.read_text()
    assert "enforcementAction: deny" in text
    assert "failureAction: Enforce" in text
    assert [p.name for p in out.parent.iterdir()] == ["prd.yaml"]


def test_build_unknown_tier(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "stg", "-C", str(repo)]) == 2
    assert capsys.readouterr().err == (
        f"error: {repo / 'gitopspol.yaml'}: unknown tier 'stg' (tiers: sbx, prd)\n"
    )


def test_build_tier_without_overlay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = init_repository(tmp_path / "r").root
    config = root / "gitopspol.yaml"
    config.write_text(
        config.read_text().replace(
            '- name: "prd"', '- name: "stg"\n  profile: "sbx"\n  rank: 15\n- name: "prd"'
        )
    )
    assert main(["build", "stg", "-C", str(root)]) == 2
    assert (
        "tier 'stg' has no overlay environments/stg/kustomization.yaml" in capsys.readouterr().err
    )


def test_build_output_not_writable(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = blocker / "prd.yaml"  # a folder that is a file
    assert main(["build", "prd", "-C", str(repo), "-o", str(target)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {target}: cannot write: ")
