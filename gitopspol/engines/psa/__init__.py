"""Pod Security Admission offline: the Pod Security Standards checks, versioned v1.0 to the
newest known version, namespace labels, exemptions, and admission results.

Upstream reference: kubernetes/pod-security-admission (``policy/check_*.go``,
``api/helpers.go``, ``admission/admission.go``); exact semantics in
``../shared/corpus/psa/README.md``. See ``docs/psa.md``.
"""

from __future__ import annotations

from gitopspol.engines.psa.checks import CHECKS, CheckSpec, PodView, Violation
from gitopspol.engines.psa.namespace import (
    MODES,
    Exemptions,
    NamespacePolicy,
    PsaConfig,
    admit,
    config_from_dict,
    namespace_levels,
    namespace_policy,
)
from gitopspol.engines.psa.policy import (
    WORKLOADS,
    PsaResult,
    checks_for,
    evaluate,
    evaluate_view,
    pod_view,
)
from gitopspol.engines.psa.versions import (
    LATEST,
    LEVELS,
    NEWEST_MINOR,
    is_level,
    is_version,
    parse_version,
)

__all__ = [
    "CHECKS",
    "LATEST",
    "LEVELS",
    "MODES",
    "NEWEST_MINOR",
    "WORKLOADS",
    "CheckSpec",
    "Exemptions",
    "NamespacePolicy",
    "PodView",
    "PsaConfig",
    "PsaResult",
    "Violation",
    "admit",
    "checks_for",
    "config_from_dict",
    "evaluate",
    "evaluate_view",
    "is_level",
    "is_version",
    "namespace_levels",
    "namespace_policy",
    "parse_version",
    "pod_view",
]
