"""A tier does not render: its kustomization fails to build.

Every tier's overlay (``environments/<tier>``) must build as ``kubectl kustomize`` would.
A build error is reported as a finding at the file and line that caused it (a missing
resource, a strategic merge patch without a target, a malformed patch), and the other
tiers are still checked; tiers failing on the same error (a broken base file) share one
finding. The rules that compare tiers skip a tier that did not render.

Passing example::

    # tier: prd
    apiVersion: v1
    kind: Namespace
    metadata:
      name: prd

Failing example::

    # expect: tier prd does not render: accumulating resources: missing.yaml: no such file
    # expect: the base (policies/) and sbx do not render: invalid YAML
    # settings:
    render_errors:
      prd:
        message: "accumulating resources: missing.yaml: no such file"
        file: environments/prd/kustomization.yaml
        line: 7
      the base (policies/): {message: invalid YAML, file: policies/policy.yaml, line: 3}
      sbx: {message: invalid YAML, file: policies/policy.yaml, line: 3}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.findings import Finding, Location, Severity


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per render error; tiers failing on the same error share one finding."""
    errors = ctx.settings.get("render_errors")
    if not isinstance(errors, Mapping):
        return
    grouped: dict[tuple[str, str, int], list[str]] = {}
    for tier, error in errors.items():
        error = error if isinstance(error, Mapping) else {"message": str(error)}
        key = (
            str(error.get("message", "")),
            str(error.get("file") or ""),
            int(error.get("line") or 0),
        )
        grouped.setdefault(key, []).append(str(tier))
    for (message, file, line), tiers in grouped.items():
        location = Location(file, line) if file else None
        if len(tiers) == 1:
            subject = tiers[0] if tiers[0].startswith("the ") else f"tier {tiers[0]}"
            text = f"{subject} does not render: {message}"
        else:
            text = f"{', '.join(tiers[:-1])} and {tiers[-1]} do not render: {message}"
        yield Finding(RULE.id, RULE.severity, text, location, tiers[0] if len(tiers) == 1 else None)


RULE = Rule(
    id="GP101",
    name="tier-render-error",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
