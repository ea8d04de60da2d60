"""A rendered manifest's kind has no schema, so it was not validated.

gitopspol never accepts a document silently: when neither a built-in schema nor a CRD
given with ``--crd`` covers its apiVersion and kind, the document is reported as not
validated. Give the CRD of the kind with ``--crd PATH`` (a file or a folder), or fix the
apiVersion if it is a typo (``kyverno.io/v2`` ClusterPolicy does not exist).

Passing example::

    apiVersion: v1
    kind: Namespace
    metadata:
      name: payments

Failing example::

    # expect: no schema for kyverno.io/v3 ClusterPolicy
    apiVersion: kyverno.io/v3
    kind: ClusterPolicy
    metadata:
      name: disallow-privileged
    spec:
      rules: []
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope, Subject, for_each_document
from gitopspol.checks.schema import schema_problems
from gitopspol.findings import Finding, Severity
from gitopspol.schema import ProblemStatus


def check(doc: Subject, tier: str, ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding when no schema covers ``doc``'s kind."""
    for problem in schema_problems(ctx, doc):
        if problem.status is ProblemStatus.NOT_VALIDATED:
            yield RULE.finding(problem.message, doc=doc, tier=tier, path=("kind",))


RULE = Rule(
    id="GP302",
    name="kind-not-validated",
    severity=Severity.WARNING,
    scope=Scope.DOCUMENT,
    doc=__doc__ or "",
    check=for_each_document(check),
)
