"""``gitopspol check``: manifests of an application team against one tier."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from tests.conftest import build_file_tree

GOOD = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: web
        image: ubuntu/nginx:1.0
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
"""
BAD = """# a comment first
apiVersion: v1
kind: Pod
metadata: {name: breakout}
spec:
  hostPID: true
  containers:
  - name: c
    image: lol
    securityContext: {privileged: true}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path / "app",
        {
            "good.yaml": GOOD,
            "bad.yaml": BAD,
            "overlay/kustomization.yaml": "resources: [web.yaml]\nnamespace: prd\n",
            "overlay/web.yaml": GOOD,
        },
    )


def test_compliant_is_admitted(
    pristine_repo: Path, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["check", "prd", str(app / "good.yaml"), "-C", str(pristine_repo), "-n", "prd"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert out.splitlines()[0].endswith("good.yaml:1: Deployment/web: admitted")
    assert out.splitlines()[-1] == (
        "1 objects in prd: 1 admitted, 0 admitted with warnings, 0 denied"
    )


def test_kustomization_folder_is_rendered(
    pristine_repo: Path, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "prd", str(app / "overlay"), "-C", str(pristine_repo)]) == 0
    assert "Deployment/prd/web: admitted" in capsys.readouterr().out


def test_non_compliant_is_denied_with_actionable_messages(
    pristine_repo: Path, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["check", "prd", str(app / "bad.yaml"), "-C", str(pristine_repo), "-n", "sbx"])
    out = capsys.readouterr().out
    assert rc == 1
    lines = out.splitlines()
    assert lines[0].endswith("bad.yaml:2: Pod/breakout: denied")
    assert any(
        "deny   psa:pod-security/enforce:" in line and "securityContext.privileged=true" in line
        for line in lines
    )
    assert any(
        "kyverno:restrict-image-registries" in line and "/spec/containers/0/image" in line
        for line in lines
    )
    assert any("gatekeeper:K8sAllowedRepos/allowed-repos" in line for line in lines)
    assert any(line.endswith("bad.yaml:12: ConfigMap/settings: admitted") for line in lines)


def test_sbx_admits_with_warnings(
    pristine_repo: Path, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["check", "sbx", str(app / "bad.yaml"), "-C", str(pristine_repo), "-n", "sbx"])
    assert rc == 0
    assert "Pod/breakout: admitted with warnings" in capsys.readouterr().out


def test_json_sarif_junit(
    pristine_repo: Path, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "check",
        "prd",
        str(app / "bad.yaml"),
        str(app / "good.yaml"),
        "-C",
        str(pristine_repo),
        "-n",
        "prd",
    ]
    assert main([*args, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_version"] == 1
    assert [o["answer"] for o in doc["objects"]] == ["denied", "admitted", "admitted"]
    assert doc["summary"] == {"objects": 3, "denied": 1}

    assert main([*args, "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"GP410", "GP411"}
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] == 2 for r in results)
    from jsonschema import Draft7Validator

    from tests.conftest import SHARED

    schemas = sorted((SHARED / "schemas" / "sarif").glob("*.json"))
    if schemas:
        Draft7Validator(json.loads(schemas[0].read_text())).validate(sarif)

    assert main([*args, "--format", "junit"]) == 1
    suite = ET.fromstring(capsys.readouterr().out).find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("prd", "3", "1")


def test_bad_input_exits_2(
    pristine_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "prd", str(tmp_path / "missing.yaml"), "-C", str(pristine_repo)]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    broken = build_file_tree(tmp_path, {"x.yaml": "a: [\n"}) / "x.yaml"
    assert main(["check", "prd", str(broken), "-C", str(pristine_repo)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {broken}:")
    notk8s = build_file_tree(tmp_path, {"y.yaml": "- 1\n"}) / "y.yaml"
    assert main(["check", "prd", str(notk8s), "-C", str(pristine_repo)]) == 2
    assert "expected a Kubernetes object" in capsys.readouterr().err
    labels = (
        build_file_tree(
            tmp_path,
            {"z.yaml": "# c\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: [x]}\n"},
        )
        / "z.yaml"
    )
    assert main(["check", "prd", str(labels), "-C", str(pristine_repo)]) == 2
    assert "z.yaml:3: not a valid Kubernetes object: metadata.labels" in capsys.readouterr().err
