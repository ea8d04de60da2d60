"""``gitopspol apps``: golden output per target, upstream CRD validation, deterministic writes,
stale-file handling, and GP501 after a cluster changes tier."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gitopspol.checks import RuleContext, run_rules
from gitopspol.checks.registry import get_rule
from gitopspol.cli.main import main
from gitopspol.errors import ConfigError
from gitopspol.gitops import MARKER, plan_apps, write_apps
from gitopspol.repo import load_repository
from gitopspol.repo.scaffold import init_repository
from gitopspol.schema import CrdRegistry, validate_manifest
from gitopspol.yamlio import load_all
from tests.conftest import need_shared

GOLDEN = Path(__file__).parent / "golden"
CLUSTERS = [
    {"name": "sbx-1", "tier": "sbx"},
    {"name": "sbx-2", "tier": "sbx", "labels": {"region": "eu"}},
    {"name": "prd-1", "tier": "prd"},
    {"name": "prd-eu-1", "tier": "prd", "server": "https://prd-eu-1.example:6443"},
]
REPO_URL = "https://github.com/acme/policies.git"


def _init(root: Path, **answers: object) -> Path:
    repo = init_repository(root, {"clusters": CLUSTERS, **answers}).root
    config = repo / "gitopspol.yaml"
    config.write_text(config.read_text() + f"repoURL: {REPO_URL}\nrevision: stable\n")
    return repo


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default scaffold with clusters in both tiers (one listed with a server), read-only."""
    return _init(tmp_path_factory.mktemp("fleet") / "repo", gitops="both")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh default-scaffold repository (Argo CD target) that tests may change."""
    return _init(tmp_path / "repo")


@pytest.mark.parametrize("target", ["argocd", "flux"])
def test_golden(fleet: Path, target: str) -> None:
    plan = plan_apps(load_repository(fleet), target)
    assert plan.warnings == ()
    folder = GOLDEN / target
    expected = {f.path: f.text for f in plan.files}
    if os.environ.get("GITOPSPOL_REGEN_GOLDEN") == "1":
        shutil.rmtree(folder, ignore_errors=True)
        for rel, text in expected.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text, encoding="utf-8")
    found = {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    assert found == expected, "golden files are stale: run `make golden`"


def test_expected_files(fleet: Path) -> None:
    paths = [f.path for f in plan_apps(load_repository(fleet)).files]
    assert paths == sorted(paths)
    assert paths == [
        "clusters/argocd/application-prd-eu-1.yaml",
        "clusters/argocd/applicationset-prd.yaml",
        "clusters/argocd/applicationset-sbx.yaml",
        "clusters/argocd/appproject.yaml",
        "clusters/argocd/argocd-cm-health.yaml",
        *(
            f"clusters/flux/{name}/{file}"
            for name in ("prd-1", "prd-eu-1", "sbx-1", "sbx-2")
            for file in ("kustomizations.yaml", "source.yaml")
        ),
    ]


def test_manifests_validate_against_upstream_crds(fleet: Path) -> None:
    crds = need_shared("schemas", "crds")
    registry = CrdRegistry.from_paths([crds / "argocd", crds / "flux"])
    checked = 0
    for file in plan_apps(load_repository(fleet)).files:
        for doc in load_all(file.text, file.path):
            if doc["kind"] == "ConfigMap":
                assert doc["apiVersion"] == "v1"
                continue
            validator = registry.validator(doc["apiVersion"], doc["kind"])
            assert validator is not None, (file.path, doc["apiVersion"], doc["kind"])
            errors = [e.message for e in validator.iter_errors(doc)]
            assert errors == [], (file.path, errors)
            assert validate_manifest(doc) == [], file.path  # the built-in schemas agree
            checked += 1
    # 1 AppProject + 2 ApplicationSets + 1 Application; 4 clusters x (GitRepository + 4 stages)
    assert checked == 4 + 4 * 5


def test_argocd_shape(fleet: Path) -> None:
    files = {f.path: f.documents for f in plan_apps(load_repository(fleet), "argocd").files}
    (appset,) = files["clusters/argocd/applicationset-prd.yaml"]
    spec = appset["spec"]
    assert spec["goTemplate"] is True
    assert spec["goTemplateOptions"] == ["missingkey=error"]
    assert spec["syncPolicy"] == {"preserveResourcesOnDeletion": True}
    generator = spec["generators"][0]
    assert generator["clusters"]["selector"] == {"matchLabels": {"gitopspol.io/tier": "prd"}}
    # prd-eu-1 has a server: it gets its own Application, not one from the set.
    assert generator["selector"]["matchExpressions"][0]["values"] == ["prd-1"]
    app = spec["template"]["spec"]
    assert app["project"] == "policy-baseline"  # hard-coded, never templated
    assert app["source"] == {
        "repoURL": REPO_URL,
        "targetRevision": "stable",
        "path": "environments/prd",
    }
    assert "ServerSideApply=true" in app["syncPolicy"]["syncOptions"]
    (project,) = files["clusters/argocd/appproject.yaml"]
    assert project["spec"]["sourceRepos"] == [REPO_URL]
    assert {"server": "https://prd-eu-1.example:6443", "namespace": "*"} in project["spec"][
        "destinations"
    ]
    kinds = {(k["group"], k["kind"]) for k in project["spec"]["clusterResourceWhitelist"]}
    assert ("", "Namespace") in kinds
    assert ("templates.gatekeeper.sh", "ConstraintTemplate") in kinds
    assert not any(group in ("*", "apps", "rbac.authorization.k8s.io") for group, _ in kinds)
    (health,) = files["clusters/argocd/argocd-cm-health.yaml"]
    assert sorted(health["data"]) == [
        "resource.customizations.health.kyverno.io_ClusterPolicy",
        "resource.customizations.health.policies.kyverno.io_ValidatingPolicy",
        "resource.customizations.health.templates.gatekeeper.sh_ConstraintTemplate",
    ]
    (application,) = files["clusters/argocd/application-prd-eu-1.yaml"]
    assert "finalizers" not in application["metadata"]  # deleting it never deletes policies
    assert application["spec"]["destination"] == {"server": "https://prd-eu-1.example:6443"}


def test_flux_shape(fleet: Path) -> None:
    files = {f.path: f.documents for f in plan_apps(load_repository(fleet), "flux").files}
    stages = files["clusters/flux/sbx-2/kustomizations.yaml"]
    assert [d["metadata"]["name"] for d in stages] == [
        "gitopspol-engine",
        "gitopspol-policies",
        "gitopspol-constraints",
        "gitopspol-namespaces",
    ]
    assert [d["spec"].get("dependsOn") for d in stages] == [
        None,
        [{"name": "gitopspol-engine"}],
        [{"name": "gitopspol-policies"}],
        [{"name": "gitopspol-constraints"}],
    ]
    for doc in stages:
        assert doc["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
        assert doc["spec"]["path"] == "./environments/sbx"
        assert doc["spec"]["prune"] is True
        assert doc["spec"]["wait"] is True
        assert doc["spec"]["deletionPolicy"] == "Orphan"
        assert "postBuild" not in doc["spec"]
    kinds = {e["kind"] for e in stages[1]["spec"]["healthCheckExprs"]}
    assert kinds == {"ClusterPolicy", "ValidatingPolicy", "ConstraintTemplate"}
    (source,) = files["clusters/flux/sbx-2/source.yaml"]
    assert source["apiVersion"] == "source.toolkit.fluxcd.io/v1"
    assert source["spec"]["url"] == REPO_URL
    assert source["spec"]["ref"] == {"branch": "stable"}


def test_engines_subset_drops_stages(tmp_path: Path) -> None:
    root = _init(tmp_path / "repo", engines=["kyverno"], gitops="flux")
    files = {f.path: f.documents for f in plan_apps(load_repository(root)).files}
    names = [d["metadata"]["name"] for d in files["clusters/flux/prd-1/kustomizations.yaml"]]
    assert names == ["gitopspol-engine", "gitopspol-policies"]
    assert not (root / "components").exists()  # no Argo CD sync waves for a Flux-only repo


def test_write_is_deterministic_and_keeps_user_files(repo: Path) -> None:
    model = load_repository(repo)
    first = write_apps(model)
    assert first.removed == ()
    assert first.unchanged == ()
    snapshot = {p: p.read_bytes() for p in sorted((repo / "clusters").rglob("*")) if p.is_file()}
    again = write_apps(model)
    assert again.written == ()
    assert again.unchanged == first.written
    assert snapshot == {
        p: p.read_bytes() for p in sorted((repo / "clusters").rglob("*")) if p.is_file()
    }
    assert all(
        p.read_text().startswith(MARKER + "\n")
        for p in snapshot
        if p.name != "README.md" and p.parent.name != "custom"
    )
    # A user file (no marker) is kept; a stale generated file is removed.
    (repo / "clusters" / "custom").mkdir()
    (repo / "clusters" / "custom" / "mine.yaml").write_text("kind: Mine\n")
    stale = repo / "clusters" / "argocd" / "applicationset-old.yaml"
    stale.write_text(MARKER + "\nkind: Old\n")
    result = write_apps(model)
    assert result.removed == ("clusters/argocd/applicationset-old.yaml",)
    assert not stale.exists()
    assert (repo / "clusters" / "custom" / "mine.yaml").read_text() == "kind: Mine\n"
    assert (repo / "clusters" / "README.md").is_file()


def test_write_refuses_to_overwrite_a_user_file(repo: Path) -> None:
    mine = repo / "clusters" / "argocd" / "appproject.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text("# my own project\n")
    with pytest.raises(ConfigError, match="not generated by gitopspol"):
        write_apps(load_repository(repo))
    assert mine.read_text() == "# my own project\n"


def _gp501(repo: Path) -> list[tuple[str, int, str]]:
    ctx = RuleContext(tiers={}, settings={"root": str(repo)})
    return [
        (f.location.file if f.location else "", f.location.line if f.location else 0, f.message)
        for f in run_rules(ctx, [get_rule("GP501")])
    ]


@pytest.mark.parametrize("target", ["argocd", "flux"])
def test_tier_change_without_apps_fails_gp501(tmp_path: Path, target: str) -> None:
    repo = _init(tmp_path / "repo", gitops=target)
    assert _gp501(repo) == []  # apps never ran: nothing to keep up to date
    write_apps(load_repository(repo), target)
    assert _gp501(repo) == []
    config = repo / "gitopspol.yaml"
    lines = config.read_text().splitlines(keepends=True)
    line = next(i for i, text in enumerate(lines) if text.startswith('- name: "prd-1"')) + 2
    assert lines[line - 1] == '  tier: "prd"\n'
    lines[line - 1] = '  tier: "sbx"\n'
    config.write_text("".join(lines))
    found = _gp501(repo)
    assert found, "a cluster moved to another tier must make clusters/ stale"
    assert (str(config), line) in {(file, number) for file, number, _ in found}
    assert all("run 'gitopspol apps'" in message for _, _, message in found)
    assert main(["validate", "-C", str(repo)]) == 1
    write_apps(load_repository(repo), target)
    assert _gp501(repo) == []


def test_cli(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apps", "-C", str(repo), "--target", "flux"]) == 0
    out = capsys.readouterr().out
    assert "wrote clusters/flux/prd-1/kustomizations.yaml" in out
    assert out.endswith("8 written, 0 unchanged, 0 removed\n")
    assert main(["apps", "-C", str(repo)]) == 0  # gitopspol.yaml says argocd: flux removed
    out = capsys.readouterr().out
    assert "removed clusters/flux/prd-1/source.yaml" in out
    assert not (repo / "clusters" / "flux").exists()


def test_missing_repo_url_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = init_repository(tmp_path / "repo").root
    assert main(["apps", "-C", str(root)]) == 0
    assert "no repoURL" in capsys.readouterr().err
    text = (root / "clusters" / "argocd" / "appproject.yaml").read_text()
    assert "https://git.example.invalid/policy-repo.git" in text


def test_gp501_unknown_tier_and_post_build(repo: Path) -> None:
    from gitopspol.checks import SourceDocument
    from gitopspol.gitops.state import gitops_state

    config = repo / "gitopspol.yaml"
    text = config.read_text()
    config.write_text(text.replace('  tier: "prd"\n', '  tier: "prod"\n', 1))
    line = config.read_text().splitlines().index('  tier: "prod"') + 1
    found = _gp501(repo)
    assert found == [
        (
            str(config),
            line,
            "cluster prd-1 runs tier 'prod', which gitopspol.yaml does not define (tiers: sbx, prd)",
        )
    ]
    config.write_text(text)
    # A Flux Kustomization with postBuild under clusters/: policies with '${' get a warning.
    (repo / "clusters" / "custom.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
        "  name: custom\nspec:\n  postBuild:\n    substitute: {region: eu}\n"
    )
    assert gitops_state(repo)["post_build"] is True
    policy = (
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: p\nspec:\n"
        "  rules:\n  - name: r\n    validate:\n      message: 'HOME is ${HOME}'\n"
    )
    escaped = policy.replace("${HOME}", "$${HOME}").replace("name: p\n", "name: q\n")
    disabled = policy.replace(
        "name: p\n",
        "name: s\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n",
    )
    docs = SourceDocument.from_text("---\n".join([policy, escaped, disabled]), "p.yaml")
    ctx = RuleContext(tiers={"sbx": docs, "prd": docs}, settings={"root": str(repo)})
    findings = run_rules(ctx, [get_rule("GP501")])
    assert [(f.resource, f.severity.value, f.location) for f in findings] == [
        ("ClusterPolicy/p", "warning", findings[0].location)
    ]
    assert findings[0].location is not None
    assert (findings[0].location.file, findings[0].location.line) == ("p.yaml", 9)
