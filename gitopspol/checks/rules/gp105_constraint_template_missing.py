"""A Gatekeeper constraint has no ConstraintTemplate in the same tier.

Gatekeeper creates a constraint kind from its template; a constraint whose kind no template
of the tier defines cannot be applied (``no matches for kind``), so the policy silently
does not exist in that tier. Templates given with ``--crd`` do not count: the tier must
ship its own.

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
    ---
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos

Failing example::

    # expect: constraint K8sAllowedRepos/allowed-repos has no ConstraintTemplate for kind K8sAllowedRepos in example
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope, field_at, resource_id
from gitopspol.findings import Finding, Severity
from gitopspol.schema.crds import CONSTRAINTS_GROUP


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per constraint whose kind no template of its tier defines."""
    for tier, docs in ctx.tiers.items():
        kinds = set()
        for doc in docs:
            data = doc.data
            if data.get("kind") == "ConstraintTemplate":
                kinds.add(str(field_at(data, "spec", "crd", "spec", "names", "kind") or ""))
        for doc in docs:
            data = doc.data
            kind = str(data.get("kind") or "")
            group = str(data.get("apiVersion") or "").partition("/")[0]
            if group == CONSTRAINTS_GROUP and kind not in kinds:
                message = (
                    f"constraint {resource_id(data)} has no ConstraintTemplate for kind {kind} "
                    f"in {tier}"
                )
                yield RULE.finding(message, doc=doc, tier=tier, path=("kind",))


RULE = Rule(
    id="GP105",
    name="constraint-template-missing",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
