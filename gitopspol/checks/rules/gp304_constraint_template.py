"""A ConstraintTemplate that Gatekeeper would refuse: its name is not its kind in lowercase.

Gatekeeper derives the constraint CRD from ``spec.crd.spec.names.kind`` and requires the
template's ``metadata.name`` to equal that CRD's plural name, the kind in lowercase (the
webhook says "Template's name ... is not equal to the CRD's plural name"; see
open-policy-agent/gatekeeper#156 and GoogleCloudPlatform/policy-library#92). The kind
itself is required, and a template has exactly one target (the constraint framework
refuses multi-target templates). A template rejected at admission never creates its
constraint kind, so every constraint of that kind fails to apply too.

Passing example::

    apiVersion: templates.gatekeeper.sh/v1
    kind: ConstraintTemplate
    metadata:
      name: k8srequiredlabels
    spec:
      crd:
        spec:
          names:
            kind: K8sRequiredLabels
      targets:
      - target: admission.k8s.gatekeeper.sh
        rego: |
          package k8srequiredlabels
          violation[{"msg": "missing"}] { false }

Failing example::

    # expect: metadata.name "k8s-required-labels" must be "k8srequiredlabels"
    apiVersion: templates.gatekeeper.sh/v1
    kind: ConstraintTemplate
    metadata:
      name: k8s-required-labels
    spec:
      crd:
        spec:
          names:
            kind: K8sRequiredLabels
      targets:
      - target: admission.k8s.gatekeeper.sh
        rego: |
          package k8srequiredlabels
          violation[{"msg": "missing"}] { false }
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitopspol.checks.base import Rule, RuleContext, Scope, Subject, for_each_document
from gitopspol.findings import Finding, Severity


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def check(doc: Subject, tier: str, ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per identity problem of a ConstraintTemplate."""
    data = doc.data
    api_version = str(data.get("apiVersion", ""))
    if data.get("kind") != "ConstraintTemplate" or not api_version.startswith(
        "templates.gatekeeper.sh/"
    ):
        return
    spec = _mapping(data.get("spec"))
    kind = _mapping(_mapping(_mapping(spec.get("crd")).get("spec")).get("names")).get("kind")
    name = _mapping(data.get("metadata")).get("name")
    if not isinstance(kind, str) or not kind:
        message = "spec.crd.spec.names.kind is required: it names the constraint kind"
        yield RULE.finding(message, doc=doc, tier=tier, path=("spec", "crd", "spec", "names"))
    elif name != kind.lower():
        message = (
            f'metadata.name "{name}" must be "{kind.lower()}", the lowercase of its kind "{kind}"'
        )
        yield RULE.finding(message, doc=doc, tier=tier, path=("metadata", "name"))
    targets = spec.get("targets")
    count = len(targets) if isinstance(targets, list) else 0
    if count != 1:
        message = f"spec.targets must have exactly one target, not {count}"
        yield RULE.finding(message, doc=doc, tier=tier, path=("spec", "targets"))


RULE = Rule(
    id="GP304",
    name="constraint-template-identity",
    severity=Severity.ERROR,
    scope=Scope.DOCUMENT,
    doc=__doc__ or "",
    check=for_each_document(check),
)
