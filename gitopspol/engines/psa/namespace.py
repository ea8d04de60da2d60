"""Namespace labels, cluster defaults and exemptions, and the admission verdict per mode.

Label parsing follows kubernetes/pod-security-admission ``api/helpers.go``
(``PolicyToEvaluate``): an invalid ``enforce`` level fails closed (restricted), an invalid
``audit``/``warn`` level fails open (privileged), an invalid version means ``latest``, and
``warn`` takes the ``enforce`` level (and version, unless ``warn-version`` is set) when only
``enforce`` is labelled and it is stricter. Admission follows ``admission/admission.go``:
exempt namespaces, users and runtime classes skip every mode; Pods are denied by
``enforce``; workloads only get ``warn``/``audit`` (kubernetes/kubernetes#125507).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitopspol.engines.admission import Action, AdmissionRequest, RuleResult, Status
from gitopspol.engines.psa.policy import PsaResult, evaluate_view, pod_view
from gitopspol.engines.psa.versions import (
    LATEST,
    LEVELS,
    NEWEST_MINOR,
    PRIVILEGED,
    RESTRICTED,
    is_level,
    is_version,
    level_rank,
    parse_version,
)
from gitopspol.errors import ConfigError

MODES: tuple[str, ...] = ("enforce", "audit", "warn")
LABEL_PREFIX = "pod-security.kubernetes.io/"
_ACTIONS = {"enforce": Action.DENY, "audit": Action.AUDIT, "warn": Action.WARN}
_DEFAULT = (PRIVILEGED, LATEST)


def _privileged_defaults() -> dict[str, tuple[str, str]]:
    return dict.fromkeys(MODES, _DEFAULT)


@dataclass(frozen=True, slots=True)
class NamespacePolicy:
    """Effective ``(level, version)`` per mode, and the label errors found (upstream's
    ``error`` audit annotation)."""

    levels: dict[str, tuple[str, str]]
    errors: tuple[str, ...] = ()


def namespace_policy(
    labels: Mapping[str, Any] | None,
    defaults: Mapping[str, tuple[str, str]] | None = None,
) -> NamespacePolicy:
    """Resolve the policy of each mode from a namespace's labels and the cluster defaults.

    ``defaults`` maps mode to ``(level, version)``; omitted modes are privileged/latest.
    """
    levels = _privileged_defaults()
    if defaults:
        levels.update({mode: defaults[mode] for mode in MODES if mode in defaults})
    labels = labels or {}
    errors: list[str] = []
    present: dict[str, bool] = {}
    for mode in MODES:
        level, version = levels[mode]
        key = LABEL_PREFIX + mode
        if key in labels:
            value = str(labels[key])
            if is_level(value):
                level = value
                present[mode] = True
            else:
                # Fail closed for enforce, open for audit and warn.
                level = RESTRICTED if mode == "enforce" else PRIVILEGED
                present[mode] = False
                errors.append(f'{key}: invalid value "{value}": must be one of {", ".join(LEVELS)}')
        key = f"{LABEL_PREFIX}{mode}-version"
        if key in labels:
            value = str(labels[key])
            present[f"{mode}-version"] = True
            if is_version(value):
                version = value
            else:
                version = LATEST
                errors.append(f'{key}: invalid value "{value}": must be "latest" or "v1.x"')
        levels[mode] = (level, version)
    enforce_level, enforce_version = levels["enforce"]
    warn_level, warn_version = levels["warn"]
    if (
        "warn" not in present
        and present.get("enforce")
        and level_rank(enforce_level) > level_rank(warn_level)
    ):
        levels["warn"] = (
            enforce_level,
            warn_version if present.get("warn-version") else enforce_version,
        )
    return NamespacePolicy(levels, tuple(errors))


def namespace_levels(
    labels: Mapping[str, Any] | None,
    defaults: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, tuple[str, str]]:
    """``{mode: (level, version)}`` for enforce, audit and warn (see :func:`namespace_policy`)."""
    return namespace_policy(labels, defaults).levels


@dataclass(frozen=True, slots=True)
class Exemptions:
    """``PodSecurityConfiguration.exemptions``: exact-match lists."""

    usernames: frozenset[str] = frozenset()
    runtime_classes: frozenset[str] = frozenset()
    namespaces: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PsaConfig:
    """Cluster-level PSA settings: defaults per mode, exemptions, and the Kubernetes minor
    that ``latest`` means (default: the newest version gitopspol knows)."""

    defaults: Mapping[str, tuple[str, str]] = field(default_factory=_privileged_defaults)
    exemptions: Exemptions = Exemptions()
    latest: int = NEWEST_MINOR


_CONFIG_GROUP = "pod-security.admission.config.k8s.io"


def config_from_dict(doc: Mapping[str, Any], source: str = "<config>") -> PsaConfig:
    """Build a :class:`PsaConfig` from a ``PodSecurityConfiguration`` document (or an
    ``AdmissionConfiguration`` embedding one under plugin ``PodSecurity``).

    Unknown keys are configuration errors: ``runtimeClassNames`` is a common mistake for
    ``runtimeClasses`` (rancher/rke2#7060).
    """
    if doc.get("kind") == "AdmissionConfiguration":
        for plugin in doc.get("plugins") or []:
            if isinstance(plugin, dict) and plugin.get("name") == "PodSecurity":
                return config_from_dict(plugin.get("configuration") or {}, source)
        raise ConfigError("AdmissionConfiguration has no PodSecurity plugin", source)
    group = str(doc.get("apiVersion", "")).rpartition("/")[0]
    if doc.get("kind") != "PodSecurityConfiguration" or group != _CONFIG_GROUP:
        raise ConfigError(f"expected a {_CONFIG_GROUP} PodSecurityConfiguration", source)
    unknown = set(doc) - {"apiVersion", "kind", "defaults", "exemptions"}
    if unknown:
        raise ConfigError(f"unknown field {sorted(unknown)[0]!r}", source)
    raw_defaults = doc.get("defaults") or {}
    defaults = _privileged_defaults()
    allowed_keys = {*MODES, *(f"{mode}-version" for mode in MODES)}
    for key in raw_defaults:
        if key not in allowed_keys:
            raise ConfigError(f"unknown field 'defaults.{key}'", source)
    for mode in MODES:
        level = str(raw_defaults.get(mode, PRIVILEGED))
        version = str(raw_defaults.get(f"{mode}-version", LATEST))
        if not is_level(level):
            raise ConfigError(f"defaults.{mode}: invalid level {level!r}", source)
        if not is_version(version):
            raise ConfigError(f"defaults.{mode}-version: invalid version {version!r}", source)
        defaults[mode] = (level, version)
    raw_exemptions = doc.get("exemptions") or {}
    lists: dict[str, frozenset[str]] = {}
    for key in raw_exemptions:
        if key not in ("usernames", "runtimeClasses", "namespaces"):
            raise ConfigError(f"unknown field 'exemptions.{key}'", source)
        values = raw_exemptions[key] or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"exemptions.{key} must be a list of strings", source)
        lists[key] = frozenset(values)
    return PsaConfig(
        defaults,
        Exemptions(
            lists.get("usernames", frozenset()),
            lists.get("runtimeClasses", frozenset()),
            lists.get("namespaces", frozenset()),
        ),
    )


def _result(
    mode: str, status: Status, message: str = "", actions: tuple[Action, ...] = ()
) -> RuleResult:
    return RuleResult("psa", "pod-security", mode, status, message, actions)


def _labels(obj: Mapping[str, Any] | None) -> Any:
    metadata = (obj or {}).get("metadata")
    return metadata.get("labels") if isinstance(metadata, dict) else None


def _admit_namespace(
    request: AdmissionRequest, obj: Mapping[str, Any], config: PsaConfig
) -> list[RuleResult]:
    """Namespace requests (``ValidateNamespace``): invalid PSA labels are rejected on create,
    and on update when they changed; an exempt namespace labelled with a policy other than
    the defaults gets a warning that the policy is ignored."""
    labels = _labels(obj) or {}
    policy = namespace_policy(labels, config.defaults)
    if policy.errors:
        old_errors = namespace_policy(_labels(request.old_object), config.defaults).errors
        if request.operation == "CREATE" or policy.errors != old_errors:
            message = "invalid Pod Security labels: " + "; ".join(policy.errors)
            return [_result("enforce", Status.FAIL, message, (Action.DENY,))]
        return []
    if request.name not in config.exemptions.namespaces:
        return []
    defaults = namespace_policy({}, config.defaults).levels
    if policy.levels == defaults or all(lvl == PRIVILEGED for lvl, _ in policy.levels.values()):
        return []
    shown = [
        f"{mode}={level}:{version}"
        for mode, (level, version) in policy.levels.items()
        if level != PRIVILEGED and LABEL_PREFIX + mode in labels
    ]
    message = (
        f'namespace "{request.name}" is exempt from Pod Security, '
        f"and the policy ({', '.join(shown)}) will be ignored"
    )
    return [_result("warn", Status.FAIL, message, (Action.WARN,))]


def admit(
    request: AdmissionRequest,
    config: PsaConfig | None = None,
    *,
    enforce_templates: bool = False,
) -> list[RuleResult]:
    """What PSA says about a request: one :class:`RuleResult` per mode (enforce, audit, warn).

    Empty for objects PSA does not evaluate (other kinds, DELETE). A Namespace with invalid
    PSA labels gets an enforce DENY (on create, or when an update changes the label errors),
    and an exempt namespace labelled with a non-default policy a warning. Exempt requests give
    SKIP for every mode. A failing Pod gets DENY from enforce, AUDIT from audit and WARN
    from warn (SKIP when enforce already rejects it: upstream sends no warning then). For a workload the enforce result still says whether the Pods it creates would be
    rejected (status FAIL), but carries no action, as the API server admits the workload;
    ``enforce_templates=True`` makes it DENY, gitopspol's stricter pre-merge mode.
    """
    config = config or PsaConfig()
    obj = request.object
    if obj is None or request.operation not in ("CREATE", "UPDATE"):
        return []
    if request.kind == "Namespace" and request.group_version[0] == "":
        return _admit_namespace(request, obj, config)
    view = pod_view(obj)
    if view is None:
        return []
    is_pod = request.kind == "Pod"
    namespace_object = request.namespace_object or {}
    metadata = namespace_object.get("metadata") or {}
    namespace = request.namespace or str(metadata.get("name", "") or "")
    exempt = None
    if namespace and namespace in config.exemptions.namespaces:
        exempt = "namespace"
    elif str(request.user_info.get("username", "")) in config.exemptions.usernames:
        exempt = "user"
    elif str(view.spec.get("runtimeClassName") or "") in config.exemptions.runtime_classes:
        exempt = "runtimeClass"
    if exempt is not None:
        return [_result(mode, Status.SKIP, f"exempt {exempt}") for mode in MODES]
    policy = namespace_policy(metadata.get("labels"), config.defaults)
    suffix = f" (namespace labels: {'; '.join(policy.errors)})" if policy.errors else ""
    cache: dict[tuple[str, int], PsaResult] = {}
    results: list[RuleResult] = []
    denied = False
    for mode in MODES:
        if mode == "warn" and denied:
            # admission.go: no warnings on a request already rejected with an error.
            results.append(_result(mode, Status.SKIP, "not evaluated: enforce rejects the pod"))
            continue
        level, version = policy.levels[mode]
        key = (level, parse_version(version, config.latest))
        if key not in cache:
            cache[key] = evaluate_view(view, *key)
        verdict = cache[key]
        if verdict.allowed:
            results.append(_result(mode, Status.PASS, suffix.strip()))
            continue
        message = verdict.message(level, version)
        actions: tuple[Action, ...] = (_ACTIONS[mode],)
        if mode == "enforce" and not is_pod:
            message = f"pods created from this {request.kind} would be rejected: {message}"
            actions = (Action.DENY,) if enforce_templates else ()
        elif mode == "enforce":
            denied = True
        results.append(_result(mode, Status.FAIL, message + suffix, actions))
    return results
