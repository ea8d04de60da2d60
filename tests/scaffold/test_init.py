"""``gitopspol init``: the scaffold renders with kubectl, tiers differ only in tier settings,
invalid answers leave nothing behind."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from gitopspol.cli.main import main
from gitopspol.errors import ConfigError
from gitopspol.repo import load_repository
from gitopspol.repo.build import render_tier
from gitopspol.repo.scaffold import SOURCE_MARKER, init_repository, parse_data, shipped_versions
from gitopspol.yamlio import load_all, load_all_file, load_file
from tests.scaffold.helpers import by_id, kubectl_kustomize, kubectl_text, leaf_diff

PSA = "pod-security.kubernetes.io/"
#: Every field a tier setting may change, as (kind, path) with "*" for any list index.
TIER_FIELDS = {
    ("ClusterPolicy", ("spec", "rules", "*", "validate", "failureAction")),
    ("ValidatingPolicy", ("spec", "validationActions")),
    ("ValidatingAdmissionPolicyBinding", ("spec", "validationActions")),
    ("K8sAllowedRepos", ("spec", "enforcementAction")),
    ("K8sPSSBaseline", ("spec", "enforcementAction")),
    *(
        ("Namespace", ("metadata", "labels", f"{PSA}{mode}{suffix}"))
        for mode in ("enforce", "audit", "warn")
        for suffix in ("", "-version")
    ),
}


def _generalise(kind: str, path: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    return kind, tuple("*" if isinstance(p, int) else p for p in path)


def test_defaults_render_with_kubectl_and_differ_only_in_tier_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "policies"
    assert main(["init", str(dest), "--defaults"]) == 0
    assert "created policy repository" in capsys.readouterr().out
    sbx = by_id(kubectl_kustomize(dest / "environments" / "sbx"))
    prd = by_id(kubectl_kustomize(dest / "environments" / "prd"))
    assert set(sbx) == set(prd)
    assert set(sbx) == {
        ("Namespace", "sbx"),
        ("Namespace", "prd"),
        ("ClusterPolicy", "restrict-image-registries"),
        ("ClusterPolicy", "pod-security-baseline"),
        ("ConstraintTemplate", "k8sallowedrepos"),
        ("ConstraintTemplate", "k8spssbaseline"),
        ("K8sAllowedRepos", "allowed-repos"),
        ("K8sPSSBaseline", "pod-security-baseline"),
    }
    changed = {_generalise(key[0], path) for key in sbx for path in leaf_diff(sbx[key], prd[key])}
    # Exactly the tier settings differ: every differing field is one, and sbx/prd differ in
    # the action of every engine.
    assert changed <= TIER_FIELDS
    assert {
        ("ClusterPolicy", ("spec", "rules", "*", "validate", "failureAction")),
        ("K8sAllowedRepos", ("spec", "enforcementAction")),
        ("K8sPSSBaseline", ("spec", "enforcementAction")),
        ("Namespace", ("metadata", "labels", f"{PSA}enforce")),
    } <= changed
    # And the values are the profiles': prd blocks, sbx reports.
    for tier, kyverno, gatekeeper, enforce in (
        (sbx, "Audit", "warn", "privileged"),
        (prd, "Enforce", "deny", "restricted"),
    ):
        policy = tier[("ClusterPolicy", "pod-security-baseline")]
        assert policy["spec"]["rules"][0]["validate"]["failureAction"] == kyverno
        assert tier[("K8sAllowedRepos", "allowed-repos")]["spec"]["enforcementAction"] == gatekeeper
        assert tier[("Namespace", "sbx")]["metadata"]["labels"][f"{PSA}enforce"] == enforce
    # The design's K8sAllowedRepos: kinds Pod, namespaces sbx and prd, the default repos.
    repos = prd[("K8sAllowedRepos", "allowed-repos")]["spec"]
    assert repos["match"]["kinds"] == [{"apiGroups": [""], "kinds": ["Pod"]}]
    assert repos["match"]["namespaces"] == ["sbx", "prd"]
    assert repos["parameters"]["repos"] == ["open-policy-agent", "ubuntu"]


def test_default_repository_layout(default_repo: Path) -> None:
    repo = load_repository(default_repo)
    root = repo.root
    for rel in (
        "gitopspol.yaml",
        "README.md",
        ".copier-answers.yml",
        ".pre-commit-config.yaml",
        ".github/workflows/gitopspol.yaml",
        "clusters/README.md",
        "policies/kustomization.yaml",
        "policies/kyverno/restrict-image-registries.yaml",
        "policies/gatekeeper/templates/k8sallowedrepos.yaml",
        "policies/gatekeeper/constraints/allowed-repos.yaml",
        "policies/psa/namespaces.yaml",
        "environments/sbx/kustomization.yaml",
        "environments/prd/kustomization.yaml",
        "tests/container-breakout.yaml",
        "tests/untrusted-registry.yaml",
        "tests/compliant-pod.yaml",
        "tests/README.md",
    ):
        assert (root / rel).is_file(), rel
    assert (root / ".git").is_dir()
    answers = load_file(root / ".copier-answers.yml")
    assert answers["_src_path"] == SOURCE_MARKER
    assert answers["_commit"] == shipped_versions()[-1].version
    assert "builtin_profiles" not in answers
    workflow = load_file(root / ".github/workflows/gitopspol.yaml")
    steps = " ".join(
        str(s.get("run", "")) + str(s.get("uses", "")) for s in workflow["jobs"]["policy"]["steps"]
    )
    assert "gitopspol validate --format sarif" in steps
    assert "gitopspol test" in steps
    assert "upload-sarif" in steps
    hooks = load_file(root / ".pre-commit-config.yaml")["repos"][0]["hooks"]
    assert [h["entry"] for h in hooks] == ["gitopspol validate", "gitopspol test"]
    (offered,) = load_file(root / ".pre-commit-hooks.yaml")
    assert offered["args"] == ["prd"]
    script = root / offered["entry"]
    assert os.access(script, os.X_OK)
    assert 'exec gitopspol check "$tier" -C "$policies" "$@"' in script.read_text()
    assert [c.name for c in repo.clusters] == ["sbx-1", "prd-1"]


def test_behaviour_cases_expect_breakout_denied_in_prd_reported_in_sbx(default_repo: Path) -> None:
    root = default_repo
    expected = {
        "container-breakout": {"sbx": "warn", "prd": "deny"},
        "untrusted-registry": {"sbx": "warn", "prd": "deny"},
        "compliant-pod": {"sbx": "allow", "prd": "allow"},
        "compliant-pod-init-container": {"sbx": "allow", "prd": "allow"},
    }
    cases = {}
    for path in sorted((root / "tests").glob("*.yaml")):
        (case,) = load_all_file(path)
        assert case["kind"] == "BehaviourCase"
        assert case["namespace"] in ("sbx", "prd")
        cases[case["metadata"]["name"]] = case
    assert {name: c["expect"] for name, c in cases.items()} == expected
    breakout = cases["container-breakout"]["resources"][0]["spec"]
    assert breakout["hostPID"] is True
    assert breakout["containers"][0]["image"] == "lol"
    assert breakout["containers"][0]["securityContext"]["privileged"] is True
    assert cases["compliant-pod"]["resources"][0]["spec"]["containers"][0]["image"].startswith(
        "open-policy-agent/"
    )


def test_custom_tiers_from_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "r"
    code = main(
        [
            "init",
            str(dest),
            "--data",
            "tiers=[dev, stg, prd]",
            "--data",
            "registries=[registry.acme.example/]",
            "--data",
            "repo_name=acme",
        ]
    )
    assert code == 0, capsys.readouterr().err
    repo = load_repository(dest)
    assert [(t.name, t.profile, t.rank) for t in repo.tiers] == [
        ("dev", "sbx", 10),
        ("stg", "sbx", 20),
        ("prd", "prd", 30),
    ]
    assert repo.namespaces == ("dev", "stg", "prd")
    assert [c.tier for c in repo.clusters] == ["dev", "stg", "prd"]
    for tier in ("dev", "stg", "prd"):
        docs = by_id(kubectl_kustomize(dest / "environments" / tier))
        repos = docs[("K8sAllowedRepos", "allowed-repos")]["spec"]
        assert repos["parameters"]["repos"] == ["registry.acme.example/"]
        assert repos["enforcementAction"] == ("deny" if tier == "prd" else "warn")
    (case,) = load_all_file(dest / "tests" / "container-breakout.yaml")
    assert case["expect"] == {"dev": "warn", "stg": "warn", "prd": "deny"}


_SUBSETS = [
    list(c) for n in (1, 2, 3) for c in itertools.combinations(("kyverno", "gatekeeper", "psa"), n)
]
_COMBOS = [
    (engines, gitops, flavour)
    for engines in _SUBSETS
    for gitops in ("argocd", "flux", "both")
    for flavour in (
        ("ClusterPolicy", "ValidatingPolicy") if "kyverno" in engines else ("ClusterPolicy",)
    )
]


@pytest.mark.kubectl
@pytest.mark.parametrize(
    ("engines", "gitops", "flavour"),
    _COMBOS,
    ids=["+".join(e) + f"-{g}-{f}" for e, g, f in _COMBOS],
)
def test_every_answer_combination_renders(
    tmp_path: Path, engines: list[str], gitops: str, flavour: str
) -> None:
    repo = init_repository(
        tmp_path / "r", {"engines": engines, "gitops": gitops, "kyverno_flavour": flavour}
    )
    assert repo.gitops == gitops
    kinds = {"sbx": set(), "prd": set()}
    for tier in ("sbx", "prd"):
        text = kubectl_text(repo.environment_dir(tier))
        # gitopspol build renders the same bytes in pure Python.
        assert render_tier(repo, tier) == text
        kinds[tier] = {d["kind"] for d in load_all(text) if d}
    assert kinds["sbx"] == kinds["prd"]
    expected: set[str] = set()
    if "kyverno" in engines:
        expected.add(flavour)
    if "gatekeeper" in engines:
        expected |= {"ConstraintTemplate", "K8sAllowedRepos", "K8sPSSBaseline"}
    if "psa" in engines:
        expected.add("Namespace")
    assert kinds["prd"] == expected


def _listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["tiers=[sbx, Prod]"], "--data tiers[1]: 'Prod' is not a DNS-1123 label"),
        (["tiers=[sbx, ../prd]"], "--data tiers[1]: '../prd' is not a DNS-1123 label"),
        (["tiers=[prd, sbx]"], "--data tiers[1]: 'sbx' is listed after the stricter 'prd'"),
        (["tiers=[sbx, prd, sbx]"], "--data tiers[2]: duplicate tier 'sbx'"),
        (
            ["registries=[ubuntu, my registry]"],
            "--data registries[1]: 'my registry' is not an image registry",
        ),
        (["registries=['ubuntu\"\\n  evil: x']"], "--data registries[0]"),
        (["engines=[kyverno, falco]"], "--data engines[1]: 'falco' is not one of"),
        (["engines=[]"], "--data engines: [] should be non-empty"),
        (["gitops=jenkins"], "--data gitops: 'jenkins' is not one of"),
        (["clusters=[{name: a, tier: qa}]"], "--data clusters[0].tier: unknown tier 'qa'"),
        (["colour=blue"], "--data colour: unknown question"),
        (["tiers"], "--data 'tiers': expected KEY=VALUE"),
        (["tiers=[sbx, {a: b}"], "--data tiers:2: invalid YAML"),
    ],
)
def test_invalid_answers_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: list[str], message: str
) -> None:
    argv = ["init", str(tmp_path / "r"), "--defaults"]
    for item in data:
        argv += ["--data", item]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert len(err.splitlines()) == 1
    assert _listing(tmp_path) == []


def test_destination_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "r"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine\n")
    assert main(["init", str(dest), "--defaults"]) == 2
    assert capsys.readouterr().err == f"error: {dest}: destination exists and is not empty\n"
    assert _listing(tmp_path) == ["r"]
    assert _listing(dest) == ["notes.txt"]


def test_empty_destination_is_used(tmp_path: Path) -> None:
    dest = tmp_path / "r"
    dest.mkdir()
    init_repository(dest)
    assert (dest / "gitopspol.yaml").is_file()
    assert _listing(tmp_path) == ["r"]


def test_failure_after_rendering_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gitopspol.repo.scaffold as scaffold

    def broken(root: Path) -> None:
        raise ConfigError("simulated failure", root / "gitopspol.yaml", 1)

    monkeypatch.setattr(scaffold, "load_repository", broken)
    with pytest.raises(ConfigError, match="simulated failure"):
        init_repository(tmp_path / "r")
    assert _listing(tmp_path) == []


def test_without_tty_and_without_defaults_uses_defaults(tmp_path: Path) -> None:
    # pytest's stdin is not a terminal: init must not wait for answers.
    assert main(["init", str(tmp_path / "r")]) == 0
    assert load_repository(tmp_path / "r").tier_names == ("sbx", "prd")


def test_parse_data_values_are_yaml() -> None:
    assert parse_data(["tiers=[dev, prd]", "repo_name=acme", "gitops=flux"]) == {
        "tiers": ["dev", "prd"],
        "repo_name": "acme",
        "gitops": "flux",
    }


def test_failure_removes_parent_folders_it_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gitopspol.repo.scaffold as scaffold

    def broken(root: Path) -> None:
        raise ConfigError("simulated failure", root / "gitopspol.yaml", 1)

    monkeypatch.setattr(scaffold, "load_repository", broken)
    with pytest.raises(ConfigError):
        init_repository(tmp_path / "a" / "b" / "r")
    assert _listing(tmp_path) == []


def test_type_confusable_answers_stay_strings(tmp_path: Path) -> None:
    # Values YAML would read as booleans, numbers or null reach every file as strings.
    repo = init_repository(
        tmp_path / "r",
        {
            "repo_name": "null",
            "registries": ["true", "0755", "1e3", "no"],
            "namespaces": ["null", "123"],
        },
    )
    assert repo.name == "null"
    assert repo.trusted_registries == ("true", "0755", "1e3", "no")
    assert repo.namespaces == ("null", "123")
    root = repo.root
    constraint = load_file(root / "policies" / "gatekeeper" / "constraints" / "allowed-repos.yaml")
    assert constraint["spec"]["parameters"]["repos"] == ["true", "0755", "1e3", "no"]
    assert constraint["spec"]["match"]["namespaces"] == ["null", "123"]
    names = [
        d["metadata"]["name"] for d in load_all_file(root / "policies" / "psa" / "namespaces.yaml")
    ]
    assert names == ["null", "123"]
    (case,) = load_all_file(root / "tests" / "compliant-pod.yaml")
    assert case["namespace"] == "null"
    assert case["resources"][0]["spec"]["containers"][0]["image"] == "true/web:1.0"


def test_questions_with_a_person_at_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitopspol.cli.commands import init

    replies = iter(["", "[dev, Prod]", "[dev, prd]", "[gatekeeper, psa]", "", "flux"])
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return next(replies, "")

    monkeypatch.setattr(init, "interactive", lambda: True)
    monkeypatch.setattr("builtins.input", prompt)
    assert main(["init", str(tmp_path / "r"), "--data", "registries=[ghcr.io/acme/]"]) == 0
    assert "'Prod' is not a DNS-1123 label" in capsys.readouterr().out
    assert prompts[0] == "Name of the policy repository [policy-repo]: "
    assert prompts[4].startswith("Kyverno policy type (ClusterPolicy | ValidatingPolicy)")
    assert not any("registries" in p.lower() for p in prompts)
    assert prompts[-1].endswith("[derived from the answers above]: ")
    repo = load_repository(tmp_path / "r")
    assert (repo.tier_names, repo.engines, repo.gitops) == (
        ("dev", "prd"),
        ("gatekeeper", "psa"),
        "flux",
    )
    assert repo.trusted_registries == ("ghcr.io/acme/",)


def test_clusters_with_server_and_labels(tmp_path: Path) -> None:
    clusters = [
        {"name": "sbx-eu", "tier": "sbx", "server": "https://sbx-eu.example:6443"},
        {
            "name": "prd-eu",
            "tier": "prd",
            "labels": {"region": "eu", "example.com/team": "platform"},
        },
    ]
    repo = init_repository(tmp_path / "r", {"clusters": clusters})
    assert [(c.name, c.tier, c.server, c.labels) for c in repo.clusters] == [
        ("sbx-eu", "sbx", "https://sbx-eu.example:6443", {}),
        ("prd-eu", "prd", None, {"region": "eu", "example.com/team": "platform"}),
    ]
    answers = load_file(repo.root / ".copier-answers.yml")
    assert answers["clusters"] == clusters


def test_destination_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    dest = tmp_path / "file" / "r"
    assert main(["init", str(dest), "--defaults"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {dest}: cannot create the repository here: ")
    assert _listing(tmp_path) == ["file"]


VAP = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: no-latest-tag
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [pods]
  validations:
  - expression: object.spec.containers.all(c, !c.image.endsWith(':latest'))
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: no-latest-tag
spec:
  policyName: no-latest-tag
  validationActions: [Deny]
"""


@pytest.mark.kubectl
def test_vap_bindings_added_later_get_the_tier_actions(tmp_path: Path) -> None:
    root = init_repository(tmp_path / "r", {"engines": ["psa"]}).root
    (root / "policies" / "vap").mkdir()
    (root / "policies" / "vap" / "no-latest-tag.yaml").write_text(VAP)
    kustomization = root / "policies" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "- vap/no-latest-tag.yaml\n")
    actions = {}
    for tier in ("sbx", "prd"):
        docs = by_id(kubectl_kustomize(root / "environments" / tier))
        actions[tier] = docs[("ValidatingAdmissionPolicyBinding", "no-latest-tag")]["spec"][
            "validationActions"
        ]
    assert actions == {"sbx": ["Audit", "Warn"], "prd": ["Deny"]}
