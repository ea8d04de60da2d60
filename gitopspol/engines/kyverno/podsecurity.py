"""``validate.podSecurity``: Pod Security Standards through gitopspol's PSA engine.

Kyverno's ``exclude`` entries name a control (``controlName``) and optionally images; the
control is mapped onto the PSA check IDs and exempted the way upstream ``pkg/pss`` does:
when a reduced pod (pod-level fields only, or only the containers whose image matches)
fails the same checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gitopspol.engines.kyverno.values import wildcard_match
from gitopspol.errors import PolicyError

_CONTAINER_KEYS = ("containers", "initContainers", "ephemeralContainers")
#: Pod Security Standards control names -> upstream PSA check IDs (upstream pkg/pss/utils).
CONTROL_CHECKS: dict[str, tuple[str, ...]] = {
    "HostProcess": ("windowsHostProcess",),
    "Host Namespaces": ("hostNamespaces",),
    "Privileged Containers": ("privileged",),
    "Capabilities": ("capabilities_baseline", "capabilities_restricted"),
    "HostPath Volumes": ("hostPathVolumes",),
    "Host Ports": ("hostPorts",),
    "AppArmor": ("appArmorProfile",),
    "SELinux": ("seLinuxOptions",),
    "/proc Mount Type": ("procMount", "procMount_restricted"),
    "Host Probes / Lifecycle Hooks": ("hostProbesAndHostLifecycle",),
    "Seccomp": ("seccompProfile_baseline", "seccompProfile_restricted"),
    "Sysctls": ("sysctls",),
    "Volume Types": ("restrictedVolumes",),
    "Privilege Escalation": ("allowPrivilegeEscalation",),
    "Running as Non-root": ("runAsNonRoot",),
    "Running as Non-root user": ("runAsUser",),
}


def pod_template(resource: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Pod template (``metadata`` and ``spec``) of a Pod or a Pod controller.

    Pods are their own template; DaemonSet, Deployment, Job, ReplicaSet, StatefulSet,
    ReplicationController use ``spec.template``, CronJob ``spec.jobTemplate.spec.template``.
    None for other kinds.
    """
    spec = resource.get("spec")
    if not isinstance(spec, dict):
        return None
    if resource.get("kind") == "Pod":
        return {"metadata": resource.get("metadata") or {}, "spec": spec}
    if resource.get("kind") == "CronJob":
        job = spec.get("jobTemplate")
        spec = job.get("spec") if isinstance(job, dict) else None
    template = spec.get("template") if isinstance(spec, dict) else None
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return None
    return {"metadata": template.get("metadata") or {}, "spec": template["spec"]}


def pod_of(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A Pod object for a Pod or for a Pod controller's template."""
    if resource.get("kind") == "Pod":
        return dict(resource)
    template = pod_template(resource) or {"metadata": {}, "spec": {}}
    meta = dict(template["metadata"]) if isinstance(template["metadata"], dict) else {}
    meta.setdefault("namespace", (resource.get("metadata") or {}).get("namespace"))
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template["spec"]}


def _reduced_pod(pod: Mapping[str, Any], images: Sequence[str]) -> dict[str, Any]:
    """The pod upstream evaluates to decide whether an exclude applies.

    Without images: the pod with one empty container (pod-level fields only). With images:
    only the containers whose image matches, and no pod-level fields (upstream
    ``GetPodWithMatchingContainers``).
    """
    spec = pod.get("spec") or {}
    if not images:
        reduced = {k: v for k, v in spec.items() if k not in _CONTAINER_KEYS}
        reduced["containers"] = [{"name": "fake"}]
        return {**pod, "spec": reduced}
    meta = pod.get("metadata") or {}
    matching: dict[str, Any] = {}
    for key in _CONTAINER_KEYS:
        chosen = [
            c
            for c in spec.get(key) or []
            if isinstance(c, dict)
            and any(wildcard_match(i, str(c.get("image", ""))) for i in images)
        ]
        if chosen:
            matching[key] = chosen
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {k: meta[k] for k in ("name", "namespace") if k in meta},
        "spec": matching,
    }


def evaluate_pod_security(
    resource: Mapping[str, Any], settings: Mapping[str, Any]
) -> tuple[bool, str]:
    """``(failed, message)`` for one podSecurity block on a Pod or Pod controller."""
    level = str(settings.get("level", "")).lower()
    if level not in ("privileged", "baseline", "restricted"):
        raise PolicyError(f"unknown Pod Security level {settings.get('level')!r}")
    version = str(settings.get("version") or "latest")
    excludes = [e for e in settings.get("exclude") or [] if isinstance(e, dict)]
    for exclude in excludes:
        if str(exclude.get("controlName", "")) not in CONTROL_CHECKS:
            raise PolicyError(f"unknown Pod Security control {exclude.get('controlName')!r}")
    try:
        from gitopspol.engines import psa
    except ImportError:
        raise PolicyError("the PSA engine (gitopspol.engines.psa) is not available") from None
    pod = pod_of(resource)
    remaining = list(psa.evaluate(pod, level, version).violations)
    for exclude in excludes:
        # upstream EvaluatePod: a control is exempted when the reduced pod fails it too.
        images = [str(i) for i in exclude.get("images") or []]
        reduced = psa.evaluate(_reduced_pod(pod, images), level, version)
        exempt = set(CONTROL_CHECKS[str(exclude["controlName"])]) & {
            v.check for v in reduced.violations
        }
        remaining = [v for v in remaining if v.check not in exempt]
    message = "; ".join(f"{v.check}: {v.message}" for v in remaining)
    return bool(remaining), message
