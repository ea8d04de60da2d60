"""A real failing validate run, reported as SARIF and JUnit, passes their schemas; --crd works."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from gitopspol.cli.main import main
from tests.conftest import need_shared


@pytest.fixture(scope="module")
def broken(default_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default repository with a typo, a weakened prd and a missing patch target."""
    root = Path(shutil.copytree(default_repo, tmp_path_factory.mktemp("broken") / "r"))
    policy = root / "policies/kyverno/restrict-image-registries.yaml"
    policy.write_text(policy.read_text().replace("  background: true", "  backgrond: true"))
    prd = root / "environments/prd/kustomization.yaml"
    prd.write_text(
        prd.read_text().replace('value: "deny"', 'value: "dryrun"')
        + "- target:\n    kind: ClusterPolicy\n    name: nope\n  patch: |-\n"
        "    - op: add\n      path: /metadata/labels\n      value: {a: b}\n"
    )
    return root


def _run(root: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["validate", "-C", str(root), "--format", fmt]) == 1
    return capsys.readouterr().out


def test_sarif_of_a_real_run(broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = json.loads(need_shared("schemas", "sarif", "sarif-schema-2.1.0.json").read_text())
    log = json.loads(_run(broken, "sarif", capsys))
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    rules = {r["ruleId"] for r in results}
    assert {"GP103", "GP109", "GP203", "GP301"} <= rules
    for result in results:
        if result["ruleId"] == "GP203":
            where = result["locations"][0]["physicalLocation"]
            assert where["artifactLocation"]["uri"] == "environments/prd/kustomization.yaml"
            assert where["region"]["startLine"] > 0


@pytest.mark.parametrize("xsd", ["JUnit.xsd", "junit-10.xsd"])
def test_junit_of_a_real_run(broken: Path, xsd: str, capsys: pytest.CaptureFixture[str]) -> None:
    schema = xmlschema.XMLSchema(str(need_shared("schemas", "junit", xsd)))
    text = _run(broken, "junit", capsys)
    schema.validate(text)
    assert "GP203" in text


def test_upstream_crds_raise_no_false_positives(
    default_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crds = need_shared("schemas", "crds")
    assert main(["validate", "-C", str(default_repo), "--crd", str(crds)]) == 0
    assert capsys.readouterr().out.startswith("no problems found")
