"""Three tiers: every adjacent pair is compared; only the strictest tier must match the base."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.repo.scaffold import init_repository


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("three") / "r"
    return init_repository(root, {"tiers": ["dev", "stg", "prd"]}).root


def _findings(root: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    main(["validate", "-C", str(root), "--format", "json"])
    findings: list[dict[str, object]] = json.loads(capsys.readouterr().out)["findings"]
    return findings


def test_three_tiers_validate_clean(three: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-C", str(three)]) == 0
    assert "in 3 tiers (dev, stg, prd)" in capsys.readouterr().out


def test_pairs_and_staging(three: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(shutil.copytree(three, tmp_path / "r"))
    stg = root / "environments" / "stg" / "kustomization.yaml"
    # A registry staged in dev and stg: lower tiers may stage changes (no GP108), stg is no
    # wider than dev, and prd (without it) is narrower than stg.
    patch = (
        "- target:\n    kind: K8sAllowedRepos\n  patch: |-\n"
        "    - op: add\n      path: /spec/parameters/repos/-\n      value: ghcr.io/acme/\n"
    )
    for tier in ("dev", "stg"):
        path = root / "environments" / tier / "kustomization.yaml"
        path.write_text(path.read_text() + patch)
    assert main(["validate", "-C", str(root)]) == 0
    capsys.readouterr()
    # Now stg excludes a namespace dev does not: weaker than dev, reported in stg only.
    stg.write_text(
        stg.read_text() + "- target:\n    kind: K8sPSSBaseline\n  patch: |-\n"
        "    - op: add\n      path: /spec/match/excludedNamespaces\n      value: [legacy]\n"
    )
    found = _findings(root, capsys)
    assert [(f["rule_id"], f["tier"], f["file"]) for f in found] == [
        ("GP204", "stg", "environments/stg/kustomization.yaml")
    ]
    assert "weaker in stg than in dev" in str(found[0]["message"])
