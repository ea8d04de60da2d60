"""A rendered tier enforces less than its tier profile says.

gitopspol.yaml gives each tier a profile (built-in ``sbx``/``prd`` plus overrides): the
Kyverno failure action, ValidatingPolicy/VAP validation actions, Gatekeeper enforcement
action, Kubewarden policy mode (``monitor`` < ``protect``; and ``failurePolicy`` when the
profile sets one) and Pod Security levels the tier's clusters apply. The overlay's patches
apply them; a rendered policy weaker than the profile (a patch edited by hand, a policy the
patches do not reach) is reported at the line that set it. Pod Security labels are checked on the
repository's workload namespaces (gitopspol.yaml ``namespaces``; every labelled Namespace
when none are listed). Stricter than the profile is allowed.

Passing example::

    # tier: prd
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sAllowedRepos
    metadata:
      name: allowed-repos
    spec:
      enforcementAction: deny
    # settings:
    profiles:
      prd:
        gatekeeper: {enforcementAction: deny}

Failing example::

    # expect: Namespace/prd: enforce is privileged, weaker than tier prd's profile (baseline)
    # tier: prd
    apiVersion: v1
    kind: Namespace
    metadata:
      name: prd
      labels:
        pod-security.kubernetes.io/enforce: privileged
    # settings:
    namespaces: [prd]
    profiles:
      prd:
        psa:
          enforce: {level: baseline, version: v1.35}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopspol.checks.base import Rule, RuleContext, Scope, field_at
from gitopspol.checks.repository import views
from gitopspol.diff.extract import is_kubewarden
from gitopspol.diff.locate import locate
from gitopspol.findings import Finding, Severity


def _expected(profile: Mapping[str, Any]) -> dict[str, tuple[int, str]]:
    """``{category or PSA mode: (rank, label)}`` the profile requires."""
    from gitopspol.diff.extract import (
        FAILURE_POLICIES,
        GATEKEEPER_ACTIONS,
        KUBEWARDEN_MODES,
        KYVERNO_ACTIONS,
        VALIDATION_ACTIONS,
    )
    from gitopspol.engines.psa.versions import LEVELS

    out: dict[str, tuple[int, str]] = {}
    kyverno = field_at(profile, "kyverno", "failureAction")
    if isinstance(kyverno, str):
        out["kyverno-action"] = (KYVERNO_ACTIONS.get(kyverno.lower(), -1), kyverno)
    actions = field_at(profile, "validatingPolicy", "validationActions")
    if isinstance(actions, list) and actions:
        rank = max(VALIDATION_ACTIONS.get(str(a).lower(), -1) for a in actions)
        out["validation-actions"] = (rank, ", ".join(map(str, actions)))
    gatekeeper = field_at(profile, "gatekeeper", "enforcementAction")
    if isinstance(gatekeeper, str):
        out["gatekeeper-action"] = (GATEKEEPER_ACTIONS.get(gatekeeper.lower(), -1), gatekeeper)
    mode = field_at(profile, "kubewarden", "mode")
    if isinstance(mode, str):
        out["kubewarden-mode"] = (KUBEWARDEN_MODES.get(mode.lower(), -1), mode)
    failure = field_at(profile, "kubewarden", "failurePolicy")
    if isinstance(failure, str):
        out["kubewarden:failure-policy"] = (FAILURE_POLICIES.get(failure.lower(), -1), failure)
    psa = profile.get("psa")
    for mode, setting in psa.items() if isinstance(psa, Mapping) else ():
        level = str(field_at(setting, "level") or "")
        if level in LEVELS:
            out[f"psa:{mode}"] = (LEVELS.index(level), level)
    return out


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per rendered setting weaker than its tier's profile."""
    profiles = ctx.settings.get("profiles")
    if not isinstance(profiles, Mapping):
        return
    namespaces = ctx.settings.get("namespaces")
    for tier in ctx.tiers:
        profile = profiles.get(tier)
        if not isinstance(profile, Mapping):
            continue
        expected = _expected(profile)
        for view in views(ctx, tier).values():
            for setting in view.settings:
                key = str(setting.category)
                if view.kind == "Namespace":
                    if isinstance(namespaces, list) and view.name not in namespaces:
                        continue
                    key = f"psa:{setting.aspect}"
                elif key == "pod-security":
                    continue
                elif key == "failure-policy" and is_kubewarden(view.subject.data):
                    key = "kubewarden:failure-policy"
                want = expected.get(key)
                if want is None:
                    continue
                for scope, (rank, label) in setting.value.items():
                    if rank >= want[0]:
                        continue
                    rule = f" rule {setting.rule}" if setting.rule else ""
                    scoped = f" ({scope})" if scope else ""
                    message = (
                        f"{view.key}{rule}: {setting.aspect}{scoped} is {label}, weaker than "
                        f"tier {tier}'s profile ({want[1]})"
                    )
                    yield Finding(
                        RULE.id,
                        RULE.severity,
                        message,
                        locate(view.subject, setting.pointer),
                        tier,
                        view.key,
                    )


RULE = Rule(
    id="GP109",
    name="tier-settings-weaker",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
