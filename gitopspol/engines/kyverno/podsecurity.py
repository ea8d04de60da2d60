"""``validate.podSecurity``: Pod Security Standards through gitopspol's PSA engine.

Kyverno's ``exclude`` entries name a control (``controlName``), optionally images and a
restricted field with allowed values; they are mapped onto the PSA check IDs and the
field paths the PSA engine reports (upstream ``pkg/pss``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from gitopspol.engines.kyverno.values import wildcard_match
from gitopspol.errors import PolicyError

#: Pod Security Standards control names -> upstream PSA check IDs.
CONTROL_CHECKS: dict[str, tuple[str, ...]] = {
    "HostProcess": ("windowsHostProcess",),
    "Host Namespaces": ("hostNamespaces",),
    "Privileged Containers": ("privileged",),
    "Capabilities": ("capabilities_baseline", "capabilities_restricted"),
    "HostPath Volumes": ("hostPathVolumes",),
    "Host Ports": ("hostPorts",),
    "AppArmor": ("appArmorProfile",),
    "SELinux": ("seLinuxOptions",),
    "/proc Mount Type": ("procMount",),
    "Seccomp": ("seccompProfile_baseline", "seccompProfile_restricted"),
    "Sysctls": ("sysctls",),
    "Volume Types": ("restrictedVolumes",),
    "Privilege Escalation": ("allowPrivilegeEscalation",),
    "Running as Non-root": ("runAsNonRoot",),
    "Running as Non-root user": ("runAsUser",),
}
_CONTAINER_RE = re.compile(r"^spec\.(containers|initContainers|ephemeralContainers)\[(\d+)\]")


def pod_of(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A Pod object for a Pod or for a Pod controller's template."""
    kind = resource.get("kind")
    if kind == "Pod":
        return dict(resource)
    spec = resource.get("spec") or {}
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    template = spec.get("template") or {}
    meta = dict(template.get("metadata") or {})
    meta.setdefault("namespace", (resource.get("metadata") or {}).get("namespace"))
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template.get("spec") or {}}


def _excluded(
    violation: Any, pod: Mapping[str, Any], excludes: Sequence[Mapping[str, Any]]
) -> bool:
    fields = list(getattr(violation, "fields", ()) or ())
    check = str(getattr(violation, "check", ""))
    spec = pod.get("spec") or {}
    for exclude in excludes:
        checks = CONTROL_CHECKS.get(str(exclude.get("controlName", "")), ())
        if check not in checks:
            continue
        images = [str(i) for i in exclude.get("images") or []]
        if not fields:
            if not images:
                return True
            continue
        covered = True
        for path in fields:
            match = _CONTAINER_RE.match(path)
            if match is None:
                covered = covered and not images
                continue
            containers = spec.get(match.group(1)) or []
            index = int(match.group(2))
            image = str(containers[index].get("image", "")) if index < len(containers) else ""
            covered = covered and bool(images) and any(wildcard_match(i, image) for i in images)
        if covered:
            return True
    return False


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
    result = psa.evaluate(pod, level, version)
    remaining = [v for v in result.violations if not _excluded(v, pod, excludes)]
    message = "; ".join(f"{v.check}: {v.message}" for v in remaining)
    return bool(remaining), message
