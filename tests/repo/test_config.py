"""gitopspol.yaml: the repository model, tier overrides, and errors at file:line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.errors import ConfigError
from gitopspol.repo import load_repository
from tests.conftest import build_file_tree

CONFIG = """\
apiVersion: gitopspol.io/v1alpha1
kind: PolicyRepository
name: acme-policies
engines: [kyverno, gatekeeper, psa]
kyvernoFlavour: ValidatingPolicy
gitops: both
trustedRegistries: [registry.acme.example/, ghcr.io/acme/]
namespaces: [apps]
tiers:
- name: prd
  profile: prd
  rank: 30
- name: dev
  profile: sbx
  rank: 10
- name: stg
  profile: sbx
  rank: 20
  gatekeeper:
    enforcementAction: deny
  psa:
    enforce: {level: baseline, version: v1.34}
clusters:
- name: prd-eu-1
  tier: prd
  server: https://prd-eu-1.acme.example:6443
  labels: {region: eu}
waivers:
- policy: pod-security-baseline
  tier: prd
  reason: legacy CNI needs hostNetwork until Q3
  expires: 2026-09-30
"""


def _repo(tmp_path: Path, text: str = CONFIG) -> Path:
    return build_file_tree(tmp_path, {"gitopspol.yaml": text})


def test_model_tiers_ordered_by_rank_with_overrides(tmp_path: Path) -> None:
    repo = load_repository(_repo(tmp_path))
    assert repo.name == "acme-policies"
    assert repo.tier_names == ("dev", "stg", "prd")
    dev, stg, prd = repo.tiers
    assert (dev.profile, stg.profile, prd.profile) == ("sbx", "sbx", "prd")
    # stg overrides two settings of its sbx base and keeps the rest.
    assert stg.gatekeeper_enforcement_action == "deny"
    assert stg.psa_enforce.level == "baseline"
    assert stg.psa_enforce.version == "v1.34"
    assert stg.psa_warn == dev.psa_warn
    assert stg.kyverno_failure_action == dev.kyverno_failure_action == "Audit"
    assert prd.kyverno_failure_action == "Enforce"
    assert repo.engines == ("kyverno", "gatekeeper", "psa")
    assert repo.kyverno_flavour == "ValidatingPolicy"
    assert repo.gitops == "both"
    assert repo.trusted_registries == ("registry.acme.example/", "ghcr.io/acme/")
    assert repo.namespaces == ("apps",)
    assert repo.clusters[0].labels == {"region": "eu"}
    assert repo.clusters[0].server == "https://prd-eu-1.acme.example:6443"
    assert repo.environment_dir("stg") == tmp_path / "environments" / "stg"


def test_waivers_expire(tmp_path: Path) -> None:
    repo = load_repository(_repo(tmp_path))
    (waiver,) = repo.waivers
    assert waiver.expires == dt.date(2026, 9, 30)
    assert waiver.line == 29
    assert not waiver.expired(dt.date(2026, 9, 30))
    assert waiver.expired(dt.date(2026, 10, 1))
    assert repo.active_waivers(dt.date(2026, 10, 1)) == ()


def test_defaults_when_optional_fields_are_absent(tmp_path: Path) -> None:
    text = "apiVersion: gitopspol.io/v1alpha1\nkind: PolicyRepository\nname: p\nengines: [psa]\ntiers:\n- name: sbx\n- name: prd\n"
    repo = load_repository(_repo(tmp_path, text))
    assert [(t.name, t.rank, t.profile) for t in repo.tiers] == [
        ("sbx", 10, "sbx"),
        ("prd", 20, "prd"),
    ]
    assert repo.kyverno_flavour == "ClusterPolicy"
    assert repo.gitops == "argocd"
    assert repo.clusters == ()


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("- name: dev", "- name: Dev_1", 13, "tiers[1].name: 'Dev_1' is not a DNS-1123 label"),
        ("- name: dev", "- name: prd", 13, "tiers[1].name: duplicate tier 'prd'"),
        (
            "profile: sbx\n  rank: 10",
            "profile: qa\n  rank: 10",
            14,
            "no built-in tier profile 'qa'",
        ),
        ("rank: 10", "rank: 30", 15, "ranks must differ"),
        (
            "  tier: prd\n  server",
            "  tier: uat\n  server",
            25,
            "clusters[0].tier: unknown tier 'uat'",
        ),
        ("gitops: both", "gitops: spinnaker", 6, "gitops: 'spinnaker' is not one of"),
        (
            "[registry.acme.example/, ghcr.io/acme/]",
            "['bad registry']",
            7,
            "is not an image registry",
        ),
        ("namespaces: [apps]", "namespaces: [apps]\nteam: x", 9, "unknown field 'team'"),
        ("expires: 2026-09-30", "expires: 2026-02-30", 32, "invalid date"),
        (
            "  reason: legacy CNI needs hostNetwork until Q3\n",
            "",
            29,
            "'reason' is a required property",
        ),
        ("engines: [kyverno, gatekeeper, psa]", "engines: [kyverno, falco]", 4, "engines[1]"),
    ],
)
def test_errors_point_at_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in CONFIG
    _repo(tmp_path, CONFIG.replace(old, new))
    with pytest.raises(ConfigError) as info:
        load_repository(tmp_path)
    assert info.value.file == str(tmp_path / "gitopspol.yaml")
    assert message in info.value.message
    assert info.value.line == line


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a gitopspol policy repository"):
        load_repository(tmp_path)


def test_unknown_tier_names_gitopspol_yaml(tmp_path: Path) -> None:
    repo = load_repository(_repo(tmp_path))
    with pytest.raises(ConfigError, match=r"unknown tier 'qa' \(tiers: dev, stg, prd\)") as info:
        repo.tier("qa")
    assert info.value.file == str(tmp_path / "gitopspol.yaml")


def test_cli_error_is_one_line_with_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _repo(tmp_path, CONFIG.replace("- name: dev", "- name: ../dev"))
    assert main(["build", "dev", "-C", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {tmp_path / 'gitopspol.yaml'}:13: tiers[1].name: '../dev' is not a DNS-1123 label"
        " (lower-case letters, digits and '-', at most 63 characters)\n"
    )


def test_build_unknown_tier_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _repo(tmp_path)
    assert main(["build", "qa", "-C", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'gitopspol.yaml'}: unknown tier 'qa'")
