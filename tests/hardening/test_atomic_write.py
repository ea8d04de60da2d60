"""Writes are atomic: an interrupted write leaves the previous content and no temporary file."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitopspol import fsutil
from gitopspol.cli.main import main


def _fail(exc: BaseException) -> Callable[..., Any]:
    def raiser(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return raiser


@pytest.mark.parametrize(
    ("function", "exc"),
    [
        ("replace", OSError(28, "No space left on device")),
        ("fsync", OSError(5, "Input/output error")),
        ("replace", KeyboardInterrupt()),
        ("chmod", PermissionError(1, "Operation not permitted")),
    ],
)
def test_interrupted_write_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, function: str, exc: BaseException
) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("old: content\n", encoding="utf-8")
    monkeypatch.setattr(fsutil.os, function, _fail(exc))
    with pytest.raises(type(exc)):
        fsutil.atomic_write(target, "new: content\n" * 10_000)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old: content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]


def test_interrupted_first_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fsutil.os, "replace", _fail(OSError(28, "No space left on device")))
    with pytest.raises(OSError, match="No space left"):
        fsutil.atomic_write(tmp_path / "new.yaml", b"data")
    assert list(tmp_path.iterdir()) == []


def test_write_replaces_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o750)
    fsutil.atomic_write(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    fsutil.atomic_write(tmp_path / "sub" / "fresh.txt", "x", mode=0o600)
    assert stat.S_IMODE((tmp_path / "sub" / "fresh.txt").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["script.sh", "sub"]


def test_build_output_interrupted_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["init", str(repo), "--defaults"]) == 0
    out = tmp_path / "rendered" / "prd.yaml"
    assert main(["build", "prd", "-C", str(repo), "-o", str(out)]) == 0
    good = out.read_text(encoding="utf-8")
    assert "kind: ClusterPolicy" in good
    out.write_text("# the previous build\n", encoding="utf-8")
    capsys.readouterr()
    monkeypatch.setattr(os, "replace", _fail(OSError(28, "No space left on device")))
    assert main(["build", "prd", "-C", str(repo), "-o", str(out)]) == 2
    monkeypatch.undo()
    assert capsys.readouterr().err == f"error: {out}: cannot write: No space left on device\n"
    assert out.read_text(encoding="utf-8") == "# the previous build\n"
    assert [p.name for p in out.parent.iterdir()] == ["prd.yaml"]


def test_init_interrupted_leaves_no_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # init renders into a staging folder and renames it into place: stop it at the rename.
    dest = tmp_path / "new" / "repo"
    monkeypatch.setattr(os, "replace", _fail(KeyboardInterrupt()))
    assert main(["init", str(dest), "--defaults"]) == 130
    monkeypatch.undo()
    assert capsys.readouterr().err == "error: interrupted\n"
    assert list(tmp_path.iterdir()) == []


def test_apps_interrupted_leaves_whole_files_and_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    assert main(["init", str(repo), "--defaults"]) == 0
    assert main(["apps", "-C", str(repo)]) == 0
    clusters = repo / "clusters"
    before = {p: p.read_bytes() for p in clusters.rglob("*") if p.is_file()}
    assert len(before) >= 3
    config = repo / "gitopspol.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "repoURL: https://example.com/policies.git\n",
        encoding="utf-8",
    )
    real_replace = os.replace
    calls: list[str] = []

    def replace_once(src: str, dst: Any) -> None:
        # The first file is written, the second write is interrupted.
        calls.append(str(dst))
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_once)
    assert main(["apps", "-C", str(repo)]) == 130
    monkeypatch.undo()
    capsys.readouterr()
    after = {p: p.read_bytes() for p in clusters.rglob("*") if p.is_file()}
    assert set(after) == set(before), "no temporary file left, no file lost"
    changed = [p for p in before if after[p] != before[p]]
    assert [str(p) for p in changed] == calls[:1]
    assert b"https://example.com/policies.git" in after[changed[0]]
    # Running the command again completes the update.
    assert main(["apps", "-C", str(repo)]) == 0
    final = {p: p.read_bytes() for p in clusters.rglob("*") if p.is_file()}
    assert all(b"https://example.com/policies.git" in final[p] for p in changed)
    assert main(["apps", "-C", str(repo)]) == 0
    assert "0 written" in capsys.readouterr().out
