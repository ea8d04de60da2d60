"""A waiver in gitopspol.yaml names a policy no tier renders.

A waiver accepts a difference for one policy (and optionally one rule) in one tier. One
that names a policy no rendered tier has (a typo, or a policy since removed) accepts
nothing: it misleads reviewers about what is excepted and would silently start hiding a
future policy of that name. Remove it, or fix the name.

Passing example::

    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: pod-security-baseline
    # settings:
    waivers:
    - {policy: pod-security-baseline, tier: example, reason: migration, expires: "2999-01-01",
       file: gitopspol.yaml, line: 30}

Failing example::

    # expect: waiver for pod-security-basline in example names a policy no tier renders
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: pod-security-baseline
    # settings:
    waivers:
    - {policy: pod-security-basline, tier: example, reason: migration, expires: "2999-01-01",
       file: gitopspol.yaml, line: 30}
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import base_views, views, waivers
from gitopspol.findings import Finding, Location, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per waiver whose policy is in no tier and not in the base."""
    known: set[str] = set()
    for source in [*(views(ctx, tier) for tier in ctx.tiers), base_views(ctx) or {}]:
        for key, view in source.items():
            known |= {key, view.name}
    for waiver in waivers(ctx):
        policy = str(waiver.get("policy"))
        if policy in known:
            continue
        message = f"waiver for {policy} in {waiver.get('tier')} names a policy no tier renders"
        location = Location(
            str(waiver.get("file") or "gitopspol.yaml"), int(waiver.get("line") or 0)
        )
        yield Finding(RULE.id, RULE.severity, message, location, str(waiver.get("tier") or ""))


RULE = Rule(
    id="GP111",
    name="waiver-unused",
    severity=Severity.WARNING,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
