"""The bad-input catalogue: every entry under ``tests/bad-input/`` gives its exact error.

Each entry is a folder holding the input files and ``case.yaml``:

* ``argv``: the gitopspol command line, run with the entry's folder as the current folder;
* ``exit``: the expected exit code (2 for input errors; 1 where the CLI contract reports the
  problem as a failed result, e.g. a policy that cannot be evaluated inside a ``verify`` suite);
* ``stderr``: the exact stderr (one ``error: <file>:<line>: <what>`` line, or empty);
* ``stdout`` (optional): the exact stdout; ``stdout_contains`` (optional): lines it must hold
  (for reports whose layout belongs to another test);
* ``setup`` (optional): inputs the runner makes instead of committing them (a 50 MB file, a
  symlink out of the tree, a repository made by ``gitopspol init`` under the entry's files);
* ``absent`` (optional): paths that must not exist afterwards (nothing written, nothing run).

The entry is copied to a temporary folder first, so a command that writes cannot change the
repository; absolute paths of that folder are printed relative to it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitopspol import yamlio
from gitopspol.cli.main import main
from tests.conftest import ROOT

CATALOGUE = ROOT / "tests" / "bad-input"
ENTRIES = sorted(p.name for p in CATALOGUE.iterdir() if (p / "case.yaml").is_file())


def _big_file(work: Path) -> None:
    """A 50 MB file (sparse: it is refused by its size before a byte is read)."""
    with (work / "big.yaml").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)


def _symlink_passwd(work: Path) -> None:
    (work / "evil.yaml").symlink_to("/etc/passwd")


def _symlink_loop(work: Path) -> None:
    (work / "loop").symlink_to("loop")


def _chain_300(work: Path) -> None:
    """300 kustomizations ``k0`` -> ``k1`` -> ... -> ``k299``, a ConfigMap in the last."""
    for i in range(300):
        folder = work / f"k{i}"
        folder.mkdir()
        entry = "cm.yaml" if i == 299 else f"../k{i + 1}"
        (folder / "kustomization.yaml").write_text(f"resources:\n- {entry}\n")
    (work / "k299" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
    )


def _doubling_40(work: Path) -> None:
    """``l0`` .. ``l39``, each including the next twice through ``a/`` and ``b/``."""
    for i in range(40):
        (work / f"l{i}").mkdir()
        if i == 39:
            (work / "l39" / "kustomization.yaml").write_text("resources:\n- cm.yaml\n")
            (work / "l39" / "cm.yaml").write_text(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
            )
            continue
        (work / f"l{i}" / "kustomization.yaml").write_text("resources:\n- a\n- b\n")
        for part in "ab":
            (work / f"l{i}" / part).mkdir()
            (work / f"l{i}" / part / "kustomization.yaml").write_text(
                f"namePrefix: {part}-\nresources:\n- ../../l{i + 1}\n"
            )


def _init_repo(work: Path) -> None:
    """A repository made by ``gitopspol init`` in ``repo/``, the entry's ``repo/`` files on top."""
    repo = work / "repo"
    extra = work.parent / f"{work.name}-repo-files"
    if repo.exists():
        repo.rename(extra)
    assert main(["init", str(repo), "--defaults"]) == 0
    if extra.exists():
        shutil.copytree(extra, repo, dirs_exist_ok=True)
        shutil.rmtree(extra)


SETUPS: dict[str, Callable[[Path], None]] = {
    "big-file": _big_file,
    "symlink-passwd": _symlink_passwd,
    "symlink-loop": _symlink_loop,
    "init-repo": _init_repo,
    "chain-300": _chain_300,
    "doubling-40": _doubling_40,
}


def _relative(text: str, work: Path) -> str:
    return text.replace(f"{work}/", "").replace(str(work), ".")


def test_catalogue_is_complete() -> None:
    # The list of hostile inputs; an entry that disappears fails here.
    assert len(ENTRIES) == 48
    for prefix in ("yaml-", "render-", "verify-", "config-", "init-", "repo-"):
        assert any(name.startswith(prefix) for name in ENTRIES), prefix


@pytest.mark.parametrize("name", ENTRIES)
def test_entry(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case: dict[str, Any] = yamlio.load_file(CATALOGUE / name / "case.yaml")
    work = tmp_path / name
    shutil.copytree(CATALOGUE / name, work, symlinks=True)
    (work / "case.yaml").unlink()
    if "setup" in case:
        SETUPS[case["setup"]](work)
        capsys.readouterr()
    monkeypatch.chdir(work)
    code = main([str(arg) for arg in case["argv"]])
    out, err = capsys.readouterr()
    expected_err = case["stderr"] + "\n" if case["stderr"] else ""
    assert (code, _relative(err, work)) == (case["exit"], expected_err)
    if "stdout" in case:
        assert _relative(out, work) == case["stdout"]
    for part in case.get("stdout_contains", []):
        assert part in _relative(out, work)
    for path in [*case.get("absent", []), "pwned"]:
        assert not (work / path).exists(), path


def test_argument_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Python decodes such argv bytes to lone surrogates ("surrogateescape").
    dest = tmp_path / "dest"
    argv = ["init", str(dest), "--data", b"repo_name=\xff".decode("utf-8", "surrogateescape")]
    assert main(argv) == 2
    assert (
        capsys.readouterr().err == "error: --data repo_name:1: not valid UTF-8 (a lone surrogate)\n"
    )
    assert not dest.exists()
