"""Conformance: the Kustomize differential corpus (../shared/corpus/kustomize).

Two paths over the same cases: the real ``check.py`` driving ``python -m gitopspol render``
(the issue's acceptance command), and a fast in-process loop that names the failing case.
Totals are pinned so a shrunken corpus fails instead of passing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitopspol.errors import RenderError
from gitopspol.render import Renderer
from tests.conftest import need_shared

pytestmark = pytest.mark.corpus

CASES = 150
OK_CASES = 118
ERROR_CASES = 32


def _cases() -> list[Path]:
    root = need_shared("corpus", "kustomize", "cases")
    return sorted(p for p in root.iterdir() if (p / "case.yaml").is_file())


def test_check_py_reports_every_case_passed() -> None:
    corpus = need_shared("corpus", "kustomize")
    proc = subprocess.run(
        [
            sys.executable,
            str(corpus / "check.py"),
            "--cases",
            str(corpus / "cases"),
            "-q",
            "--",
            sys.executable,
            "-m",
            "gitopspol",
            "render",
            "{dir}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    summary = re.search(r"(\d+) passed, (\d+) failed", proc.stdout)
    exact = re.search(r"byte-exact: (\d+)/(\d+) ok cases", proc.stdout)
    assert summary is not None, proc.stdout + proc.stderr
    assert exact is not None, proc.stdout
    passed, failed = int(summary[1]), int(summary[2])
    assert (passed, failed) == (CASES, 0), proc.stdout
    byte_exact, ok_total = int(exact[1]), int(exact[2])
    assert ok_total == OK_CASES
    assert byte_exact >= 0.95 * ok_total, proc.stdout
    assert proc.returncode == 0


def test_in_process_render_matches_every_case() -> None:
    cases = _cases()
    assert len(cases) == CASES
    expects = {"ok": 0, "error": 0}
    failures: list[str] = []
    for case in cases:
        meta = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
        expects[meta["expect"]] += 1
        target = case / "input" / meta["build"]
        try:
            out = Renderer().render(target)
        except RenderError as exc:
            if meta["expect"] != "error":
                failures.append(f"{case.name}: unexpected error {exc}")
            elif exc.file is None:
                failures.append(f"{case.name}: error without a file: {exc}")
            continue
        if meta["expect"] == "error":
            failures.append(f"{case.name}: expected an error, rendered {len(out)} bytes")
        elif out != (case / "expected.yaml").read_text(encoding="utf-8"):
            ours = list(yaml.safe_load_all(out))
            theirs = list(yaml.safe_load_all((case / "expected.yaml").read_text(encoding="utf-8")))
            if ours != theirs:
                failures.append(f"{case.name}: documents differ")
    assert expects == {"ok": OK_CASES, "error": ERROR_CASES}
    assert failures == []
