"""Errors of the build: every one is a RenderError with file and line; the CLI exits 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.errors import RenderError
from gitopspol.render import build
from tests.conftest import build_file_tree

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n"


def _error(root: Path) -> RenderError:
    with pytest.raises(RenderError) as info:
        build(root)
    return info.value


@pytest.mark.parametrize(
    ("files", "line", "text"),
    [
        (
            {
                "app/kustomization.yaml": "resources:\n- cm.yaml\n- ../outside.yaml\n",
                "app/cm.yaml": CM,
                "outside.yaml": CM,
            },
            3,
            "not in or below",
        ),
        (
            {"kustomization.yaml": "resources:\n- https://github.com/org/repo//base?ref=v1\n"},
            2,
            "never reaches the network",
        ),
        (
            {"kustomization.yaml": "resources:\n- github.com/org/repo/base?ref=main\n"},
            2,
            "never reaches the network",
        ),
        (
            {"kustomization.yaml": "resources:\n- cm.yaml\n- missing.yaml\n", "cm.yaml": CM},
            3,
            "no such file",
        ),
        (
            {
                "kustomization.yaml": "resources:\n- cm.yaml\nhelmCharts:\n- name: x\n",
                "cm.yaml": CM,
            },
            3,
            "helm",
        ),
        ({"kustomization.yaml": "resources:\n- /etc/hostname\n"}, 2, "absolute path"),
        ({"kustomization.yaml": "resource:\n- cm.yaml\n", "cm.yaml": CM}, 1, "unknown field"),
        (
            {
                "kustomization.yaml": "resources:\n- cm.yaml\npatches:\n- path: nope.yaml\n",
                "cm.yaml": CM,
            },
            4,
            "no such file",
        ),
    ],
)
def test_errors_name_file_and_line(
    tmp_path: Path, files: dict[str, str], line: int, text: str
) -> None:
    build_file_tree(tmp_path, files)
    target = tmp_path / "app" if "app/kustomization.yaml" in files else tmp_path
    err = _error(target)
    assert text in err.message
    assert err.file is not None
    assert err.file.endswith("kustomization.yaml")
    assert err.line == line


def test_symlink_escape_is_refused(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path, {"secret.yaml": CM, "app/kustomization.yaml": "resources:\n- link.yaml\n"}
    )
    os.symlink(tmp_path / "secret.yaml", tmp_path / "app" / "link.yaml")
    err = _error(tmp_path / "app")
    assert "not in or below" in err.message
    assert err.line == 2


def test_cycle_is_detected(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "a/kustomization.yaml": "resources:\n- ../b\n",
            "b/kustomization.yaml": "resources:\n- ../a\n",
        },
    )
    err = _error(tmp_path / "a")
    assert "cycle" in err.message
    assert err.file is not None


def test_invalid_yaml_names_the_resource_file(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path, {"kustomization.yaml": "resources:\n- bad.yaml\n", "bad.yaml": "a: [1,\n"}
    )
    err = _error(tmp_path)
    assert err.file is not None
    assert err.file.endswith("bad.yaml")
    assert err.line is not None


def test_cli_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_file_tree(tmp_path, {"kustomization.yaml": "resources:\n- ../../etc/passwd\n"})
    assert main(["render", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'kustomization.yaml'}:2: ")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_renders_and_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_file_tree(
        tmp_path,
        {"kustomization.yaml": "commonLabels:\n  a: b\nresources:\n- cm.yaml\n", "cm.yaml": CM},
    )
    assert main(["render", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "name: cm" in captured.out
    assert "a: b" in captured.out
    assert captured.err.startswith("# Warning: 'commonLabels' is deprecated.")


@pytest.mark.parametrize(
    "text", ["namespace: n\n", "commonLabels:\n  a: yes\n", "commonAnnotations:\n  on: x\n"]
)
def test_yaml11_booleans_in_a_kustomization_are_errors(tmp_path: Path, text: str) -> None:
    build_file_tree(
        tmp_path, {"kustomization.yaml": text + "resources:\n- cm.yaml\n", "cm.yaml": CM}
    )
    err = _error(tmp_path)
    assert "YAML 1.1" in err.message
    assert err.line == text.count("\n")


def test_quoted_yaml11_booleans_are_fine(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "kustomization.yaml": "namespace: 'n'\ncommonLabels:\n  a: \"yes\"\nresources:\n- cm.yaml\n",
            "cm.yaml": CM,
        },
    )
    [cm] = build(tmp_path)
    assert cm.namespace == "n"
    assert cm.data["metadata"]["labels"] == {"a": "yes"}
