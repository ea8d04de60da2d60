"""A rendered manifest breaks the schema of its kind.

Every document of every rendered tier is validated against the schema of its apiVersion and
kind: a CRD given with ``--crd`` when there is one, else gitopspol's built-in schema
(Kyverno, Gatekeeper, ValidatingAdmissionPolicy, Namespace, Argo CD, Flux). The schemas
are strict where the Kubernetes API is: an unknown field is reported, as
``kubectl apply --validate=strict`` would, so a typo such as ``validationFailureActon``
does not silently turn a policy into the default. One finding per problem, at the line of
the field in the file that introduced it.

Passing example::

    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: disallow-privileged
    spec:
      background: true
      rules:
      - name: privileged
        match:
          any:
          - resources:
              kinds: [Pod]
        validate:
          failureAction: Enforce
          message: Privileged mode is not allowed.
          pattern:
            spec:
              containers:
              - =(securityContext):
                  =(privileged): "false"

Failing example::

    # expect: spec.rules[0].validate.failureAction: unsupported value "Block"
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: disallow-privileged
    spec:
      rules:
      - name: privileged
        match:
          any:
          - resources:
              kinds: [Pod]
        validate:
          failureAction: Block
          pattern:
            spec:
              =(hostPID): "false"
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope, Subject, for_each_document
from gitopspol.checks.schema import schema_problems
from gitopspol.findings import Finding, Severity
from gitopspol.schema import ProblemStatus
from gitopspol.schema.validate import PARAMETER_SCHEMA_PREFIX


def check(doc: Subject, tier: str, ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per schema violation of ``doc``."""
    for problem in schema_problems(ctx, doc):
        # Kinds without a schema are GP302; constraint parameters are GP303.
        if problem.status is ProblemStatus.NOT_VALIDATED:
            continue
        if problem.schema.startswith(PARAMETER_SCHEMA_PREFIX):
            continue
        yield RULE.finding(str(problem), doc=doc, tier=tier, path=problem.path)


RULE = Rule(
    id="GP301",
    name="schema-violation",
    severity=Severity.ERROR,
    scope=Scope.DOCUMENT,
    doc=__doc__ or "",
    check=for_each_document(check),
)
