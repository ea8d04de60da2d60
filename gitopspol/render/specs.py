"""Kustomize's built-in field specs, cluster-scope table and strategic-merge keys.

Field specs say which fields a transformer touches (``api/konfig/builtinpluginconsts`` in
kubernetes-sigs/kustomize v5.5.0). A spec applies to a resource when each of its non-empty
group/version/kind equals the resource's; its path is ``/``-separated (``\\/`` escapes a
slash, ``name[]`` marks a list), and lists on the way are walked element by element.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gitopspol.errors import RenderError


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Which field of which kinds a transformer touches."""

    path: str
    group: str = ""
    version: str = ""
    kind: str = ""
    create: bool = False

    def selects(self, group: str, version: str, kind: str) -> bool:
        """Whether the spec applies to a resource of this group/version/kind."""
        return (
            (not self.group or self.group == group)
            and (not self.version or self.version == version)
            and (not self.kind or self.kind == kind)
        )

    @property
    def segments(self) -> tuple[str, ...]:
        """The path split on unescaped slashes (cached)."""
        return _split_path(self.path)


@functools.lru_cache(maxsize=4096)
def _split_path(path: str) -> tuple[str, ...]:
    return tuple(split_path(path))


def split_path(path: str) -> list[str]:
    """Split a field-spec path on ``/`` (``\\/`` is a literal slash)."""
    parts: list[str] = []
    current = ""
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "\\" and i + 1 < len(path) and path[i + 1] == "/":
            current += "/"
            i += 2
            continue
        if ch == "/":
            parts.append(current)
            current = ""
        else:
            current += ch
        i += 1
    parts.append(current)
    return [p for p in parts if p != ""]


def spec(
    path: str, kind: str = "", group: str = "", version: str = "", create: bool = False
) -> FieldSpec:
    """Shorthand constructor used by the tables below."""
    return FieldSpec(path=path, group=group, version=version, kind=kind, create=create)


def parse_specs(items: Any, source: str, line: int | None = None) -> list[FieldSpec]:
    """Field specs from a configuration list (``configurations:``, transformer configs)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise RenderError("expected a list of field specs", source, line)
    out: list[FieldSpec] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise RenderError(f"invalid field spec {item!r}: needs a path", source, line)
        out.append(
            FieldSpec(
                path=item["path"],
                group=str(item.get("group") or ""),
                version=str(item.get("version") or ""),
                kind=str(item.get("kind") or ""),
                create=bool(item.get("create", False)),
            )
        )
    return out


METADATA_LABELS = [
    spec("metadata/labels", create=True),
    spec("spec/template/metadata/labels", "ReplicationController", version="v1", create=True),
    spec("spec/template/metadata/labels", "Deployment", create=True),
    spec("spec/template/metadata/labels", "ReplicaSet", create=True),
    spec("spec/template/metadata/labels", "DaemonSet", create=True),
    spec("spec/template/metadata/labels", "StatefulSet", group="apps", create=True),
    spec("spec/volumeClaimTemplates[]/metadata/labels", "StatefulSet", group="apps", create=True),
    spec("spec/template/metadata/labels", "Job", group="batch", create=True),
    spec("spec/jobTemplate/metadata/labels", "CronJob", group="batch", create=True),
    spec("spec/jobTemplate/spec/template/metadata/labels", "CronJob", group="batch", create=True),
]

_AFFINITY = [
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
]

COMMON_LABELS = [
    spec("spec/selector", "Service", version="v1", create=True),
    spec("spec/selector", "ReplicationController", version="v1", create=True),
    spec("spec/selector/matchLabels", "Deployment", create=True),
    *[spec(p, "Deployment", group="apps") for p in _AFFINITY],
    spec("spec/selector/matchLabels", "ReplicaSet", create=True),
    spec("spec/selector/matchLabels", "DaemonSet", create=True),
    spec("spec/selector/matchLabels", "StatefulSet", group="apps", create=True),
    *[spec(p, "StatefulSet", group="apps") for p in _AFFINITY],
    spec("spec/selector/matchLabels", "Job", group="batch"),
    spec("spec/jobTemplate/spec/selector/matchLabels", "CronJob", group="batch"),
    spec("spec/selector/matchLabels", "PodDisruptionBudget", group="policy"),
    spec("spec/podSelector/matchLabels", "NetworkPolicy", group="networking.k8s.io"),
    spec("spec/ingress/from/podSelector/matchLabels", "NetworkPolicy", group="networking.k8s.io"),
    spec("spec/egress/to/podSelector/matchLabels", "NetworkPolicy", group="networking.k8s.io"),
    *METADATA_LABELS,
]

TEMPLATE_LABELS = METADATA_LABELS[1:]

COMMON_ANNOTATIONS = [
    spec("metadata/annotations", create=True),
    spec("spec/template/metadata/annotations", "ReplicationController", version="v1", create=True),
    spec("spec/template/metadata/annotations", "Deployment", create=True),
    spec("spec/template/metadata/annotations", "ReplicaSet", create=True),
    spec("spec/template/metadata/annotations", "DaemonSet", create=True),
    spec("spec/template/metadata/annotations", "StatefulSet", create=True),
    spec("spec/template/metadata/annotations", "Job", group="batch", create=True),
    spec("spec/jobTemplate/metadata/annotations", "CronJob", group="batch", create=True),
    spec(
        "spec/jobTemplate/spec/template/metadata/annotations", "CronJob", group="batch", create=True
    ),
]

NAME_PREFIX = [spec("metadata/name")]
NAME_SUFFIX = [spec("metadata/name")]

NAMESPACE = [
    spec("metadata/namespace", create=True),
    spec("metadata/name", "Namespace", create=True),
    spec("subjects[]/namespace", "RoleBinding"),
    spec("subjects[]/namespace", "ClusterRoleBinding"),
    spec("spec/service/namespace", "APIService", group="apiregistration.k8s.io", create=True),
    spec(
        "spec/conversion/webhook/clientConfig/service/namespace",
        "CustomResourceDefinition",
        group="apiextensions.k8s.io",
    ),
]

IMAGES = [
    spec("spec/containers[]/image", create=True),
    spec("spec/initContainers[]/image", create=True),
    spec("spec/template/spec/containers[]/image", create=True),
    spec("spec/template/spec/initContainers[]/image", create=True),
]

REPLICAS = [
    spec("spec/replicas", "Deployment", create=True),
    spec("spec/replicas", "ReplicationController", create=True),
    spec("spec/replicas", "ReplicaSet", create=True),
    spec("spec/replicas", "StatefulSet", create=True),
]


def _varref_specs() -> list[FieldSpec]:
    out: list[FieldSpec] = []
    templates = {
        "CronJob": "spec/jobTemplate/spec/template/spec/",
        "DaemonSet": "spec/template/spec/",
        "Deployment": "spec/template/spec/",
        "Job": "spec/template/spec/",
        "Pod": "spec/",
        "ReplicaSet": "spec/template/spec/",
        "StatefulSet": "spec/template/spec/",
    }
    for kind, base in templates.items():
        for box in ("containers", "initContainers"):
            for leaf in ("args", "command", "env/value", "volumeMounts/mountPath"):
                out.append(spec(f"{base}{box}/{leaf}", kind))
        if kind != "StatefulSet":
            out.append(spec(f"{base}volumes/nfs/server", kind))
    out += [
        spec("spec/rules/host", "Ingress"),
        spec("spec/tls/hosts", "Ingress"),
        spec("spec/tls/secretName", "Ingress"),
        spec("spec/ports/port", "Service"),
        spec("spec/ports/targetPort", "Service"),
        spec("spec/volumeClaimTemplates/spec/nfs/server", "StatefulSet"),
        spec("spec/nfs/server", "PersistentVolume"),
        spec("metadata/labels"),
        spec("metadata/annotations"),
    ]
    return out


VAR_REFERENCE = _varref_specs()


@dataclass(frozen=True, slots=True)
class NameBackRef:
    """A kind that others refer to by name, and the fields that refer to it."""

    kind: str
    group: str
    version: str
    referrers: tuple[FieldSpec, ...]


def _workload_refs(fields: Iterable[str], pod_version: str = "v1") -> list[FieldSpec]:
    """The same pod-spec fields for Pod, the workload kinds and CronJob."""
    out: list[FieldSpec] = []
    for f in fields:
        out.append(spec(f"spec/{f}", "Pod", version=pod_version))
    for f in fields:
        out.append(spec(f"template/spec/{f}", "PodTemplate"))
    for kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"):
        for f in fields:
            out.append(spec(f"spec/template/spec/{f}", kind))
    for f in fields:
        out.append(spec(f"spec/jobTemplate/spec/template/spec/{f}", "CronJob"))
    return out


_CM_FIELDS = [
    "volumes/configMap/name",
    "containers/env/valueFrom/configMapKeyRef/name",
    "initContainers/env/valueFrom/configMapKeyRef/name",
    "containers/envFrom/configMapRef/name",
    "initContainers/envFrom/configMapRef/name",
    "volumes/projected/sources/configMap/name",
]
_SECRET_FIELDS = [
    "volumes/secret/secretName",
    "containers/env/valueFrom/secretKeyRef/name",
    "initContainers/env/valueFrom/secretKeyRef/name",
    "containers/envFrom/secretRef/name",
    "initContainers/envFrom/secretRef/name",
    "imagePullSecrets/name",
    "volumes/projected/sources/secret/name",
]
_SA_KINDS = ("StatefulSet", "Deployment", "ReplicationController", "Job", "DaemonSet")
_PVC_KINDS = ("StatefulSet", "Deployment", "ReplicationController", "Job", "DaemonSet")


def _name_refs() -> list[NameBackRef]:
    rbac = "rbac.authorization.k8s.io"
    hpa = [spec("spec/scaleTargetRef/name", "HorizontalPodAutoscaler")]
    refs = [
        NameBackRef("Deployment", "", "", tuple(hpa)),
        NameBackRef("ReplicationController", "", "", tuple(hpa)),
        NameBackRef("ReplicaSet", "", "", tuple(hpa)),
        NameBackRef("StatefulSet", "", "", tuple(hpa)),
        NameBackRef(
            "ConfigMap",
            "",
            "v1",
            (
                *_workload_refs(_CM_FIELDS),
                spec("spec/configSource/configMap", "Node"),
                spec("rules/resourceNames", "Role"),
                spec("rules/resourceNames", "ClusterRole"),
                spec(
                    "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap",
                    "Ingress",
                ),
                spec(
                    "spec/template/spec/containers/env/valueFrom/configMapKeyRef/name",
                    "Service",
                    "serving.knative.dev",
                    "v1",
                ),
                spec(
                    "spec/template/spec/containers/envFrom/configMapRef/name",
                    "Service",
                    "serving.knative.dev",
                    "v1",
                ),
            ),
        ),
        NameBackRef(
            "Secret",
            "",
            "v1",
            (
                *_workload_refs(_SECRET_FIELDS),
                spec("spec/tls/secretName", "Ingress"),
                spec("metadata/annotations/ingress.kubernetes.io\\/auth-secret", "Ingress"),
                spec("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret", "Ingress"),
                spec(
                    "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret", "Ingress"
                ),
                spec("imagePullSecrets/name", "ServiceAccount"),
                spec("parameters/secretName", "StorageClass"),
                spec("parameters/adminSecretName", "StorageClass"),
                spec("parameters/userSecretName", "StorageClass"),
                spec("parameters/secretRef", "StorageClass"),
                spec("rules/resourceNames", "Role"),
                spec("rules/resourceNames", "ClusterRole"),
                spec(
                    "spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
                    "Service",
                    "serving.knative.dev",
                    "v1",
                ),
                spec("spec/azureFile/secretName", "PersistentVolume"),
            ),
        ),
        NameBackRef(
            "Service",
            "",
            "v1",
            (
                spec("spec/serviceName", "StatefulSet", group="apps"),
                spec("spec/rules/http/paths/backend/serviceName", "Ingress"),
                spec("spec/backend/serviceName", "Ingress"),
                spec("spec/rules/http/paths/backend/service/name", "Ingress"),
                spec("spec/defaultBackend/service/name", "Ingress"),
                spec("spec/service/name", "APIService", group="apiregistration.k8s.io"),
                spec(
                    "webhooks/clientConfig/service",
                    "ValidatingWebhookConfiguration",
                    group="admissionregistration.k8s.io",
                ),
                spec(
                    "webhooks/clientConfig/service",
                    "MutatingWebhookConfiguration",
                    group="admissionregistration.k8s.io",
                ),
            ),
        ),
        NameBackRef("Role", rbac, "", (spec("roleRef/name", "RoleBinding", group=rbac),)),
        NameBackRef(
            "ClusterRole",
            rbac,
            "",
            (
                spec("roleRef/name", "RoleBinding", group=rbac),
                spec("roleRef/name", "ClusterRoleBinding", group=rbac),
            ),
        ),
        NameBackRef(
            "ServiceAccount",
            "",
            "v1",
            (
                spec("subjects", "RoleBinding", group=rbac),
                spec("subjects", "ClusterRoleBinding", group=rbac),
                spec("spec/serviceAccountName", "Pod"),
                *[spec("spec/template/spec/serviceAccountName", k) for k in _SA_KINDS],
                spec("spec/jobTemplate/spec/template/spec/serviceAccountName", "CronJob"),
            ),
        ),
        NameBackRef(
            "PersistentVolumeClaim",
            "",
            "v1",
            (
                spec("spec/volumes/persistentVolumeClaim/claimName", "Pod"),
                *[
                    spec("spec/template/spec/volumes/persistentVolumeClaim/claimName", k)
                    for k in _PVC_KINDS
                ],
                spec(
                    "spec/jobTemplate/spec/template/spec/volumes/persistentVolumeClaim/claimName",
                    "CronJob",
                ),
            ),
        ),
        NameBackRef(
            "PersistentVolume",
            "",
            "v1",
            (
                spec("spec/volumeName", "PersistentVolumeClaim"),
                spec("rules/resourceNames", "ClusterRole"),
            ),
        ),
        NameBackRef(
            "StorageClass",
            "storage.k8s.io",
            "v1",
            (
                spec("spec/storageClassName", "PersistentVolume"),
                spec("spec/storageClassName", "PersistentVolumeClaim"),
                spec("spec/volumeClaimTemplates/spec/storageClassName", "StatefulSet"),
            ),
        ),
        NameBackRef(
            "PriorityClass",
            "scheduling.k8s.io",
            "v1",
            (
                spec("spec/priorityClassName", "Pod"),
                *[spec("spec/template/spec/priorityClassName", k) for k in _SA_KINDS],
                spec("spec/jobTemplate/spec/template/spec/priorityClassName", "CronJob"),
            ),
        ),
        NameBackRef(
            "IngressClass",
            "networking.k8s.io/v1",
            "v1",
            (spec("spec/ingressClassName", "Ingress"),),
        ),
        NameBackRef(
            "ValidatingAdmissionPolicy",
            "admissionregistration.k8s.io",
            "",
            (
                spec(
                    "spec/policyName",
                    "ValidatingAdmissionPolicyBinding",
                    group="admissionregistration.k8s.io",
                ),
            ),
        ),
    ]
    return refs


NAME_REFERENCES = _name_refs()

# -- scope -----------------------------------------------------------------------------

#: (group, kind) of the cluster-scoped kinds kustomize's precomputed table knows
#: (kyaml/openapi, Kubernetes v1.21.2). Every other kind, CRDs included, is namespaced.
CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("policy", "PodSecurityPolicy"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("authentication.k8s.io", "TokenReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
        ("authorization.k8s.io", "SubjectAccessReview"),
        ("networking.k8s.io", "IngressClass"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    }
)

#: Groups of the built-in Kubernetes v1.21.2 schema (strategic-merge keys are known there).
BUILTIN_GROUPS: frozenset[str] = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "extensions",
        "storage.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "certificates.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "node.k8s.io",
        "flowcontrol.apiserver.k8s.io",
    }
)

#: kinds whose builtin kustomize prefix/suffix transformer leaves alone.
PREFIX_SKIP: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Namespace"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
    }
)


# -- traversal -------------------------------------------------------------------------


def apply_spec(
    node: Any,
    segments: tuple[str, ...] | list[str],
    create: Callable[[], Any] | None,
    setter: Callable[[dict[str, Any] | list[Any], str | int, Any], None],
) -> None:
    """Walk ``segments`` from ``node`` and call ``setter(parent, key, value)`` at the end.

    Lists met on the way are walked element by element (kyaml's fieldspec filter). A
    missing field is created (as a mapping, or with ``create()`` for the last segment)
    only when ``create`` is given and the segment is not marked as a list.
    """
    if not segments:
        return
    if isinstance(node, list):
        for item in node:
            apply_spec(item, segments, create, setter)
        return
    if not isinstance(node, dict):
        return
    head = segments[0]
    is_list = head.endswith("[]")
    key = head[:-2] if is_list else head
    last = len(segments) == 1
    value = node.get(key)
    if key not in node or value is None:
        if create is None or is_list:
            return
        value = create() if last else {}
        node[key] = value
    if last:
        setter(node, key, value)
    else:
        apply_spec(value, segments[1:], create, setter)


def _same(a: FieldSpec, b: FieldSpec) -> bool:
    """kustomize's ``effectivelyEquals``: same path, and one spec's kind selects the other."""
    if a.path != b.path:
        return False
    return a.selects(b.group, b.version, b.kind) or b.selects(a.group, a.version, a.kind)


def merge_specs(
    base: list[FieldSpec], extra: Iterable[FieldSpec], source: str = ""
) -> list[FieldSpec]:
    """Add ``extra`` to ``base`` (kustomize ``FsSlice.MergeAll``).

    A spec equal to one already present (same path, and an unrestricted group/version/kind
    counts as equal to any) is dropped; if the two disagree on ``create`` they conflict.
    """
    out = list(base)
    for fs in extra:
        clash = next((b for b in out if _same(b, fs)), None)
        if clash is None:
            out.append(fs)
        elif clash.create != fs.create:
            raise RenderError(
                f"conflicting fieldspecs for path {fs.path!r} (kind {fs.kind or '*'}): "
                "one creates the field, the other does not",
                source or None,
            )
    return out
