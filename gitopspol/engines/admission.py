"""What every engine evaluates: an admission request, and what it says about it.

The engines (PSA, Kyverno, ValidatingPolicy/VAP, Gatekeeper) share these records so that
``gitopspol test`` and ``gitopspol check`` can combine their answers into the admission
verdict a cluster would give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: Kinds that are not namespaced (built-in and the policy engines' own; offline there is no
#: discovery, so any other kind is treated as namespaced). One table for every engine.
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "ClusterCleanupPolicy",
        "ClusterIssuer",
        "ClusterPolicy",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "ConstraintTemplate",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingPolicy",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingPolicy",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)


@dataclass(frozen=True, slots=True)
class AdmissionRequest:
    """One object under review, as an API server would present it to admission."""

    object: dict[str, Any] | None
    old_object: dict[str, Any] | None = None
    operation: str = "CREATE"
    #: The Namespace object of ``object``'s namespace, when known.
    namespace_object: dict[str, Any] | None = None
    #: ``{"username": ..., "groups": [...], "uid": ...}``; roles/clusterRoles for Kyverno.
    user_info: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def resource(self) -> dict[str, Any]:
        """The object the request is about (``old_object`` for DELETE)."""
        return self.object if self.object is not None else (self.old_object or {})

    @property
    def kind(self) -> str:
        return str(self.resource.get("kind", ""))

    @property
    def group_version(self) -> tuple[str, str]:
        api = str(self.resource.get("apiVersion", ""))
        group, _, version = api.rpartition("/")
        return group, version

    @property
    def name(self) -> str:
        return str(self._metadata.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self._metadata.get("namespace", "") or "")

    @property
    def _metadata(self) -> dict[str, Any]:
        # A malformed object (metadata that is not a mapping) has no name or namespace.
        metadata = self.resource.get("metadata")
        return metadata if isinstance(metadata, dict) else {}


class Status(StrEnum):
    """Outcome of one rule (or policy, or constraint) on one request."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # did not match / precondition false
    ERROR = "error"  # could not be evaluated; message says why
    NOT_EVALUATED = "not evaluated"  # mutate, generate, verifyImages, missing module ...


class Action(StrEnum):
    """What admission does with a failure, across engines.

    Kyverno Enforce/Audit, ValidatingPolicy and VAP Deny/Warn/Audit, Gatekeeper
    deny/warn/dryrun and PSA enforce/warn/audit all map onto these, ordered by strength.
    """

    AUDIT = "audit"
    WARN = "warn"
    DENY = "deny"

    @property
    def rank(self) -> int:
        return {"audit": 0, "warn": 1, "deny": 2}[self.value]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One engine's answer for one policy rule on one request."""

    engine: str  # "psa" | "kyverno" | "vpol" | "vap" | "gatekeeper" | "kubewarden"
    policy: str
    rule: str | None
    status: Status
    message: str = ""
    #: What the cluster does when status is FAIL; empty for several actions (VAP Warn+Audit).
    actions: tuple[Action, ...] = ()
