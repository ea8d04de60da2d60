"""A Gatekeeper constraint's parameters do not match its template's parameter schema.

Each constraint (``constraints.gatekeeper.sh``) is checked against the ConstraintTemplate
of the same tier that defines its kind (or one given with ``--crd``): its
``spec.parameters`` must satisfy the template's ``spec.crd.spec.validation.openAPIV3Schema``.
Gatekeeper's ``legacySchema`` is honoured (ConstraintTemplate v1 defaults to a structural
schema, where unknown parameters are errors; v1beta1 defaults to ``legacySchema: true``,
where only types, enums and required fields are checked). A constraint whose template is
missing is a consistency problem, not this rule's.

Passing example::

    apiVersion: templates.gatekeeper.sh/v1
    kind: ConstraintTemplate
    metadata:
      name: k8sallowedrepos
    spec:
      crd:
        spec:
          names:
            kind: K8sAllowedRepos
          validation:
            openAPIV3Schema:
              type: object
              properties:
                repos:
                  type: array
                  items:
                    type: string
      targets:
      - target: admission.k8s.gatekeeper.sh
        rego: |
          package k8sallowedrepos
          violation[{"msg": "denied"}] { false }
    ---
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: repo-is-openpolicyagent
    spec:
      parameters:
        repos: ["openpolicyagent/"]

Failing example::

    # expect: spec.parameters.repos: must be of type array, not string
    apiVersion: templates.gatekeeper.sh/v1
    kind: ConstraintTemplate
    metadata:
      name: k8sallowedrepos
    spec:
      crd:
        spec:
          names:
            kind: K8sAllowedRepos
          validation:
            openAPIV3Schema:
              type: object
              properties:
                repos:
                  type: array
                  items:
                    type: string
    ---
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: repo-is-openpolicyagent
    spec:
      parameters:
        repos: "openpolicyagent/"
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope, Subject, for_each_document
from gitopspol.findings import Finding, Severity
from gitopspol.schema import validate_constraint_parameters
from gitopspol.schema.crds import CONSTRAINTS_GROUP


def check(doc: Subject, tier: str, ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per parameter problem of a constraint with a known template."""
    data = doc.data
    if str(data.get("apiVersion", "")).partition("/")[0] != CONSTRAINTS_GROUP:
        return
    template = ctx.template_for(tier, str(data.get("kind", "")))
    if template is None:
        return
    for problem in validate_constraint_parameters(template, data):
        yield RULE.finding(str(problem), doc=doc, tier=tier, path=problem.path)


RULE = Rule(
    id="GP303",
    name="constraint-parameters",
    severity=Severity.ERROR,
    scope=Scope.DOCUMENT,
    doc=__doc__ or "",
    check=for_each_document(check),
)
