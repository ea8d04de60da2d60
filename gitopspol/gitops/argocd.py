"""Argo CD manifests: the policy AppProject, one ApplicationSet per tier (or one Application per
cluster listed with a server), and the ``argocd-cm`` health checks for the policy kinds.

Written under ``clusters/argocd/``. Upstream behaviour followed (see docs/gitops.md):

* the ApplicationSet's ``project`` is hard-coded: a templated project lets whoever controls
  the generator's input pick a weaker project
  (https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Security/);
* ``preserveResourcesOnDeletion: true``, and Applications carry no resources finalizer:
  deleting the ApplicationSet or an Application never deletes the fleet's policies;
* ``goTemplateOptions: ["missingkey=error"]``: a missing parameter fails generation instead
  of rendering an empty value;
* the cluster generator selects the Argo CD cluster Secrets labelled ``gitopspol.io/tier``;
  a post-selector keeps only the clusters gitopspol.yaml puts in that tier, so a cluster is
  served a tier only when its label and gitopspol.yaml agree (``validate`` reports drift);
* sync waves and per-resource sync options come from the scaffold's
  ``components/argocd-sync-waves`` (part of the tier's kustomization, so they are in what
  Argo CD renders); the Applications use ``ServerSideApply=true`` (Kyverno's CRDs and
  policies exceed the client-side apply annotation limit);
* Argo CD ships no health check for ``ClusterPolicy``, ``ValidatingPolicy`` or
  ``ConstraintTemplate``: without one a sync wave does not wait for the policy to be ready.
"""

from __future__ import annotations

from typing import Any

from gitopspol.gitops.plan import (
    COMMON_KINDS,
    ENGINE_KINDS,
    ENGINE_NAMESPACED_KINDS,
    GeneratedFile,
    Source,
    cluster_index,
)
from gitopspol.repo.model import Repository

NAMESPACE = "argocd"
PROJECT = "policy-baseline"
FOLDER = "clusters/argocd"
TIER_LABEL = "gitopspol.io/tier"
API = "argoproj.io/v1alpha1"
SYNC_OPTIONS = ("ServerSideApply=true",)
#: Server-side diff so CRD defaults and Kyverno's mutations are not reported as drift
#: (https://kyverno.io/docs/installation/platform-notes/#notes-for-argocd-users).
COMPARE_OPTIONS = "ServerSideDiff=true,IncludeMutationWebhook=true"

_KYVERNO_READY = """\
-- gitopspol: Kyverno ClusterPolicy is healthy once its Ready condition is True.
hs = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" then
      if condition.status == "True" then
        hs.status = "Healthy"
      else
        hs.status = "Degraded"
      end
      hs.message = condition.message
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for Kyverno to report the policy Ready"
return hs
"""

_VALIDATING_POLICY_READY = """\
-- gitopspol: Kyverno ValidatingPolicy is healthy once status.conditionStatus.ready is true.
hs = {}
if obj.status ~= nil and obj.status.conditionStatus ~= nil then
  local cs = obj.status.conditionStatus
  if cs.ready == true then
    hs.status = "Healthy"
    hs.message = cs.message
    return hs
  end
  if cs.conditions ~= nil then
    for _, condition in ipairs(cs.conditions) do
      if condition.status == "False" then
        hs.status = "Degraded"
        hs.message = condition.message
        return hs
      end
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for Kyverno to report the policy ready"
return hs
"""

# gatekeeper#1499: "created" alone is not enough after an update; every pod must have
# observed the template's generation before its constraints are applied.
_CONSTRAINT_TEMPLATE_READY = """\
-- gitopspol: a ConstraintTemplate is healthy once its CRD is created and every Gatekeeper
-- pod has ingested the current generation without errors.
hs = {}
if obj.status == nil or obj.status.created ~= true then
  hs.status = "Progressing"
  hs.message = "Waiting for Gatekeeper to create the constraint CRD"
  return hs
end
if obj.status.byPod ~= nil then
  for _, pod in ipairs(obj.status.byPod) do
    if pod.errors ~= nil and #pod.errors > 0 then
      hs.status = "Degraded"
      hs.message = pod.errors[1].message
      return hs
    end
    if pod.observedGeneration ~= obj.metadata.generation then
      hs.status = "Progressing"
      hs.message = "Waiting for every Gatekeeper pod to observe the template"
      return hs
    end
  end
end
hs.status = "Healthy"
hs.message = "Constraint CRD created"
return hs
"""

_KUBEWARDEN_POLICY_ACTIVE = """\
-- gitopspol: a Kubewarden policy is healthy once its PolicyServer serves it (policyStatus
-- active); unscheduled, scheduled and pending mean it is not enforced yet.
hs = {}
if obj.status ~= nil and obj.status.policyStatus == "active" then
  hs.status = "Healthy"
  hs.message = "Policy active"
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for the PolicyServer to serve the policy"
if obj.status ~= nil and obj.status.policyStatus ~= nil then
  hs.message = "Policy " .. obj.status.policyStatus
end
return hs
"""

_CONDITIONS_TRUE = """\
-- gitopspol: healthy once every status condition is True (Degraded on a False one).
hs = {}
if obj.status ~= nil and obj.status.conditions ~= nil and #obj.status.conditions > 0 then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.status == "False" then
      hs.status = "Degraded"
      hs.message = condition.message
      return hs
    end
    if condition.status ~= "True" then
      hs.status = "Progressing"
      hs.message = condition.message
      return hs
    end
  end
  hs.status = "Healthy"
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for the controller to report status"
return hs
"""

#: ``resource.customizations.health.<group>_<kind>`` scripts, per engine.
HEALTH_CHECKS: dict[str, tuple[tuple[str, str], ...]] = {
    "kyverno": (
        ("kyverno.io_ClusterPolicy", _KYVERNO_READY),
        ("policies.kyverno.io_ValidatingPolicy", _VALIDATING_POLICY_READY),
    ),
    "gatekeeper": (("templates.gatekeeper.sh_ConstraintTemplate", _CONSTRAINT_TEMPLATE_READY),),
    "kubewarden": (
        ("policies.kubewarden.io_AdmissionPolicy", _KUBEWARDEN_POLICY_ACTIVE),
        ("policies.kubewarden.io_AdmissionPolicyGroup", _KUBEWARDEN_POLICY_ACTIVE),
        ("policies.kubewarden.io_ClusterAdmissionPolicy", _KUBEWARDEN_POLICY_ACTIVE),
        ("policies.kubewarden.io_ClusterAdmissionPolicyGroup", _KUBEWARDEN_POLICY_ACTIVE),
        ("policies.kubewarden.io_PolicyServer", _CONDITIONS_TRUE),
    ),
}


def generate(repo: Repository, src: Source) -> list[GeneratedFile]:
    """Every Argo CD file for ``repo``: project, per-tier ApplicationSets or per-cluster
    Applications, and the health-check ConfigMap fragment."""
    files = [
        GeneratedFile.of(f"{FOLDER}/appproject.yaml", (app_project(repo, src),), ("clusters",)),
    ]
    checks = health_checks(repo)
    if checks is not None:
        files.append(GeneratedFile.of(f"{FOLDER}/argocd-cm-health.yaml", (checks,), ("engines",)))
    for index, tier in enumerate(repo.tiers):
        labelled = tuple(c.name for c in repo.clusters if c.tier == tier.name and not c.server)
        if labelled:
            files.append(
                GeneratedFile.of(
                    f"{FOLDER}/applicationset-{tier.name}.yaml",
                    (application_set(repo, src, tier.name, labelled),),
                    ("tiers", _tier_index(repo, tier.name, index)),
                    labelled,
                )
            )
    for cluster in repo.clusters:
        if cluster.server:
            files.append(
                GeneratedFile.of(
                    f"{FOLDER}/application-{cluster.name}.yaml",
                    (application(src, cluster.name, cluster.tier, cluster.server),),
                    ("clusters", cluster_index(repo, cluster.name)),
                )
            )
    return files


def _tier_index(repo: Repository, name: str, fallback: int) -> int:
    """Index of tier ``name`` in gitopspol.yaml (the model sorts tiers by rank)."""
    from gitopspol import yamlio

    data = yamlio.load_file(repo.config_file)
    tiers = data.get("tiers") if isinstance(data, dict) else None
    for index, entry in enumerate(tiers if isinstance(tiers, list) else []):
        if isinstance(entry, dict) and entry.get("name") == name:
            return index
    return fallback


def policy_kinds(repo: Repository) -> list[dict[str, str]]:
    """The cluster-scoped kinds the tiers may carry: the enabled engines' policy kinds,
    ValidatingAdmissionPolicy (+ binding), and Namespace (PSA labels)."""
    kinds = [k for engine in repo.engines for k in ENGINE_KINDS.get(engine, ())]
    kinds.extend(COMMON_KINDS)
    if ("", "Namespace") not in kinds:
        kinds.append(("", "Namespace"))
    return [{"group": group, "kind": kind} for group, kind in sorted(set(kinds))]


def app_project(repo: Repository, src: Source) -> dict[str, Any]:
    """The AppProject every policy Application belongs to: this repository only, the fleet's
    clusters only, policy kinds only."""
    destinations = [
        {"server": c.server, "namespace": "*"} if c.server else {"name": c.name, "namespace": "*"}
        for c in sorted(repo.clusters, key=lambda c: c.name)
    ]
    spec: dict[str, Any] = {
        "description": f"Admission policies of {repo.name}, distributed by gitopspol",
        "sourceRepos": [src.repo_url],
        "destinations": destinations,
        "clusterResourceWhitelist": policy_kinds(repo),
        # Namespaced kinds: only the engines' namespaced policies (none in the scaffold).
        "namespaceResourceWhitelist": [
            {"group": group, "kind": kind}
            for group, kind in sorted(
                {k for engine in repo.engines for k in ENGINE_NAMESPACED_KINDS.get(engine, ())}
            )
        ],
    }
    return {
        "apiVersion": API,
        "kind": "AppProject",
        "metadata": {"name": PROJECT, "namespace": NAMESPACE},
        "spec": spec,
    }


def _app_spec(src: Source, tier: str, destination: dict[str, str]) -> dict[str, Any]:
    return {
        "project": PROJECT,
        "source": {
            "repoURL": src.repo_url,
            "targetRevision": src.revision,
            "path": f"environments/{tier}",
        },
        "destination": destination,
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": list(SYNC_OPTIONS),
            "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
        },
    }


def _app_metadata(name: str, tier: str) -> dict[str, Any]:
    return {
        "name": name,
        "labels": {TIER_LABEL: tier},
        "annotations": {"argocd.argoproj.io/compare-options": COMPARE_OPTIONS},
    }


def application_set(
    repo: Repository, src: Source, tier: str, clusters: tuple[str, ...]
) -> dict[str, Any]:
    """The ApplicationSet of one tier: an Application per cluster labelled with the tier
    (and listed in that tier in gitopspol.yaml)."""
    return {
        "apiVersion": API,
        "kind": "ApplicationSet",
        "metadata": {"name": f"policies-{tier}", "namespace": NAMESPACE},
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [
                {
                    "clusters": {"selector": {"matchLabels": {TIER_LABEL: tier}}},
                    # Post-selector: the clusters gitopspol.yaml puts in this tier.
                    "selector": {
                        "matchExpressions": [
                            {"key": "name", "operator": "In", "values": sorted(clusters)}
                        ]
                    },
                }
            ],
            "template": {
                "metadata": _app_metadata("policies-{{.nameNormalized}}", tier),
                "spec": _app_spec(src, tier, {"name": "{{.name}}"}),
            },
            "syncPolicy": {"preserveResourcesOnDeletion": True},
        },
    }


def application(src: Source, cluster: str, tier: str, server: str) -> dict[str, Any]:
    """The Application of one cluster listed with its API server URL."""
    metadata = _app_metadata(f"policies-{cluster}", tier)
    metadata["namespace"] = NAMESPACE
    return {
        "apiVersion": API,
        "kind": "Application",
        "metadata": metadata,
        "spec": _app_spec(src, tier, {"server": server}),
    }


def health_checks(repo: Repository) -> dict[str, Any] | None:
    """The ``argocd-cm`` fragment with the Lua health checks of the enabled engines' kinds
    (None when no enabled engine needs one). Apply it with ``kubectl apply --server-side``
    (or merge its keys into your argocd-cm) so the other keys of argocd-cm are kept."""
    data = {
        f"resource.customizations.health.{key}": script
        for engine in repo.engines
        for key, script in HEALTH_CHECKS.get(engine, ())
    }
    if not data:
        return None
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "argocd-cm",
            "namespace": NAMESPACE,
            "labels": {
                "app.kubernetes.io/name": "argocd-cm",
                "app.kubernetes.io/part-of": "argocd",
            },
        },
        "data": dict(sorted(data.items())),
    }
