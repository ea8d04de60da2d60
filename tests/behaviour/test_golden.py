"""Golden files of the ``test`` and ``check`` reports on the default repository.

Regenerate with ``make golden`` (``GITOPSPOL_REGEN_GOLDEN=1``) and read the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from tests.behaviour.test_check import BAD

GOLDEN = Path(__file__).parent / "golden"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("GITOPSPOL_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path} differs: run `make golden`"


@pytest.mark.parametrize(
    ("fmt", "name"), [("text", "test.txt"), ("json", "test.json"), ("junit", "test.xml")]
)
def test_test_golden(
    pristine_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    name: str,
) -> None:
    monkeypatch.chdir(pristine_repo)
    assert main(["test", "--format", fmt, "--agreement"]) == 0
    _golden(name, capsys.readouterr().out)


@pytest.mark.parametrize(("fmt", "name"), [("text", "check.txt"), ("json", "check.json")])
def test_check_golden(
    pristine_repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    name: str,
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bad.yaml").write_text(BAD)
    shutil.copytree(pristine_repo, tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "prd", "app", "-C", "repo", "-n", "prd", "--format", fmt]) == 1
    _golden(name, capsys.readouterr().out)


@pytest.mark.parametrize("xsd", ["JUnit.xsd", "junit-10.xsd"])
def test_junit_reports_validate(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], xsd: str
) -> None:
    import xmlschema

    from tests.conftest import need_shared

    schema = xmlschema.XMLSchema(str(need_shared("schemas", "junit", xsd)))
    prd = repo / "environments" / "prd" / "kustomization.yaml"
    prd.write_text(prd.read_text().replace('value: "deny"', 'value: "warn"'))
    (repo / "tests" / "sbx-only.yaml").write_text(
        "apiVersion: gitopspol.io/v1alpha1\nkind: BehaviourCase\nmetadata: {name: sbx-only}\n"
        "resources: [{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}]\n"
        "expect: {sbx: allow}\n"
    )
    assert main(["test", "-C", str(repo), "--format", "junit"]) == 1  # failures and a skip
    text = capsys.readouterr().out
    assert "<failure" in text
    assert "<skipped" in text
    schema.validate(text)
    (tmp_path / "bad.yaml").write_text(BAD)
    assert (
        main(
            [
                "check",
                "prd",
                str(tmp_path / "bad.yaml"),
                "-C",
                str(repo),
                "-n",
                "prd",
                "--format",
                "junit",
            ]
        )
        == 1
    )
    schema.validate(capsys.readouterr().out)
