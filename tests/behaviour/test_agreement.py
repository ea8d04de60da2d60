"""Cross-engine agreement: policies of one control that disagree on a case are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopspol.behaviour.agreement import agreement, tier_controls
from gitopspol.behaviour.run import prepare_tiers, run_repository
from gitopspol.cli.main import main
from gitopspol.repo import load_repository


def test_default_repo_controls(pristine_repo: Path) -> None:
    prd = prepare_tiers(load_repository(pristine_repo), ("prd",))["prd"]
    controls = tier_controls(prd, "sbx")
    # prd enforces restricted: PSA implements the restricted control, not the baseline one.
    assert controls["pod-security-baseline"] == {
        "kyverno:pod-security-baseline",
        "gatekeeper:K8sPSSBaseline/pod-security-baseline",
    }
    assert controls["trusted-registries"] == {
        "kyverno:restrict-image-registries",
        "gatekeeper:K8sAllowedRepos/allowed-repos",
    }
    assert controls["pod-security-restricted"] == {"psa:pod-security"}


def test_kyverno_scoped_narrower_disagrees(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = repo / "policies" / "kyverno" / "pod-security-baseline.yaml"
    text = policy.read_text()
    assert 'namespaces: ["sbx", "prd"]' in text
    policy.write_text(text.replace('namespaces: ["sbx", "prd"]', 'namespaces: ["prd"]'))
    found = agreement(run_repository(repo))
    prd = [d for d in found if d.tier == "prd"]
    assert [(d.case, d.control) for d in prd] == [("container-breakout", "pod-security-baseline")]
    assert prd[0].violated == ("gatekeeper:K8sPSSBaseline/pod-security-baseline",)
    assert prd[0].passed == ("kyverno:pod-security-baseline",)
    # sbx: PSA enforces nothing there, so Kyverno disagrees with Gatekeeper only
    sbx = [d for d in found if d.tier == "sbx"]
    assert [d.passed for d in sbx] == [("kyverno:pod-security-baseline",)]

    # The verdicts still hold (PSA and Gatekeeper deny): only the agreement report shows it.
    assert main(["test", "-C", str(repo), "--agreement"]) == 0
    out = capsys.readouterr().out
    assert "cross-engine disagreements:" in out
    assert "[prd] container-breakout: control pod-security-baseline: violated by" in out


def test_annotation_names_the_control(tmp_path: Path) -> None:
    from gitopspol.behaviour.cases import load_cases
    from gitopspol.behaviour.run import run_cases
    from gitopspol.behaviour.tier import prepare_tier
    from tests.conftest import build_file_tree

    def policy(name: str, pattern: dict[str, object]) -> dict[str, object]:
        return {
            "apiVersion": "kyverno.io/v1",
            "kind": "ClusterPolicy",
            "metadata": {"name": name, "annotations": {"gitopspol.io/control": "no-root"}},
            "spec": {
                "rules": [
                    {
                        "name": "r",
                        "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                        "validate": {"failureAction": "Enforce", "pattern": pattern},
                    }
                ]
            },
        }

    strict = policy("strict", {"spec": {"securityContext": {"runAsNonRoot": True}}})
    lax = policy("lax", {"spec": {"=(securityContext)": {"=(runAsUser)": ">0"}}})
    build_file_tree(
        tmp_path,
        {
            "tests/a.yaml": "apiVersion: gitopspol.io/v1alpha1\nkind: BehaviourCase\n"
            "metadata: {name: rootless-unset}\nnamespace: x\n"
            "resources: [{apiVersion: v1, kind: Pod, metadata: {name: p},"
            " spec: {containers: [{name: c, image: i}]}}]\nexpect: {t: deny}\n"
        },
    )
    matrix = run_cases(load_cases(tmp_path), {"t": prepare_tier([strict, lax], "t")})
    [d] = agreement(matrix)
    assert (d.control, d.violated, d.passed) == ("no-root", ("kyverno:strict",), ("kyverno:lax",))
