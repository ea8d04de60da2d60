"""Kubewarden wired into validate (GP109, GP209) and gitopspol test, on scaffolded repositories.

One repository is scaffolded per module with every engine (``gitopspol init --data
engines=[...]``) and copied for each edit; the policy modules are WAT guests from
``tests/engines/kubewarden/guests.py`` (wasmtime compiles WebAssembly text directly).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gitopspol.cli.main import main
from tests.engines.kubewarden.guests import guest_wat

PRIVILEGED = "registry://ghcr.io/kubewarden/policies/pod-privileged:v1.0.2"
ENGINES = "engines=[kyverno, gatekeeper, psa, kubewarden]"
#: A guest rejecting any request whose JSON holds a privileged container.
PRIVILEGED_GUEST = guest_wat(
    reject_if=('"privileged":true', {"accepted": False, "message": "privileged container"})
)


def _init(root: Path, engines: str) -> Path:
    assert main(["init", str(root), "--defaults", "--data", engines]) == 0
    return root


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _init(tmp_path_factory.mktemp("kw") / "repo", ENGINES)


@pytest.fixture
def repo(scaffold: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(scaffold, tmp_path / "repo"))


def _json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    capsys.readouterr()
    code = main([*argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def _append(path: Path, text: str) -> int:
    """Append ``text`` to ``path``; the 1-based line number of its first line."""
    before = path.read_text()
    path.write_text(before + text)
    return before.count("\n") + 1


MONITOR_PATCH = """\
- target:
    group: policies.kubewarden.io
    kind: ClusterAdmissionPolicy
    name: privileged-pods
  patch: |-
    - op: replace
      path: /spec/mode
      value: monitor
"""


def test_scaffold_with_kubewarden_validates_clean(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (repo / "policies" / "kubewarden" / "privileged-pods.yaml").is_file()
    capsys.readouterr()
    assert main(["validate", "-C", str(repo)]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_prd_policy_switched_to_monitor(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prd = repo / "environments" / "prd" / "kustomization.yaml"
    first = _append(prd, MONITOR_PATCH)
    code, report = _json(["validate", "-C", str(repo)], capsys)
    assert code == 1
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    # sbx is monitor already (its profile): only the profile rule can see prd's weakening.
    assert [(f["rule_id"], f["tier"], f["file"], f["line"]) for f in errors] == [
        ("GP109", "prd", "environments/prd/kustomization.yaml", first + 7)
    ]
    assert errors[0]["message"] == (
        "ClusterAdmissionPolicy/privileged-pods: mode is monitor, "
        "weaker than tier prd's profile (protect)"
    )
    assert prd.read_text().splitlines()[first + 6].strip() == "value: monitor"
    capsys.readouterr()
    assert main(["validate", "-C", str(repo)]) == 1
    text = capsys.readouterr().out
    assert "environments/prd/kustomization.yaml\n" in text
    assert f"  {first + 7}       error   GP109  ClusterAdmissionPolicy/privileged-pods" in text


def test_gp209_sees_tier_pair_weakenings(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # sbx protects (stricter than its profile: allowed), prd monitors and trusts one more
    # registry: both weaker than sbx.
    sbx = repo / "environments" / "sbx" / "kustomization.yaml"
    sbx.write_text(sbx.read_text().replace('value: "monitor"', 'value: "protect"'))
    prd = repo / "environments" / "prd" / "kustomization.yaml"
    mode_at = _append(prd, MONITOR_PATCH) + 7
    allow_at = _append(
        prd,
        "- target:\n    kind: ClusterAdmissionPolicy\n    name: allowed-registries\n"
        "  patch: |-\n    - op: add\n      path: /spec/settings/registries/allow/-\n"
        "      value: quay.io\n",
    )
    code, report = _json(["validate", "-C", str(repo)], capsys)
    assert code == 1
    found = sorted(
        (f["rule_id"], f["line"], f["message"])
        for f in report["findings"]
        if f["rule_id"] == "GP209"
    )
    assert found == [
        (
            "GP209",
            mode_at,
            "ClusterAdmissionPolicy/privileged-pods: mode is weaker in prd than in sbx: "
            "protect -> monitor",
        ),
        (
            "GP209",
            allow_at + 6,
            "ClusterAdmissionPolicy/allowed-registries: settings.registries.allow is weaker "
            "in prd than in sbx: allow-list is larger: adds ['quay.io']",
        ),
    ]
    assert {f["file"] for f in report["findings"] if f["rule_id"] == "GP209"} == {
        "environments/prd/kustomization.yaml"
    }


def test_test_without_modules_reports_not_evaluated(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["test", "-C", str(repo)]) == 0
    text = capsys.readouterr().out
    assert "8 expectations met, 0 failed" in text
    assert (
        f"prd  -      kubewarden:privileged-pods: not evaluated: module not available offline: "
        f"{PRIVILEGED}" in text
    )
    assert "deny (psa, kyverno, gatekeeper); 3 not evaluated" in text
    code, report = _json(["test", "-C", str(repo)], capsys)
    assert code == 0
    for case in report["cases"]:
        for cell in case["tiers"].values():
            statuses = {r["status"] for r in cell["results"] if r["engine"] == "kubewarden"}
            assert statuses == {"not evaluated"}


def _map_module(repo: Path) -> None:
    (repo / "wasm").mkdir()
    (repo / "wasm" / "pod-privileged.wat").write_text(PRIVILEGED_GUEST)
    config = repo / "gitopspol.yaml"
    config.write_text(
        config.read_text() + f"kubewarden:\n  modules:\n    {PRIVILEGED}: wasm/pod-privileged.wat\n"
    )


def test_mapped_module_denies_the_breakout_pod_in_prd(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("wasmtime")
    _map_module(repo)
    code, report = _json(["test", "-C", str(repo)], capsys)
    assert code == 0, report["summary"]
    cases = {case["name"]: case["tiers"] for case in report["cases"]}

    def privileged(case: str, tier: str) -> dict[str, Any]:
        [result] = [
            r
            for r in cases[case][tier]["results"]
            if (r["engine"], r["policy"]) == ("kubewarden", "privileged-pods")
        ]
        return dict(result)

    prd = privileged("container-breakout", "prd")
    assert (prd["status"], prd["effect"]) == ("fail", "deny")
    assert prd["message"].startswith("privileged container")
    assert "kubewarden" in cases["container-breakout"]["prd"]["engines"]
    sbx = privileged("container-breakout", "sbx")  # monitor: only recorded
    assert (sbx["status"], sbx["effect"]) == ("fail", "audit")
    assert privileged("compliant-pod", "prd")["status"] == "pass"
    # validate's behaviour rules run the mapped module too: still clean.
    capsys.readouterr()
    assert main(["validate", "-C", str(repo)]) == 0


def test_unevaluated_policy_is_never_a_pass(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = repo / "tests" / "container-breakout.yaml"
    case.write_text(
        case.read_text().replace(
            "  prd: deny",
            "  prd:\n    verdict: deny\n    policies: {kubewarden:privileged-pods: deny}",
        )
    )
    capsys.readouterr()
    assert main(["test", "-C", str(repo)]) == 1
    text = capsys.readouterr().out
    assert "kubewarden:privileged-pods: expected deny, got not evaluated" in text


def test_only_kubewarden_deny_is_reported_as_not_evaluated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _init(tmp_path / "repo", "engines=[kubewarden]")
    case = repo / "tests" / "container-breakout.yaml"
    text = case.read_text()
    assert "  prd: allow" in text  # the scaffold cannot expect what it cannot evaluate
    case.write_text(text.replace("  prd: allow", "  prd: deny"))
    capsys.readouterr()
    assert main(["test", "-C", str(repo)]) == 1
    out = capsys.readouterr().out
    assert (
        "expected deny, got allow (not evaluated: kubewarden:allowed-registries, "
        "kubewarden:host-namespaces, kubewarden:privileged-pods)" in out
    )


def test_missing_module_file_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = repo / "gitopspol.yaml"
    line = _append(config, f"kubewarden:\n  modules:\n    {PRIVILEGED}: wasm/missing.wasm\n") + 2
    capsys.readouterr()
    assert main(["test", "-C", str(repo)]) == 2
    assert capsys.readouterr().err == (
        f"error: {config}:{line}: kubewarden.modules.{PRIVILEGED}: "
        "module file wasm/missing.wasm does not exist\n"
    )


def test_check_runs_the_mapped_module(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("wasmtime")
    _map_module(repo)
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: prd}\n"
        "spec:\n  containers:\n  - name: c\n    image: ubuntu\n"
        "    securityContext: {privileged: true}\n"
    )
    code, report = _json(["check", "-C", str(repo), "prd", str(pod)], capsys)
    assert code == 1
    results = [r for item in report["objects"] for r in item["policies"]]
    [kubewarden] = [r for r in results if r["engine"] == "kubewarden" and r["status"] == "fail"]
    assert (kubewarden["policy"], kubewarden["effect"]) == ("privileged-pods", "deny")


def test_agreement_counts_evaluated_kubewarden_policies_only(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["test", "-C", str(repo), "--agreement"]) == 0
    assert "policies of the same control agree on every case" in capsys.readouterr().out
    pytest.importorskip("wasmtime")
    # A trusted-repos module that accepts everything disagrees with Kyverno and Gatekeeper.
    (repo / "accept.wat").write_text(guest_wat())
    config = repo / "gitopspol.yaml"
    reference = "ghcr.io/kubewarden/policies/trusted-repos:v0.2.0"
    config.write_text(
        config.read_text() + f"kubewarden:\n  modules:\n    {reference}: accept.wat\n"
    )
    assert main(["test", "-C", str(repo), "--agreement"]) == 0
    assert (
        "[prd] untrusted-registry: control trusted-registries: violated by "
        "gatekeeper:K8sAllowedRepos/allowed-repos, kyverno:restrict-image-registries; "
        "passed by kubewarden:allowed-registries" in capsys.readouterr().out
    )


def test_check_lists_unevaluated_policies(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: prd}\n")
    capsys.readouterr()
    main(["check", "-C", str(repo), "prd", str(pod)])
    assert (
        f"  -      kubewarden:privileged-pods: not evaluated: module not available offline: "
        f"{PRIVILEGED}\n" in capsys.readouterr().out
    )
