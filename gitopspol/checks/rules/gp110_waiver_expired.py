"""A waiver in gitopspol.yaml has expired.

Waivers accept a known tier-strictness difference (a policy missing from a tier, a weaker
action) for a stated reason until a date. After that date the waiver no longer hides
anything, and the waiver itself is reported so it gets renewed with a new reason or
removed. A waiver holds through its expiry day.

Passing example::

    # settings:
    today: "2026-03-01"
    waivers:
    - {policy: pod-security-baseline, tier: prd, reason: migration, expires: "2026-03-01",
       file: gitopspol.yaml, line: 30}

Failing example::

    # expect: waiver for pod-security-baseline in prd expired on 2026-02-28 (reason: migration)
    # settings:
    today: "2026-03-01"
    waivers:
    - {policy: pod-security-baseline, tier: prd, reason: migration, expires: "2026-02-28",
       file: gitopspol.yaml, line: 30}
"""

from __future__ import annotations

from collections.abc import Iterator

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.checks.repository import expired, waivers
from gitopspol.findings import Finding, Location, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per expired waiver."""
    for waiver in waivers(ctx):
        if not expired(ctx, waiver):
            continue
        rule = f" rule {waiver['rule']}" if waiver.get("rule") else ""
        message = (
            f"waiver for {waiver.get('policy')}{rule} in {waiver.get('tier')} expired on "
            f"{str(waiver.get('expires'))[:10]} (reason: {waiver.get('reason')})"
        )
        location = Location(
            str(waiver.get("file") or "gitopspol.yaml"), int(waiver.get("line") or 0)
        )
        yield Finding(RULE.id, RULE.severity, message, location, str(waiver.get("tier") or ""))


RULE = Rule(
    id="GP110",
    name="waiver-expired",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
