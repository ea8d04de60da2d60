"""``make demo`` runs to the end: the repository is created and every command is tried."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import demo


@pytest.mark.slow
def test_demo_runs_to_the_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "demo"
    assert demo.main([str(dest)]) == 0
    out = capsys.readouterr().out
    assert "created policy repository 'policy-repo'" in out
    assert (
        "ClusterPolicy/pod-security-baseline: spec.rules[0].validate.failureAction: Audit -> Enforce"
        in out
    )
    # The behaviour matrix of `gitopspol test`: the breakout pod is denied in prd by every engine.
    assert any(
        line.strip().startswith("container-breakout ") and "deny (psa, kyverno, gatekeeper)" in line
        for line in out.splitlines()
    )
    assert out.rstrip().endswith(f"done: the policy repository is in {dest}")
    assert "internal error" not in out
    # A previous demo is recreated.
    demo.recreate(dest)
    assert not dest.exists()


def test_demo_refuses_to_delete_other_folders(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(SystemExit, match="is not a previous demo"):
        demo.main([str(tmp_path)])
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
