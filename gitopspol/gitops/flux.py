"""Flux manifests: per cluster, a GitRepository and the Kustomizations that apply its tier.

Written under ``clusters/flux/<cluster>/`` (point the cluster's Flux bootstrap path there).
Only the current ``v1`` APIs (``source.toolkit.fluxcd.io/v1``,
``kustomize.toolkit.fluxcd.io/v1``). The tier's overlay is applied in stages, each a
Kustomization of the same path that keeps only its stage's objects (``$patch: delete``
patches by API group):

1. ``gitopspol-engine``: CRDs and Kubewarden PolicyServers (the controllers that serve the
   policies), ``wait: true``;
2. ``gitopspol-policies``: ConstraintTemplates, Kyverno and Kubewarden policies,
   ValidatingAdmissionPolicies; ``wait: true`` plus ``healthCheckExprs`` for the kinds
   kstatus does not know;
3. ``gitopspol-constraints`` (Gatekeeper): ``dependsOn`` the policies, so a constraint is
   applied only once Gatekeeper created its CRD (gatekeeper#2047: one Kustomization fails
   server-side dry-run on the unknown kind);
4. ``gitopspol-namespaces`` (PSA labels): last.

``prune: true`` removes deleted policies, but CRDs, ConstraintTemplates (deleting one deletes
its CRD and every constraint) and Namespaces (deleting one deletes its workloads) carry
``kustomize.toolkit.fluxcd.io/prune: disabled``; ``deletionPolicy: Orphan`` keeps the fleet's
policies when a Kustomization itself is deleted. No ``postBuild`` substitution: Flux 2.9
fails a reconciliation on any unresolved ``${var}`` (kustomize-controller#1692), and policy
messages may contain ``${``.
"""

from __future__ import annotations

from typing import Any

from gitopspol.gitops.plan import GeneratedFile, Source, cluster_index, file_text
from gitopspol.repo.model import Repository

NAMESPACE = "flux-system"
FOLDER = "clusters/flux"
SOURCE_NAME = "gitopspol-policies"
SOURCE_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
PRUNE_DISABLED = "kustomize.toolkit.fluxcd.io/prune"

#: API groups of the policy kinds (regular expressions, as Kustomize selectors are).
POLICY_GROUPS = (
    "kyverno.io",
    "policies.kyverno.io",
    "templates.gatekeeper.sh",
    "admissionregistration.k8s.io",
)
CRD_GROUP = "apiextensions.k8s.io"
CONSTRAINT_GROUP = "constraints.gatekeeper.sh"
KUBEWARDEN_GROUP = "policies.kubewarden.io"
KUBEWARDEN_POLICIES = (
    "ClusterAdmissionPolicy|AdmissionPolicy|ClusterAdmissionPolicyGroup|AdmissionPolicyGroup"
)

#: CEL health of the policy kinds (https://fluxcd.io/flux/cheatsheets/cel-healthchecks/ has
#: none for them); evaluated because the stage has ``wait: true``.
HEALTH_EXPRS: dict[str, tuple[dict[str, str], ...]] = {
    "kyverno": (
        {
            "apiVersion": "kyverno.io/v1",
            "kind": "ClusterPolicy",
            "current": "status.conditions.exists(e, e.type == 'Ready' && e.status == 'True')",
            "failed": "status.conditions.exists(e, e.type == 'Ready' && e.status == 'False')",
        },
        {
            "apiVersion": "policies.kyverno.io/v1",
            "kind": "ValidatingPolicy",
            "current": "status.conditionStatus.ready == true",
        },
    ),
    "gatekeeper": (
        {
            "apiVersion": "templates.gatekeeper.sh/v1",
            "kind": "ConstraintTemplate",
            "current": "status.created == true",
        },
    ),
    "kubewarden": tuple(
        {
            "apiVersion": f"{KUBEWARDEN_GROUP}/v1",
            "kind": kind,
            "current": "status.policyStatus == 'active'",
        }
        for kind in KUBEWARDEN_POLICIES.split("|")
    ),
}


def _selector_regex(groups: tuple[str, ...]) -> str:
    return "|".join(group.replace(".", r"\.") for group in groups)


def _delete(target: dict[str, str]) -> dict[str, Any]:
    """A patch that drops every object matching ``target`` from this stage."""
    patch = "$patch: delete\napiVersion: v1\nkind: Stage\nmetadata:\n  name: other-stage\n"
    return {"patch": patch, "target": target}


def _protect(target: dict[str, str]) -> dict[str, Any]:
    """A patch that exempts objects matching ``target`` from pruning."""
    patch = (
        "apiVersion: v1\nkind: Protected\nmetadata:\n  name: protected\n"
        f"  annotations:\n    {PRUNE_DISABLED}: disabled\n"
    )
    return {"patch": patch, "target": target}


def stages(repo: Repository) -> list[tuple[str, list[dict[str, Any]]]]:
    """``(name, patches)`` of each stage, in apply order, for the enabled engines."""
    engine = [
        _delete({"group": _selector_regex((*POLICY_GROUPS, CONSTRAINT_GROUP))}),
        _delete({"group": _selector_regex((KUBEWARDEN_GROUP,)), "kind": KUBEWARDEN_POLICIES}),
        _delete({"kind": "Namespace"}),
        _protect({"group": CRD_GROUP, "kind": "CustomResourceDefinition"}),
    ]
    policies = [
        _delete({"group": _selector_regex((CRD_GROUP, CONSTRAINT_GROUP))}),
        _delete({"group": _selector_regex((KUBEWARDEN_GROUP,)), "kind": "PolicyServer"}),
        _delete({"kind": "Namespace"}),
        _protect({"group": "templates.gatekeeper.sh", "kind": "ConstraintTemplate"}),
    ]
    out = [("gitopspol-engine", engine), ("gitopspol-policies", policies)]
    if "gatekeeper" in repo.engines:
        others = (CRD_GROUP, *POLICY_GROUPS, KUBEWARDEN_GROUP)
        constraints = [_delete({"group": _selector_regex(others)}), _delete({"kind": "Namespace"})]
        out.append(("gitopspol-constraints", constraints))
    if "psa" in repo.engines:
        namespaces = [
            # Anything in a named API group; the core group holds the Namespaces.
            _delete({"group": ".+"}),
            _protect({"kind": "Namespace"}),
        ]
        out.append(("gitopspol-namespaces", namespaces))
    return out


def git_repository(src: Source) -> dict[str, Any]:
    """The GitRepository every stage reads, scoped to the folders the overlays use."""
    return {
        "apiVersion": SOURCE_API,
        "kind": "GitRepository",
        "metadata": {"name": SOURCE_NAME, "namespace": NAMESPACE},
        "spec": {
            "interval": "5m",
            "url": src.repo_url,
            "ref": {"branch": src.revision},
            "ignore": "/*\n!/environments/\n!/policies/\n!/components/\n",
        },
    }


def kustomizations(repo: Repository, tier: str) -> list[dict[str, Any]]:
    """The stage Kustomizations of ``tier``, each depending on the previous one."""
    docs: list[dict[str, Any]] = []
    previous: str | None = None
    for name, patches in stages(repo):
        spec: dict[str, Any] = {
            "interval": "10m",
            "retryInterval": "1m",
            "timeout": "5m",
            "path": f"./environments/{tier}",
            "sourceRef": {"kind": "GitRepository", "name": SOURCE_NAME},
            "prune": True,
            "wait": True,
            "force": False,
            "deletionPolicy": "Orphan",
        }
        if previous is not None:
            spec["dependsOn"] = [{"name": previous}]
        exprs = [e for engine in repo.engines for e in HEALTH_EXPRS.get(engine, ())]
        if name == "gitopspol-policies" and exprs:
            spec["healthCheckExprs"] = exprs
        spec["patches"] = patches
        docs.append(
            {
                "apiVersion": KUSTOMIZE_API,
                "kind": "Kustomization",
                "metadata": {
                    "name": name,
                    "namespace": NAMESPACE,
                    "labels": {"gitopspol.io/tier": tier},
                },
                "spec": spec,
            }
        )
        previous = name
    return docs


def generate(repo: Repository, src: Source) -> list[GeneratedFile]:
    """Per cluster: ``source.yaml`` (GitRepository) and ``kustomizations.yaml``.

    Clusters of one tier get identical files: each distinct file is dumped once.
    """
    source_docs = (git_repository(src),)
    source_text = file_text(source_docs)
    per_tier: dict[str, tuple[tuple[dict[str, Any], ...], str]] = {}
    files: list[GeneratedFile] = []
    for cluster in repo.clusters:
        if cluster.tier not in per_tier:
            docs = tuple(kustomizations(repo, cluster.tier))
            per_tier[cluster.tier] = (docs, file_text(docs))
        docs, text = per_tier[cluster.tier]
        origin = ("clusters", cluster_index(repo, cluster.name))
        folder = f"{FOLDER}/{cluster.name}"
        files.append(
            GeneratedFile.of(f"{folder}/source.yaml", source_docs, origin, text=source_text)
        )
        files.append(
            GeneratedFile.of(f"{folder}/kustomizations.yaml", docs, (*origin, "tier"), text=text)
        )
    return files
