"""Evaluate a Pod, or the pod template of a workload, at a level and version.

The check table for each (level, minor) is built once and cached: the active checks, each at
its newest revision not newer than the minor, baseline checks first then restricted, each
group in check-ID byte order, minus the baseline checks an active restricted revision
overrides (corpus README §4.2-4.3).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitopspol.engines.psa.checks import CHECKS, Check, PodView, Violation
from gitopspol.engines.psa.versions import (
    BASELINE,
    NEWEST_MINOR,
    PRIVILEGED,
    RESTRICTED,
    check_level,
    parse_version,
)


@dataclass(frozen=True, slots=True)
class PsaResult:
    """The verdict for one object: allowed, and the failed checks in upstream order.

    ``applicable`` is False for kinds PSA does not evaluate (always allowed).
    """

    allowed: bool
    violations: tuple[Violation, ...] = ()
    applicable: bool = True

    def message(self, level: str, version: str) -> str:
        """Upstream's text: ``violates PodSecurity "<level>:<version>": reason (detail), ...``."""
        details = ", ".join(v.message for v in self.violations)
        return f'violates PodSecurity "{level}:{version}": {details}'


_ALLOWED = PsaResult(True)
_NOT_APPLICABLE = PsaResult(True, (), False)


@functools.cache
def checks_for(level: str, minor: int) -> tuple[tuple[str, Check], ...]:
    """The ``(check ID, function)`` pairs run at ``level`` and policy minor ``minor``."""
    check_level(level)
    if level == PRIVILEGED:
        return ()
    levels = (BASELINE,) if level == BASELINE else (BASELINE, RESTRICTED)
    active: dict[str, tuple[str, Check]] = {}
    overridden: set[str] = set()
    for spec in CHECKS:
        if spec.level not in levels:
            continue
        revisions = [fn for since, fn in spec.revisions if since <= minor]
        if not revisions:
            continue
        active[spec.id] = (spec.level, revisions[-1])
        if spec.overrides is not None:
            overridden.add(spec.overrides)
    ordered = sorted(
        (
            (lvl, check_id, fn)
            for check_id, (lvl, fn) in active.items()
            if check_id not in overridden
        ),
        key=lambda item: (item[0] != BASELINE, item[1]),
    )
    return tuple((check_id, fn) for _, check_id, fn in ordered)


#: kind -> (API groups, path to the pod template (metadata + spec) inside the object).
WORKLOADS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "Pod": (frozenset({""}), ()),
    "PodTemplate": (frozenset({""}), ("template",)),
    "ReplicationController": (frozenset({""}), ("spec", "template")),
    "ReplicaSet": (frozenset({"apps", "extensions"}), ("spec", "template")),
    "Deployment": (frozenset({"apps", "extensions"}), ("spec", "template")),
    "StatefulSet": (frozenset({"apps"}), ("spec", "template")),
    "DaemonSet": (frozenset({"apps", "extensions"}), ("spec", "template")),
    "Job": (frozenset({"batch"}), ("spec", "template")),
    "CronJob": (frozenset({"batch"}), ("spec", "jobTemplate", "spec", "template")),
}


def pod_view(obj: Mapping[str, Any]) -> PodView | None:
    """The pod metadata and spec PSA evaluates for ``obj``, or None when not applicable.

    Only the template's own metadata counts (annotations on the Deployment are ignored). A
    ReplicationController without a template is skipped, as upstream.
    """
    kind = obj.get("kind")
    entry = WORKLOADS.get(kind) if isinstance(kind, str) else None
    if entry is None:
        return None
    groups, path = entry
    api_version = obj.get("apiVersion")
    # A kind of another API group (a CRD named Deployment) is not PSA's; a manifest that
    # omits apiVersion is taken at its kind.
    if api_version is not None and str(api_version).rpartition("/")[0] not in groups:
        return None
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if node is None and kind == "ReplicationController":
        return None
    if not isinstance(node, dict):
        node = {}
    prefix = "".join(f"{key}." for key in path)
    return PodView(node.get("metadata"), node.get("spec"), f"{prefix}metadata", f"{prefix}spec")


@functools.lru_cache(maxsize=256)
def _checks_for_version(level: str, version: str, latest: int) -> tuple[tuple[str, Check], ...]:
    """:func:`checks_for` by version text; parsing is cached too (the hot path)."""
    return checks_for(level, parse_version(version, latest))


def _run(view: PodView, checks: tuple[tuple[str, Check], ...]) -> PsaResult:
    violations = []
    for _, check in checks:
        violation = check(view)
        if violation is not None:
            violations.append(violation)
    if not violations:
        return _ALLOWED
    return PsaResult(False, tuple(violations))


def evaluate_view(view: PodView, level: str, minor: int) -> PsaResult:
    """Run the checks of ``level`` at ``minor`` on a prepared pod."""
    return _run(view, checks_for(level, minor))


def evaluate(
    obj: Mapping[str, Any], level: str, version: str = "latest", *, latest: int = NEWEST_MINOR
) -> PsaResult:
    """Evaluate the Pod Security Standards for a Pod or a workload's pod template.

    ``level`` is privileged, baseline or restricted; ``version`` is ``v1.<minor>`` or
    ``latest``. ``latest`` and minors newer than ``latest`` (default: the newest version
    gitopspol knows) select that newest policy. Kinds PSA does not evaluate are allowed with
    ``applicable=False``. A workload gets the verdict the Pods it creates would get. Raises
    :class:`~gitopspol.errors.InputError` for an unknown level or version.
    """
    checks = _checks_for_version(level, version, latest)
    view = pod_view(obj)
    if view is None:
        return _NOT_APPLICABLE
    return _run(view, checks)
