"""``gitopspol test`` on a default repository: the matrix, a weakened prd, and the reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gitopspol.behaviour.agreement import agreement
from gitopspol.behaviour.run import run_repository
from gitopspol.behaviour.strictness import behavioural_strictness, expectation_findings
from gitopspol.cli.main import main


def _weaken(repo: Path, old: str, new: str) -> None:
    """Replace one tier setting value in prd's overlay."""
    path = repo / "environments" / "prd" / "kustomization.yaml"
    text = path.read_text()
    assert f'value: "{old}"' in text
    path.write_text(text.replace(f'value: "{old}"', f'value: "{new}"'))


def test_default_repo_passes_with_breakout_denied_by_each_engine(
    pristine_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", "-C", str(pristine_repo)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("container-breakout "))
    assert row.split("  ")[-1].strip() == "deny (psa, kyverno, gatekeeper)"
    assert "warn (psa, gatekeeper)" in row
    assert out.rstrip().endswith("4 cases in 2 tiers: 8 expectations met, 0 failed")

    matrix = run_repository(pristine_repo)
    cell = matrix.cell("container-breakout", "prd")
    assert cell.admission.engines() == ("psa", "kyverno", "gatekeeper")
    deciding = {(r.engine, r.policy, r.rule) for r in cell.admission.deciding}
    assert ("psa", "pod-security", "enforce") in deciding
    assert ("kyverno", "pod-security-baseline", "baseline") in deciding
    assert ("gatekeeper", "K8sPSSBaseline/pod-security-baseline", "k8spssbaseline") in deciding
    assert matrix.cell("compliant-pod", "prd").admission.results  # evaluated, not skipped
    assert matrix.cell("compliant-pod", "prd").verdict.value == "allow"
    assert behavioural_strictness(matrix) == []
    assert expectation_findings(matrix) == []
    assert agreement(matrix) == []


@pytest.mark.parametrize(
    ("old", "new", "engine", "policy"),
    [
        ("deny", "dryrun", "gatekeeper", "gatekeeper:K8sPSSBaseline/pod-security-baseline"),
        ("Enforce", "Audit", "kyverno", "kyverno:pod-security-baseline"),
    ],
)
def test_one_engine_stops_denying_in_prd_fails_and_names_it(
    repo: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, engine: str, policy: str
) -> None:
    _weaken(repo, old, new)
    assert main(["test", "-C", str(repo)]) == 1
    out = capsys.readouterr().out
    failure = next(line for line in out.splitlines() if line.startswith("FAIL container-breakout"))
    assert "in tier prd" in failure
    assert f"{policy}: expected deny, got audit" in failure
    row = next(line for line in out.splitlines() if line.startswith("container-breakout "))
    assert engine not in row.split("deny (")[-1]  # no longer among prd's deciding engines
    assert row.endswith("FAIL")
    found = expectation_findings(run_repository(repo))
    assert {(f.rule_id, f.tier) for f in found} == {("GP403", "prd")}
    assert any(policy in f.message for f in found)


def test_strictness_reports_gatekeeper_dryrun_in_prd(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _weaken(repo, "deny", "dryrun")
    assert main(["test", "-C", str(repo), "--format", "json"]) == 1
    listed = json.loads(capsys.readouterr().out)["strictness"]
    assert {(f["rule_id"], f["tier"]) for f in listed} == {("GP401", "prd")}
    findings = behavioural_strictness(run_repository(repo))
    breakout = [f for f in findings if "container-breakout" in f.message]
    assert {f.rule_id for f in breakout} == {"GP401"}
    assert all(f.tier == "prd" for f in findings)
    assert any("K8sPSSBaseline/pod-security-baseline" in f.message for f in breakout)
    first = breakout[0]
    assert first.location is not None
    assert first.location.file.endswith("tests/container-breakout.yaml")
    assert first.location.line == 4
    assert first.resource == "Pod/sbx/breakout"


def test_strictness_reports_denial_lost_when_prd_stops_denying(repo: Path) -> None:
    # sbx enforces everything, prd nothing: whatever sbx denies prd lets through.
    sbx = repo / "environments" / "sbx" / "kustomization.yaml"
    prd = repo / "environments" / "prd" / "kustomization.yaml"
    sbx_text, prd_text = sbx.read_text(), prd.read_text()
    sbx.write_text(prd_text)
    prd.write_text(sbx_text)
    findings = behavioural_strictness(run_repository(repo))
    lost = [f for f in findings if f.rule_id == "GP402"]
    assert {f.message.split(":")[0] for f in lost} == {
        "case container-breakout",
        "case untrusted-registry",
    }
    assert "denied in sbx" in lost[0].message
    assert "warn in prd" in lost[0].message


def test_json_and_junit(pristine_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "-C", str(pristine_repo), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_version"] == 1
    assert doc["tiers"] == ["sbx", "prd"]
    assert doc["summary"] == {"cases": 4, "checked": 8, "passed": 8, "failed": 0}
    breakout = next(c for c in doc["cases"] if c["name"] == "container-breakout")
    assert breakout["tiers"]["prd"]["engines"] == ["psa", "kyverno", "gatekeeper"]
    assert breakout["tiers"]["sbx"]["verdict"] == "warn"
    assert doc["agreement"] == []

    assert main(["test", "-C", str(pristine_repo), "prd", "--format", "junit"]) == 0
    root = ET.fromstring(capsys.readouterr().out)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["prd"]
    assert suites[0].get("tests") == "4"
    assert suites[0].get("failures") == "0"


def test_junit_failure_names_policy(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _weaken(repo, "deny", "warn")
    assert main(["test", "-C", str(repo), "--format", "junit"]) == 1
    root = ET.fromstring(capsys.readouterr().out)
    prd = next(s for s in root.findall("testsuite") if s.get("name") == "prd")
    assert prd.get("failures") == "2"
    failure = prd.find("testcase[@name='container-breakout']/failure")
    assert failure is not None
    assert "gatekeeper:K8sAllowedRepos/allowed-repos: expected deny, got warn" in (
        failure.text or ""
    )


def test_unknown_tier_and_bad_case_are_input_errors(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", "-C", str(repo), "qa"]) == 2
    assert "unknown tier 'qa'" in capsys.readouterr().err
    (repo / "tests" / "broken.yaml").write_text(
        "apiVersion: gitopspol.io/v1alpha1\nkind: BehaviourCase\nmetadata: {name: b}\n"
        "resources: [{apiVersion: v1, kind: Pod, metadata: {name: p}}]\n"
        "expect: {prd: forbid}\n"
    )
    assert main(["test", "-C", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "broken.yaml:5: expect.prd" in err
