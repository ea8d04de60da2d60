"""``gitopspol psa``: the JSON contract, text lines, exit codes and input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from tests.conftest import build_file_tree

MANIFESTS = """\
apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: nginx
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          hostPID: true
          containers:
          - name: breakout
            image: lol
            securityContext:
              privileged: true
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["psa", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_follows_the_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_file_tree(tmp_path, {"m.yaml": MANIFESTS})
    path = str(tmp_path / "m.yaml")
    code, out, err = run(capsys, path, "--level", "baseline", "--format", "json")
    assert (code, err) == (1, "")
    assert json.loads(out) == [
        {"file": path, "kind": "Pod", "name": "good", "allowed": True, "violations": []},
        {
            "file": path,
            "kind": "CronJob",
            "name": "nightly",
            "allowed": False,
            "violations": [
                {
                    "check": "hostNamespaces",
                    "message": "host namespaces (hostPID=true)",
                    "fields": ["spec.jobTemplate.spec.template.spec.hostPID"],
                },
                {
                    "check": "privileged",
                    "message": 'privileged (container "breakout" must not set securityContext.privileged=true)',
                    "fields": [
                        "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"
                    ],
                },
            ],
        },
        {"file": path, "kind": "ConfigMap", "name": "settings", "allowed": True, "violations": []},
    ]


def test_text_output_one_line_per_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_file_tree(tmp_path, {"m.yaml": MANIFESTS})
    path = str(tmp_path / "m.yaml")
    code, out, _ = run(capsys, path, "--level", "restricted", "--version", "v1.25")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0] == f"{path}:1: Pod/good: allowed at restricted:v1.25"
    assert lines[1].startswith(
        f"{path}:16: CronJob/nightly: violates restricted:v1.25: [hostNamespaces] host namespaces (hostPID=true); [privileged] "
    )
    assert "[runAsNonRoot]" in lines[1]
    assert lines[2] == f"{path}:33: ConfigMap/settings: allowed (not a Pod or pod template)"


def test_exit_0_when_everything_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_file_tree(
        tmp_path,
        {"a.yaml": MANIFESTS.split("---")[0], "b.yaml": "kind: List\napiVersion: v1\nitems: []\n"},
    )
    code, out, _ = run(
        capsys,
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yaml"),
        "--level",
        "restricted",
        "--format",
        "json",
    )
    assert code == 0
    assert [e["name"] for e in json.loads(out)] == ["good"]


def test_list_items_are_expanded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {hostIPC: true}}\n- {apiVersion: v1, kind: Pod, metadata: {name: b}}\n"
    build_file_tree(tmp_path, {"l.yaml": doc})
    code, out, _ = run(capsys, str(tmp_path / "l.yaml"), "--level", "baseline", "--format", "json")
    assert code == 1
    assert [(e["name"], e["allowed"]) for e in json.loads(out)] == [("a", False), ("b", True)]


@pytest.mark.parametrize("version", ["v2.0", "1.25", "v1.025"])
def test_bad_version_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str
) -> None:
    build_file_tree(tmp_path, {"m.yaml": MANIFESTS})
    code, out, err = run(
        capsys, str(tmp_path / "m.yaml"), "--level", "baseline", "--version", version
    )
    assert (code, out) == (2, "")
    assert err.startswith("error: invalid Pod Security version")
    assert len(err.splitlines()) == 1


def test_version_newer_than_known_is_latest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_file_tree(tmp_path, {"m.yaml": MANIFESTS})
    _, newest, _ = run(
        capsys,
        str(tmp_path / "m.yaml"),
        "--level",
        "restricted",
        "--version",
        "v1.99",
        "--format",
        "json",
    )
    _, latest, _ = run(
        capsys, str(tmp_path / "m.yaml"), "--level", "restricted", "--format", "json"
    )
    assert newest == latest


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("kind: Pod\n---\n- a list\n", ":3: expected a Kubernetes object"),
        ("kind: Pod\nkind: Pod\n", ":2: invalid YAML: duplicate key"),
    ],
)
def test_bad_input_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    build_file_tree(tmp_path, {"bad.yaml": content})
    code, out, err = run(capsys, str(tmp_path / "bad.yaml"), "--level", "baseline")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {tmp_path / 'bad.yaml'}{expected}")


def test_missing_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path / "nope.yaml"), "--level", "baseline")
    assert code == 2
    assert err == f"error: {tmp_path / 'nope.yaml'}: no such file\n"
