"""A tier does not render: its kustomization fails to build.

Every tier's overlay (``environments/<tier>``) must build as ``kubectl kustomize`` would.
A build error is reported as a finding at the file and line that caused it (a missing
resource, a strategic merge patch without a target, a malformed patch), and the other
tiers are still checked. The rules that compare tiers skip a tier that did not render.

Passing example::

    # tier: prd
    apiVersion: v1
    kind: Namespace
    metadata:
      name: prd

Failing example::

    # expect: tier prd does not render: accumulating resources: missing.yaml: no such file
    # settings:
    render_errors:
      prd:
        message: "accumulating resources: missing.yaml: no such file"
        file: environments/prd/kustomization.yaml
        line: 7
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.findings import Finding, Location, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per tier whose render failed."""
    errors = ctx.settings.get("render_errors")
    if not isinstance(errors, Mapping):
        return
    for tier, error in errors.items():
        error = error if isinstance(error, Mapping) else {"message": str(error)}
        location = None
        if error.get("file"):
            location = Location(str(error["file"]), int(error.get("line") or 0))
        message = f"tier {tier} does not render: {error.get('message', '')}"
        yield Finding(RULE.id, RULE.severity, message, location, str(tier))


RULE = Rule(
    id="GP101",
    name="tier-render-error",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
