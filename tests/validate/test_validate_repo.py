"""``gitopspol validate`` end to end on a fresh ``gitopspol init --defaults`` repository.

A clean repository passes; each edit a reviewer must not miss makes validate exit 1 with
the right rule id at the file and line of the edit.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.validate import validate_repository

PRD = "environments/prd/kustomization.yaml"


def _replace(root: Path, rel: str, old: str, new: str, count: int = 1) -> int:
    """Replace the first ``count`` occurrences; return the 1-based line of the first edit."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def _append(root: Path, rel: str, text: str) -> int:
    """Append ``text``; return the 1-based line where it starts."""
    path = root / rel
    before = path.read_text(encoding="utf-8")
    path.write_text(before + text, encoding="utf-8")
    return before.count("\n") + 1


def _line_of(root: Path, rel: str, needle: str) -> int:
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


@pytest.fixture
def repo(default_repo: Path, tmp_path: Path) -> Path:
    """A private copy of the shared default repository (tests may edit it)."""
    return Path(shutil.copytree(default_repo, tmp_path / "repo"))


def _located(root: Path, capsys: pytest.CaptureFixture[str]) -> set[tuple[str, str, int]]:
    """Run the CLI with --format json; ``(rule, file, line)`` of every finding (exit 1)."""
    assert main(["validate", "-C", str(root), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    return {(f["rule_id"], f["file"], f["line"]) for f in report["findings"]}


def test_fresh_repository_validates(default_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-C", str(default_repo)]) == 0
    out = capsys.readouterr().out
    assert out == "no problems found; checked 16 documents in 2 tiers (sbx, prd)\n"
    result = validate_repository(default_repo)
    assert result.findings == ()
    assert result.summary.tiers == ("sbx", "prd")
    assert {info.id for info in result.summary.rules} >= {"GP101", "GP207", "GP301"}


def test_prd_kyverno_rule_switched_to_audit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _line_of(repo, PRD, 'value: "Enforce"')
    _replace(repo, PRD, 'value: "Enforce"', 'value: "Audit"')
    found = _located(repo, capsys)
    # sbx audits too, so prd is no weaker than sbx: it is weaker than its own profile,
    # and the behaviour cases that expect prd to deny now fail.
    assert ("GP109", PRD, line) in found
    assert {rule for rule, _, _ in found} == {"GP109", "GP403"}
    assert ("GP403", "tests/container-breakout.yaml", 4) in found


def test_prd_kyverno_weaker_than_sbx(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # sbx enforces one policy; prd (Audit by a hand edit) is now weaker than the tier below.
    sbx = "environments/sbx/kustomization.yaml"
    _replace(repo, sbx, 'value: "Audit"', 'value: "Enforce"')
    line = _line_of(repo, PRD, 'value: "Enforce"')
    _replace(repo, PRD, 'value: "Enforce"', 'value: "Audit"')
    found = _located(repo, capsys)
    assert ("GP201", PRD, line) in found


def test_prd_constraint_switched_to_dryrun(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _line_of(repo, PRD, 'value: "deny"')
    _replace(repo, PRD, 'value: "deny"', 'value: "dryrun"')
    found = _located(repo, capsys)
    assert ("GP203", PRD, line) in found
    assert ("GP109", PRD, line) in found


def test_prd_psa_lowered(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # prd enforces restricted (sbx: privileged); audit is restricted in both tiers. The issue's
    # edit: prd's enforce lowered to baseline.
    enforce = _line_of(repo, PRD, 'value: "restricted"')
    _replace(repo, PRD, 'value: "restricted"', 'value: "baseline"')
    audit = _line_of(repo, PRD, "path: /metadata/labels/pod-security.kubernetes.io~1audit") + 1
    _replace(repo, PRD, 'audit\n      value: "restricted"', 'audit\n      value: "baseline"')
    found = _located(repo, capsys)
    assert ("GP109", PRD, enforce) in found  # lower than prd's profile
    assert ("GP206", PRD, audit) in found  # lower than sbx


def test_registry_added_to_prd_allow_list(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = _append(
        repo,
        PRD,
        "- target:\n    kind: K8sAllowedRepos\n  patch: |-\n"
        "    - op: add\n      path: /spec/parameters/repos/-\n      value: docker.io\n",
    )
    found = _located(repo, capsys)
    assert ("GP205", PRD, start + 5) in found
    assert ("GP108", PRD, start + 5) in found


def test_registry_added_to_prd_kyverno_pattern(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = _append(
        repo,
        PRD,
        "- target:\n    kind: ClusterPolicy\n    name: restrict-image-registries\n  patch: |-\n"
        "    - op: replace\n      path: /spec/rules/0/validate/pattern/spec/containers/0/image\n"
        '      value: "open-policy-agent* | ubuntu* | docker.io/*"\n',
    )
    found = _located(repo, capsys)
    assert ("GP205", PRD, start + 6) in found


def test_excluded_namespace_added_in_prd(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = _append(
        repo,
        PRD,
        "- target:\n    kind: K8sPSSBaseline\n  patch: |-\n"
        "    - op: add\n      path: /spec/match/excludedNamespaces\n      value: [payments]\n"
        "- target:\n    kind: ClusterPolicy\n    name: pod-security-baseline\n  patch: |-\n"
        "    - op: add\n      path: /spec/rules/0/exclude\n"
        "      value: {any: [{resources: {namespaces: [payments]}}]}\n",
    )
    found = _located(repo, capsys)
    assert ("GP204", PRD, start + 5) in found
    assert ("GP204", PRD, start + 12) in found


def test_policy_deleted_from_prd(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = _append(
        repo,
        PRD,
        "- patch: |-\n    $patch: delete\n    apiVersion: kyverno.io/v1\n"
        "    kind: ClusterPolicy\n    metadata:\n      name: pod-security-baseline\n",
    )
    found = _located(repo, capsys)
    assert ("GP207", PRD, start + 1) in found
    # The container-breakout case shows the same weakening behaviourally.
    assert ("GP401", "tests/container-breakout.yaml", 4) in found


def test_waived_policy_deletion(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _append(
        repo,
        PRD,
        "- patch: |-\n    $patch: delete\n    apiVersion: kyverno.io/v1\n"
        "    kind: ClusterPolicy\n    metadata:\n      name: pod-security-baseline\n",
    )
    _replace(
        repo,
        "gitopspol.yaml",
        "waivers: []",
        "waivers:\n- {policy: pod-security-baseline, tier: prd, reason: PSA covers it,"
        " expires: 2999-01-01}",
    )
    assert main(["validate", "-C", str(repo)]) == 0
    capsys.readouterr()
    line = _replace(repo, "gitopspol.yaml", "2999-01-01", "2020-01-01")
    found = _located(repo, capsys)
    assert {rule for rule, _, _ in found} == {"GP110", "GP207", "GP401"}
    assert ("GP110", "gitopspol.yaml", line) in found


def test_typo_in_cluster_policy(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rel = "policies/kyverno/restrict-image-registries.yaml"
    line = _replace(repo, rel, "  background: true", "  backgrond: true")
    found = _located(repo, capsys)
    assert found == {("GP301", rel, line)}


def test_constraint_parameter_of_wrong_type(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rel = "policies/gatekeeper/constraints/allowed-repos.yaml"
    line = _replace(repo, rel, 'repos: ["open-policy-agent", "ubuntu"]', 'repos: "ubuntu"')
    found = _located(repo, capsys)
    assert ("GP303", rel, line) in found
    # The behaviour cases cannot run with parameters the template refuses (no file).
    assert {rule for rule, _, _ in found} == {"GP303", "GP403"}


def test_patch_whose_target_does_not_exist(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = _append(
        repo,
        PRD,
        "- target:\n    kind: ClusterPolicy\n    name: restrict-image-registry\n  patch: |-\n"
        "    - op: add\n      path: /metadata/labels\n      value: {team: platform}\n",
    )
    found = _located(repo, capsys)
    assert found == {("GP103", PRD, start)}


def test_render_error_is_a_finding(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _replace(repo, PRD, "- ../../policies", "- ../../policies\n- missing.yaml") + 1
    found = _located(repo, capsys)
    rules = {rule for rule, _, _ in found}
    assert rules == {"GP101"}
    assert {(file, n) for _, file, n in found} == {(PRD, line)}


def test_fail_on_warning_and_formats(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A message changed only in prd's overlay: drift from the base (a GP108 warning).
    start = _append(
        repo,
        PRD,
        "- target:\n    kind: ClusterPolicy\n    name: restrict-image-registries\n"
        "  patch: |-\n    - op: replace\n      path: /spec/rules/0/validate/message\n"
        "      value: Use a trusted registry.\n",
    )
    assert main(["validate", "-C", str(repo)]) == 0
    out = capsys.readouterr().out
    assert f"  {start + 6:<8} warning GP108" in out
    assert main(["validate", "-C", str(repo), "--fail-on", "warning"]) == 1
    capsys.readouterr()
    for fmt, marker in (
        ("sarif", '"version": "2.1.0"'),
        ("junit", "<testsuites"),
        ("github", f"::warning file=environments/prd/kustomization.yaml,line={start + 6}"),
    ):
        assert main(["validate", "-C", str(repo), "--format", fmt]) == 0
        assert marker in capsys.readouterr().out


def test_github_actions_adds_annotations_to_text(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _replace(repo, "policies/kyverno/restrict-image-registries.yaml", "background:", "backgrond:")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["validate", "-C", str(repo)]) == 1
    out = capsys.readouterr().out
    assert "error   GP301" in out
    assert "::error file=policies/kyverno/restrict-image-registries.yaml,line=13" in out


def test_list_rules_and_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--list-rules"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("GP101  error    tier-render-error")
    assert "GP207" in out
    assert "GP301" in out
    assert main(["validate", "-C", str(tmp_path)]) == 2
    assert "not a gitopspol policy repository" in capsys.readouterr().err


def test_crd_option(default_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-C", str(default_repo), "--crd", str(tmp_path / "nope")]) == 2
    assert "error:" in capsys.readouterr().err


def test_progress_bar_only_on_a_terminal(default_repo: Path) -> None:
    import io

    from gitopspol.cli.commands.validate import ProgressBar

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    steps: list[tuple[int, int, str]] = []
    validate_repository(default_repo, progress=lambda *step: steps.append(step))
    assert steps[0][::2] == (0, "render")
    assert steps[-1][0] == steps[-1][1]
    assert [s[0] for s in steps] == list(range(len(steps)))
    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = ProgressBar(stream)
        bar.started -= 1  # the run has taken a while
        bar.update(3, 10, "GP201")
        bar.close()
    assert "validating [#########---------------------] 3/10 GP201" in tty.getvalue()
    assert tty.getvalue().endswith("\r")
    assert pipe.getvalue() == ""


def test_broken_base_file_is_one_finding(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rel = "policies/kyverno/pod-security-baseline.yaml"
    line = _append(repo, rel, "kind: [\n")
    assert main(["validate", "-C", str(repo), "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["rule_id"], f["file"]) for f in findings] == [("GP101", rel)]
    assert findings[0]["line"] in (line, line + 1)
    assert findings[0]["message"].startswith("the base (policies/), sbx and prd do not render")


def test_tier_without_overlay(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stg = '- name: "stg"\n  profile: sbx\n  rank: 15\n- name: "prd"'
    line = _replace(repo, "gitopspol.yaml", '- name: "prd"', stg)
    found = _located(repo, capsys)
    assert found == {("GP101", "gitopspol.yaml", line)}


def test_registry_added_to_prd_validating_policy(
    vpol_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Path(shutil.copytree(vpol_repo, tmp_path / "repo"))
    assert main(["validate", "-C", str(repo)]) == 0
    capsys.readouterr()
    start = _append(
        repo,
        PRD,
        "- target:\n    kind: ValidatingPolicy\n    name: restrict-image-registries\n"
        "  patch: |-\n    - op: replace\n      path: /spec/variables/0/expression\n"
        """      value: '["open-policy-agent", "ubuntu", "docker.io/"]'\n""",
    )
    found = _located(repo, capsys)
    assert ("GP205", PRD, start + 6) in found


def test_policies_without_kustomization_is_no_base(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each tier lists its own copies of the policy files: policies/ is no kustomization, so
    # there is no base to compare with, and no error about it.
    base = repo / "policies"
    files = sorted(p.relative_to(base) for p in base.rglob("*.yaml") if p.parent != base)
    for tier in ("sbx", "prd"):
        overlay = repo / "environments" / tier
        shutil.copytree(base, overlay / "p")
        (overlay / "p" / "kustomization.yaml").unlink()
        listed = "\n".join(f"- p/{f.as_posix()}" for f in files)
        _replace(repo, f"environments/{tier}/kustomization.yaml", "- ../../policies", listed)
    (base / "kustomization.yaml").unlink()
    assert main(["validate", "-C", str(repo)]) == 0, capsys.readouterr().out
