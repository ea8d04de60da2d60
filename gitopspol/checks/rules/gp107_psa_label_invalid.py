"""A Namespace carries an invalid Pod Security Admission label.

``pod-security.kubernetes.io/<mode>`` takes ``privileged``, ``baseline`` or ``restricted``
and ``pod-security.kubernetes.io/<mode>-version`` takes ``latest`` or ``v1.<minor>``, for the
modes ``enforce``, ``audit`` and ``warn``. The admission plugin does not reject a bad value:
it silently falls back (an invalid enforce level to restricted, audit and warn to
privileged, a bad version to latest), and ignores unknown keys such as a misspelt mode.

Passing example::

    apiVersion: v1
    kind: Namespace
    metadata:
      name: payments
      labels:
        pod-security.kubernetes.io/enforce: baseline
        pod-security.kubernetes.io/enforce-version: v1.35

Failing example::

    # expect: pod-security.kubernetes.io/enforce: invalid value "Baseline"
    # expect: unknown Pod Security label "pod-security.kubernetes.io/enfroce"
    apiVersion: v1
    kind: Namespace
    metadata:
      name: payments
      labels:
        pod-security.kubernetes.io/enforce: Baseline
        pod-security.kubernetes.io/enfroce: baseline
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope, Subject, field_at, for_each_document
from gitopspol.engines.psa.namespace import LABEL_PREFIX, MODES, namespace_policy
from gitopspol.findings import Finding, Severity

_KEYS = frozenset(LABEL_PREFIX + mode + suffix for mode in MODES for suffix in ("", "-version"))


def check(doc: Subject, tier: str, ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per invalid or unknown Pod Security label of a Namespace."""
    data = doc.data
    if data.get("kind") != "Namespace" or "/" in str(data.get("apiVersion") or ""):
        return
    labels = field_at(data, "metadata", "labels")
    if not isinstance(labels, dict):
        return
    for error in namespace_policy(labels).errors:
        key = error.split(":", 1)[0]
        yield RULE.finding(error, doc=doc, tier=tier, path=("metadata", "labels", key))
    for key in labels:
        if str(key).startswith(LABEL_PREFIX) and key not in _KEYS:
            message = f'unknown Pod Security label "{key}": the admission plugin ignores it'
            yield RULE.finding(message, doc=doc, tier=tier, path=("metadata", "labels", key))


RULE = Rule(
    id="GP107",
    name="psa-label-invalid",
    severity=Severity.ERROR,
    scope=Scope.DOCUMENT,
    doc=__doc__ or "",
    check=for_each_document(check),
)
