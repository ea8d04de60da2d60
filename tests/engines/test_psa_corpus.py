"""Conformance: every upstream pod-security-admission fixture in ../shared/corpus/psa.

Each file is evaluated at its own level and version (corpus README §3). A pass fixture must
have no violation; a fail fixture must fail exactly the checks it targets (the targeted
check, or the restricted check that overrides it, plus the documented extras), with
upstream's substring in the message. The corpus totals are pinned.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from gitopspol import yamlio
from gitopspol.engines.psa import evaluate
from tests.conftest import need_shared

pytestmark = pytest.mark.corpus

# file prefix -> (check ID, substring upstream expects in the denial)
TARGETS = {
    "apparmorprofile": ("appArmorProfile", "forbidden AppArmor profile"),
    "capabilities_baseline": ("capabilities_baseline", "capabilities"),
    "hostnamespaces": ("hostNamespaces", "host namespaces"),
    "hostpathvolumes": ("hostPathVolumes", "hostPath"),
    "hostports": ("hostPorts", "hostPort"),
    "hostprobesandhostlifecycle": ("hostProbesAndHostLifecycle", "probe or lifecycle host"),
    "privileged": ("privileged", "privileged"),
    "procmount": ("procMount", "procMount"),
    "selinuxoptions": ("seLinuxOptions", "seLinuxOptions"),
    "seccompprofile_baseline": ("seccompProfile_baseline", "seccompProfile"),
    "sysctls": ("sysctls", "forbidden sysctl"),
    "windowshostprocess": ("windowsHostProcess", "hostProcess"),
    "allowprivilegeescalation": ("allowPrivilegeEscalation", "allowPrivilegeEscalation"),
    "capabilities_restricted": ("capabilities_restricted", "unrestricted capabilities"),
    "procmount_restricted": ("procMount_restricted", "procMount"),
    "restrictedvolumes": ("restrictedVolumes", "restricted volume types"),
    "runasnonroot": ("runAsNonRoot", "runAsNonRoot"),
    "runasuser": ("runAsUser", "runAsUser"),
    "seccompprofile_restricted": ("seccompProfile_restricted", "seccompProfile"),
}
# baseline check -> (restricted check replacing it, from minor), README §4.3
OVERRIDES = {
    "hostPathVolumes": ("restrictedVolumes", 0),
    "seccompProfile_baseline": ("seccompProfile_restricted", 19),
    "capabilities_baseline": ("capabilities_restricted", 22),
    "procMount": ("procMount_restricted", 35),
}
NAME_RE = re.compile(r"^([a-z_]+?)([0-9]*)$")


def expected_checks(level: str, minor: int, stem: str) -> set[str]:
    """The checks a fail fixture violates (README §3: targeted check plus exceptions)."""
    prefix = NAME_RE.match(stem).group(1)  # type: ignore[union-attr]
    check = TARGETS[prefix][0]
    if level == "restricted" and check in OVERRIDES and minor >= OVERRIDES[check][1]:
        check = OVERRIDES[check][0]
    expected = {check}
    if prefix == "windowshostprocess":
        expected.add("hostNamespaces")
    if level == "restricted" and prefix == "privileged" and minor >= 8:
        expected.add("allowPrivilegeEscalation")
    if level == "restricted" and stem == "allowprivilegeescalation3" and minor >= 22:
        expected.add("capabilities_restricted")
    return expected


def fixtures(root: Path) -> list[tuple[str, str, str, Path]]:
    rows = []
    for path in sorted(root.glob("*/v1.*/*/*.yaml")):
        level, version, outcome = path.parts[-4:-1]
        rows.append((level, version, outcome, path))
    return rows


def test_every_fixture_gives_its_expected_result() -> None:
    root = need_shared("corpus", "psa")
    rows = fixtures(root)
    # Pinned totals (README §10): a shrunken or grown corpus fails here.
    assert len(rows) == 3075
    assert Counter(r[2] for r in rows) == {"pass": 714, "fail": 2361}
    assert Counter(r[0] for r in rows) == {"baseline": 1049, "restricted": 2026}
    assert len({r[1] for r in rows}) == 38
    per_version = Counter((r[0], r[1]) for r in rows)
    assert per_version[("baseline", "v1.0")] == 27
    assert per_version[("baseline", "v1.37")] == 33
    assert per_version[("restricted", "v1.0")] == 45
    assert per_version[("restricted", "v1.22")] == 56
    assert per_version[("restricted", "v1.37")] == 67

    wrong: list[str] = []
    for level, version, outcome, path in rows:
        result = evaluate(yamlio.load_file(path), level, version)
        rel = path.relative_to(root)
        if outcome == "pass":
            if not result.allowed or result.violations:
                wrong.append(f"{rel}: expected pass, got {[v.message for v in result.violations]}")
            continue
        got = {v.check for v in result.violations}
        want = expected_checks(level, int(version.split(".")[1]), path.stem)
        if result.allowed or got != want:
            wrong.append(f"{rel}: expected {sorted(want)}, got {sorted(got)}")
            continue
        # Upstream's assertion: the denial text contains the targeted check's substring.
        substring = TARGETS[NAME_RE.match(path.stem).group(1)][1]  # type: ignore[union-attr]
        if substring not in ", ".join(v.message for v in result.violations):
            wrong.append(f"{rel}: {substring!r} not in the message")
        wrong.extend(f"{rel}: no field for {v.check}" for v in result.violations if not v.fields)
    assert wrong == []


def test_latest_equals_newest_fixture_version() -> None:
    root = need_shared("corpus", "psa")
    for level in ("baseline", "restricted"):
        for outcome in ("pass", "fail"):
            for path in sorted((root / level / "v1.37" / outcome).glob("*.yaml")):
                pod = yamlio.load_file(path)
                assert evaluate(pod, level, "latest") == evaluate(pod, level, "v1.37")
                assert evaluate(pod, level, "v1.99") == evaluate(pod, level, "v1.37")


def test_benchmark_runs_over_the_corpus() -> None:
    need_shared("corpus", "psa")
    from benchmarks.bench_psa import run

    figures = run(seconds=0.01)
    assert figures["pods"] == 3075
    assert figures["evaluated"] == 3075
    # restricted:latest denies every corpus pod except the 211 that pass it
    assert figures["denied"] == 2864
    assert figures["pods_per_second"] > 0  # type: ignore[operator]
