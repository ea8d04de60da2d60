"""``verify`` reads only below the folder it is given, and refuses a folder with no suite.

The Kyverno CLI and gator read any path a suite names (absolute, ``../``, symlinks); a
failing result can quote values of the file read. gitopspol refuses, before running the
suite, any named file that resolves outside the command-line folder (exit 2, one line
naming the suite file and line). The corpus runs keep their pinned totals
(``tests/engines/*/test_conformance.py``: their ``../`` paths stay inside the corpus).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopspol.cli.main import main
from tests.conftest import build_file_tree

POLICY = """apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-team
spec:
  rules:
  - name: team
    match:
      any:
      - resources:
          kinds: [ConfigMap]
    validate:
      failureAction: Enforce
      pattern:
        metadata:
          labels:
            team: "?*"
"""
RESOURCE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels:\n    team: a\n"


def _test(policies: str, resources: str = "resource.yaml") -> str:
    return (
        "apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata:\n  name: t\n"
        f"policies:\n- {policies}\nresources:\n- {resources}\n"
        "results:\n- policy: require-team\n  rule: team\n  kind: ConfigMap\n"
        "  resources: [cm]\n  result: pass\n"
    )


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["verify", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_parent_path_inside_the_folder_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The usual layout: .kyverno-test/kyverno-test.yaml names ../policy.yaml.
    build_file_tree(
        tmp_path,
        {
            "policy.yaml": POLICY,
            ".kyverno-test/resource.yaml": RESOURCE,
            ".kyverno-test/kyverno-test.yaml": _test("../policy.yaml"),
        },
    )
    assert _verify(capsys, str(tmp_path)) == (0, "1 passed, 0 failed\n", "")


def test_file_argument_confines_to_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_file_tree(
        tmp_path,
        {
            "policy.yaml": POLICY,
            ".kyverno-test/resource.yaml": RESOURCE,
            ".kyverno-test/kyverno-test.yaml": _test("../policy.yaml"),
        },
    )
    suite = tmp_path / ".kyverno-test" / "kyverno-test.yaml"
    code, out, err = _verify(capsys, str(suite))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {suite}:6: security: '../policy.yaml' resolves outside {suite.parent}: "
        "verify reads only files in or below the folder it is given\n"
    )


def test_symlink_in_a_named_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = build_file_tree(tmp_path / "secret", {"token.yaml": RESOURCE}) / "token.yaml"
    root = build_file_tree(
        tmp_path / "suites",
        {"kyverno-test.yaml": _test("policies"), "policies/p.yaml": POLICY},
    )
    (root / "resource.yaml").write_text(RESOURCE)
    (root / "policies" / "link.yaml").symlink_to(secret)
    code, _, err = _verify(capsys, str(root))
    assert code == 2
    assert err.startswith(
        f"error: {root}/kyverno-test.yaml:6: security: 'policies (through link.yaml)' resolves"
    )


def test_absolute_path_in_a_gator_inventory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = (
        "apiVersion: test.gatekeeper.sh/v1alpha1\nkind: Suite\ntests:\n- name: t\n"
        "  template: template.yaml\n  constraint: constraint.yaml\n  cases:\n"
        "  - name: c\n    object: pod.yaml\n    inventory:\n    - ok.yaml\n    - /etc/hostname\n"
        "    assertions:\n    - violations: no\n"
    )
    root = build_file_tree(tmp_path, {"suite.yaml": suite})
    code, _, err = _verify(capsys, str(root))
    assert code == 2
    assert err.startswith(f"error: {root}/suite.yaml:12: security: '/etc/hostname' resolves")


def test_folder_without_suites_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_file_tree(tmp_path, {"policies/p.yaml": POLICY, "with/kyverno-test.yaml": _test("x")})
    empty = tmp_path / "policies"
    code, out, err = _verify(capsys, str(tmp_path / "with"), str(empty))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {empty}: no kyverno-test.yaml or gator Suite file found (nothing to verify)\n"
    )
