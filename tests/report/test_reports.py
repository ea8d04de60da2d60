"""Reporters: golden files for every format, SARIF and JUnit validated against their schemas."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from gitopspol.checks import get_rule, list_rules
from gitopspol.errors import GitopspolError
from gitopspol.findings import Finding, Location, Severity
from gitopspol.report import (
    FORMATS,
    JSON_SCHEMA_VERSION,
    Summary,
    fails,
    fingerprints,
    github_report,
    render_report,
    rules_text,
    text_report,
)
from gitopspol.report.github import escape_data, escape_property
from tests.conftest import need_shared

GOLDEN = Path(__file__).parent / "golden"
ROOT = "/srv/policies"
# The GP3xx rules only, so rules added elsewhere do not change these golden files.
SUMMARY = Summary(
    tiers=("sbx", "prd"),
    rules=tuple(get_rule(rule_id).info for rule_id in ("GP301", "GP302", "GP303")),
    documents=42,
    root=ROOT,
    duration=1.25,
    timestamp="2026-01-02T03:04:05",
    hostname="ci-runner",
    tool_version="0.1.0",
)
FINDINGS = [
    Finding(
        "GP301",
        Severity.ERROR,
        'spec.validationFailureActon: unknown field "validationFailureActon"',
        Location(f"{ROOT}/policies/kyverno/require-labels.yaml", 6, 3),
        tier="prd",
        resource="ClusterPolicy/require-labels",
    ),
    Finding(
        "GP303",
        Severity.ERROR,
        "spec.parameters.repos: must be of type array, not string",
        Location("environments/prd/patches/allowed-repos.yaml", 9),
        tier="prd",
        resource="K8sAllowedRepos/repo-is-openpolicyagent",
    ),
    Finding(
        "GP302",
        Severity.WARNING,
        "no schema for example.com/v1 Widget: not validated (give its CRD with --crd)",
        Location("policies/extra/widget.yaml", 2),
        tier="sbx",
        resource="Widget/w",
    ),
    Finding(
        "GP301",
        Severity.ERROR,
        'odd text: 100% sure, a:b <x> & "q"\nsecond line ü',
        Location("policies/odd name,1.yaml", 1),
        tier="sbx",
        resource="ConfigMap/default/odd",
    ),
    Finding("GP101", Severity.INFO, "tier order: sbx < prd", None),
]
CASES = {
    "text": ("report.txt", {}),
    "text-color": ("report-color.txt", {"color": True}),
    "json": ("report.json", {}),
    "sarif": ("report.sarif", {}),
    "junit": ("report.junit.xml", {}),
    "github": ("report.github.txt", {}),
}


def _render(case: str, findings: list[Finding]) -> str:
    fmt = case.split("-")[0]
    return render_report(fmt, findings, SUMMARY, **CASES[case][1])  # type: ignore[arg-type]


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("GITOPSPOL_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path} differs: run `make golden`"


@pytest.mark.parametrize("case", sorted(CASES))
def test_report_golden(case: str) -> None:
    _golden(CASES[case][0], _render(case, FINDINGS))


@pytest.mark.parametrize("case", ["text", "json", "sarif", "junit"])
def test_empty_report_golden(case: str) -> None:
    name = "empty." + CASES[case][0].split(".", 1)[1]
    _golden(name, _render(case, []))


def test_formats_are_the_cli_choices() -> None:
    assert FORMATS == ("text", "json", "sarif", "junit", "github")
    with pytest.raises(GitopspolError, match="unknown report format"):
        render_report("yaml", FINDINGS, SUMMARY)


def test_text_colour_only_when_asked() -> None:
    assert "\033[" not in text_report(FINDINGS, SUMMARY)
    assert "\033[31m" in text_report(FINDINGS, SUMMARY, color=True)
    assert text_report([], SUMMARY).endswith(
        "no problems found; checked 42 documents in 2 tiers (sbx, prd)\n"
    )


def test_text_counts_line() -> None:
    last = text_report(FINDINGS, SUMMARY).splitlines()[-1]
    assert (
        last == "3 errors, 1 warning, 1 info in 4 files; checked 42 documents in 2 tiers (sbx, prd)"
    )


def test_json_report_fields() -> None:
    document = json.loads(render_report("json", FINDINGS, SUMMARY))
    assert document["schema_version"] == JSON_SCHEMA_VERSION == 1
    assert document["summary"] == {
        "total": 5,
        "info": 1,
        "warning": 1,
        "error": 3,
        "documents": 42,
        "tiers": ["sbx", "prd"],
    }
    first = document["findings"][0]
    assert first["file"] is None  # findings without a location come first
    located = [f for f in document["findings"] if f["rule_id"] == "GP301" and f["line"] == 6]
    assert located[0]["file"] == "policies/kyverno/require-labels.yaml"


def test_json_report_matches_its_published_schema() -> None:
    from importlib import resources

    schema = json.loads((resources.files("gitopspol.report") / "report.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for findings in (FINDINGS, []):
        document = json.loads(render_report("json", findings, SUMMARY))
        assert [error.message for error in validator.iter_errors(document)] == []


def test_fails() -> None:
    assert fails(FINDINGS, Severity.ERROR)
    assert fails(FINDINGS[2:3], Severity.WARNING)
    assert not fails(FINDINGS[2:3], Severity.ERROR)
    assert not fails([], Severity.INFO)


def test_sarif_validates_against_the_sarif_schema() -> None:
    schema = json.loads(need_shared("schemas", "sarif", "sarif-schema-2.1.0.json").read_text())
    validator = jsonschema.Draft4Validator(schema)
    for findings in (FINDINGS, []):
        log = json.loads(render_report("sarif", findings, SUMMARY))
        errors = [error.message for error in validator.iter_errors(log)]
        assert errors == []
    log = json.loads(render_report("sarif", FINDINGS, SUMMARY))
    run = log["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rule_ids[:3] == ["GP301", "GP302", "GP303"]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
    by_rule = {r["ruleId"]: r for r in run["results"] if r["ruleId"] == "GP303"}
    physical = by_rule["GP303"]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "environments/prd/patches/allowed-repos.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert physical["region"] == {"startLine": 9}
    kyverno = next(r for r in run["results"] if r["message"]["text"].startswith("spec.validation"))
    assert kyverno["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 6,
        "startColumn": 3,
    }
    assert kyverno["level"] == "error"


def test_sarif_describes_every_registered_rule_by_default() -> None:
    log = json.loads(render_report("sarif", [], Summary()))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [info.id for info in list_rules()]


def test_fingerprints_are_stable_and_unique() -> None:
    moved = [
        Finding(
            f.rule_id,
            f.severity,
            f.message,
            Location(f.location.file, f.location.line + 10),
            f.tier,
            f.resource,
        )
        if f.location
        else f
        for f in FINDINGS
    ]
    assert fingerprints(FINDINGS, ROOT) == fingerprints(moved, ROOT)
    twice = fingerprints([FINDINGS[0], FINDINGS[0]], ROOT)
    assert twice[1] == twice[0] + ":2"
    assert len(set(fingerprints(FINDINGS, ROOT))) == len(FINDINGS)


@pytest.mark.parametrize("xsd", ["JUnit.xsd", "junit-10.xsd"])
def test_junit_validates_against_the_junit_schemas(xsd: str) -> None:
    schema = xmlschema.XMLSchema(str(need_shared("schemas", "junit", xsd)))
    for findings in (FINDINGS, []):
        text = render_report("junit", findings, SUMMARY)
        errors = [str(error.reason) for error in schema.iter_errors(text)]
        assert errors == [], text


def test_junit_counts() -> None:
    from xml.etree import ElementTree

    root = ElementTree.fromstring(render_report("junit", FINDINGS, SUMMARY))
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert list(suites) == ["sbx", "prd", "repository"]
    assert suites["prd"].get("failures") == "2"
    # prd: GP301 and GP303 failed once each; GP302 passed.
    assert suites["prd"].get("tests") == "3"
    assert [case.get("name") for case in suites["sbx"].iter("testcase")] == [
        "GP301 ConfigMap/default/odd",
        "GP302 Widget/w",
        "GP303 constraint-parameters",
    ]


def test_github_escaping() -> None:
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    lines = github_report(FINDINGS, SUMMARY).splitlines()
    assert lines[0] == "::notice title=GP101::tier order: sbx < prd"
    assert (
        "::error file=policies/kyverno/require-labels.yaml,line=6,col=3,title=GP301 [prd]::"
        'spec.validationFailureActon: unknown field "validationFailureActon" (ClusterPolicy/require-labels)'
    ) in lines
    assert all("\n" not in line for line in lines)
    assert github_report([], SUMMARY) == ""


def test_rules_text() -> None:
    lines = rules_text(list_rules()).splitlines()
    assert len(lines) == len(list_rules())
    schema = next(line for line in lines if line.startswith("GP301"))
    assert schema.startswith("GP301  error    schema-violation")
    assert schema.endswith("A rendered manifest breaks the schema of its kind.")
