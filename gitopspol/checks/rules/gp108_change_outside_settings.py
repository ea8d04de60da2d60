"""The strictest tier changes a policy beyond its tier settings.

The strictest tier renders the released base (``policies/``) with only its tier settings
applied: Kyverno failure actions, ValidatingPolicy/VAP validation actions, Gatekeeper
enforcement actions and Namespace Pod Security labels. Everything else reaches it through
``policies/`` (changes are staged in a lower tier and promoted), so a policy edited,
added or loosened only in the strictest tier's overlay is drift that promotion would
overwrite and reviewers of ``policies/`` never see. Lower tiers may stage changes.

Passing example::

    # tier: prd
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      enforcementAction: deny
      parameters:
        repos: [ubuntu]
    # settings:
    base:
    - apiVersion: constraints.gatekeeper.sh/v1beta1
      kind: K8sAllowedRepos
      metadata: {name: allowed-repos}
      spec:
        enforcementAction: dryrun
        parameters: {repos: [ubuntu]}

Failing example::

    # expect: prd changes K8sAllowedRepos/allowed-repos outside its tier settings: parameters.repos
    # tier: prd
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      parameters:
        repos: [ubuntu, docker.io]
    # settings:
    base:
    - apiVersion: constraints.gatekeeper.sh/v1beta1
      kind: K8sAllowedRepos
      metadata: {name: allowed-repos}
      spec:
        parameters: {repos: [ubuntu]}
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import base_views, change_finding, views
from gitopspol.findings import Finding, Severity

#: What tier settings change (a Namespace's PSA levels are tier settings too).
_SETTINGS = frozenset({"kyverno-action", "validation-actions", "gatekeeper-action"})


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per policy of the strictest tier that differs from the base beyond
    tier settings."""
    from gitopspol.diff import compare_policies

    base = base_views(ctx)
    if base is None or not ctx.tiers:
        return
    top = list(ctx.tiers)[-1]
    rendered = views(ctx, top)
    for change in compare_policies(base, rendered):
        if change.category in _SETTINGS or change.direction == "removed":
            continue  # removals are GP102/GP207
        if change.policy.startswith("Namespace/") and change.category == "pod-security":
            continue
        where = f" rule {change.rule}" if change.rule else ""
        if change.direction == "added" and not change.rule:
            message = f"{change.policy} exists only in {top}, not in the base (policies/)"
        else:
            what = change.after if change.category == "content" else change.aspect
            message = (
                f"{top} changes {change.policy}{where} outside its tier settings: "
                f"{what} ({change.direction})"
            )
        yield change_finding(RULE, change, top, message)


RULE = Rule(
    id="GP108",
    name="change-outside-settings",
    severity=Severity.WARNING,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
