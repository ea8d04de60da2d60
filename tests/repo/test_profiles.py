"""Built-in tier profiles: content, ordering, schema errors at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopspol.errors import ConfigError
from gitopspol.repo import builtin_profiles, load_profile
from gitopspol.repo.schemas import PROFILE_SCHEMA, first_error
from gitopspol.resources import data_path
from gitopspol.yamlio import load_file
from tests.conftest import build_file_tree

VALID = """\
name: dev
rank: 5
kyverno:
  failureAction: Audit
validatingPolicy:
  validationActions: [Audit]
gatekeeper:
  enforcementAction: dryrun
psa:
  enforce: {level: privileged, version: latest}
  audit: {level: baseline, version: v1.30}
  warn: {level: restricted, version: latest}
"""


def test_builtin_profiles_are_sbx_then_prd() -> None:
    profiles = builtin_profiles()
    assert list(profiles) == ["sbx", "prd"]
    sbx, prd = profiles["sbx"], profiles["prd"]
    assert sbx.rank < prd.rank
    assert (sbx.kyverno_failure_action, prd.kyverno_failure_action) == ("Audit", "Enforce")
    assert (sbx.gatekeeper_enforcement_action, prd.gatekeeper_enforcement_action) == (
        "warn",
        "deny",
    )
    assert "Deny" not in sbx.validation_actions
    assert prd.validation_actions == ("Deny",)
    assert sbx.psa_enforce.level == "privileged"
    assert prd.psa_enforce.level in ("baseline", "restricted")
    assert prd.psa_enforce.version.startswith("v1.")
    assert prd.psa_labels["pod-security.kubernetes.io/enforce"] == prd.psa_enforce.level


def test_builtin_profile_files_are_valid_documents() -> None:
    files = sorted(data_path("environments").glob("*.yaml"))
    assert [f.stem for f in files] == ["prd", "sbx"]
    for path in files:
        assert first_error(load_file(path), PROFILE_SCHEMA) is None


def test_settings_round_trip(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"dev.yaml": VALID})
    tier = load_profile(tmp_path / "dev.yaml")
    assert tier.rank == 5
    assert tier.validation_actions == ("Audit",)
    assert tier.settings()["psa"]["audit"] == {"level": "baseline", "version": "v1.30"}


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "failureAction: Audit",
            "failureAction: Block",
            4,
            "kyverno.failureAction: 'Block' is not one of",
        ),
        ("rank: 5", "rank: high", 2, "rank: 'high' is not of type 'integer'"),
        ("version: v1.30", "version: 1.30", 11, "psa.audit.version"),
        ("[Audit]", "[Deny, Warn]", 6, "may not combine Deny and Warn"),
        (
            "  enforcementAction: dryrun",
            "  enforcementAction: dryrun\n  scope: all",
            9,
            "gatekeeper.scope: unknown field 'scope'",
        ),
    ],
)
def test_schema_errors_point_at_the_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    build_file_tree(tmp_path, {"dev.yaml": VALID.replace(old, new)})
    with pytest.raises(ConfigError) as info:
        load_profile(tmp_path / "dev.yaml")
    assert info.value.file == str(tmp_path / "dev.yaml")
    assert info.value.line == line
    assert message in info.value.message


def test_profile_name_must_match_file(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"stg.yaml": VALID})
    with pytest.raises(ConfigError, match="differs from its file name") as info:
        load_profile(tmp_path / "stg.yaml")
    assert info.value.line == 1


def test_missing_required_setting(tmp_path: Path) -> None:
    text = VALID.replace("gatekeeper:\n  enforcementAction: dryrun\n", "")
    build_file_tree(tmp_path, {"dev.yaml": text})
    with pytest.raises(ConfigError, match="'gatekeeper' is a required property"):
        load_profile(tmp_path / "dev.yaml")
