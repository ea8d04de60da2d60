"""The CLI contract: commands exist, errors are one line with exit 2, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gitopspol.cli.main import COMMANDS, main


def test_every_contract_command_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in [
        "init",
        "update",
        "render",
        "build",
        "validate",
        "diff",
        "test",
        "check",
        "verify",
        "psa",
        "promote",
        "apps",
    ]:
        assert name in COMMANDS
        assert f"    {name} " in out


def test_usage_error_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["psa", "x.yaml", "--level", "extreme"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert len(err.strip().splitlines()) == 1


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: gitopspol" in capsys.readouterr().out


def test_python_dash_m_works() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gitopspol", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("gitopspol ")


def test_verify_missing_path_is_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    assert main(["verify", str(missing)]) == 2
    assert capsys.readouterr().err == f"error: {missing}: no such file or folder\n"
