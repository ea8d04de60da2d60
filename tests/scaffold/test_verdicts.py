"""The scaffold's behaviour cases hold: ``gitopspol test`` (every engine, offline, on the
rendered tiers) meets the verdict each case expects, for the default scaffold, the
ValidatingPolicy flavour and custom tiers; in prd the breakout pod is denied by each engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitopspol.cli.main import main
from gitopspol.repo.scaffold import init_repository


def _test(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main(["test", "-C", str(root), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    failed = [
        (case["name"], tier, cell["mismatches"])
        for case in report["cases"]
        for tier, cell in case["tiers"].items()
        if not cell["ok"]
    ]
    assert failed == []
    assert code == 0
    assert len(report["cases"]) == 4
    return report


def _deciding(report: dict[str, Any], case: str, tier: str) -> tuple[str, set[str]]:
    (cell,) = [c["tiers"][tier] for c in report["cases"] if c["name"] == case]
    return cell["verdict"], set(cell["engines"])


def test_default_scaffold_cases_hold(
    default_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _test(default_repo, capsys)
    assert _deciding(report, "container-breakout", "prd") == (
        "deny",
        {"psa", "kyverno", "gatekeeper"},
    )
    assert _deciding(report, "container-breakout", "sbx")[0] == "warn"
    assert _deciding(report, "untrusted-registry", "prd") == ("deny", {"kyverno", "gatekeeper"})
    assert _deciding(report, "compliant-pod", "prd") == ("allow", set())


def test_validating_policy_scaffold_cases_hold(
    vpol_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _test(vpol_repo, capsys)
    verdict, engines = _deciding(report, "container-breakout", "prd")
    assert verdict == "deny"
    assert {"psa", "gatekeeper"} < engines
    assert len(engines) == 3  # and the ValidatingPolicy engine


@pytest.mark.parametrize("engines", [["psa"], ["gatekeeper"], ["kyverno", "psa"]])
def test_custom_tiers_cases_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engines: list[str]
) -> None:
    root = init_repository(
        tmp_path / "r",
        {"tiers": ["dev", "stg", "prd"], "engines": engines, "registries": ["ghcr.io/acme/"]},
    ).root
    report = _test(root, capsys)
    assert report["tiers"] == ["dev", "stg", "prd"]


@pytest.mark.parametrize("flavour", ["ClusterPolicy", "ValidatingPolicy"])
def test_scaffold_validates_clean(
    default_repo: Path, vpol_repo: Path, flavour: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = default_repo if flavour == "ClusterPolicy" else vpol_repo
    code = main(["validate", "-C", str(root)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("no problems found")
