"""Cross-engine agreement: do policies that implement the same control agree on the cases?

A policy's control comes from its ``gitopspol.io/control`` annotation (comma-separated for
several), else from :data:`~gitopspol.behaviour.tier.BUILTIN_CONTROLS` (well-known Kyverno
policy names and Gatekeeper constraint kinds), and for Kyverno ``podSecurity`` rules from
their level (``pod-security-baseline``). Pod Security Admission implements
``pod-security-<level>`` for the level each mode of the case's namespace is labelled with
(``privileged`` implements nothing).

For every tier, case and control implemented by two or more policies, the policies should
all flag the case (FAIL, whatever the action) or all pass it; a :class:`Disagreement` lists
both sides. Only whether a policy is violated counts here: differing actions are the tier
settings' business (GP401).
"""

from __future__ import annotations

from dataclasses import dataclass

from gitopspol.behaviour.run import Matrix, unevaluated
from gitopspol.behaviour.tier import PreparedTier, policy_key
from gitopspol.engines.admission import Status


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Policies of one control that disagree on one case in one tier."""

    tier: str
    case: str
    control: str
    #: ``engine:policy`` of the policies that flag the case.
    violated: tuple[str, ...]
    #: ``engine:policy`` of the policies that pass it (or do not apply to it).
    passed: tuple[str, ...]

    def describe(self) -> str:
        """One line for people."""
        return (
            f"[{self.tier}] {self.case}: control {self.control}: violated by "
            f"{', '.join(self.violated)}; passed by {', '.join(self.passed)}"
        )


def _psa_controls(tier: PreparedTier, namespace: str) -> dict[str, str]:
    """``psa:pod-security`` per mode -> control, from the namespace's labels in ``tier``."""
    from gitopspol.engines.psa import namespace_levels

    ns = tier.namespace_object(namespace) or {}
    labels = (ns.get("metadata") or {}).get("labels") or {}
    levels = namespace_levels({str(k): str(v) for k, v in labels.items()})
    return {
        mode: f"pod-security-{level}"
        for mode, (level, _version) in levels.items()
        if level != "privileged"
    }


def tier_controls(tier: PreparedTier, namespace: str = "") -> dict[str, set[str]]:
    """control -> the ``engine:policy`` keys implementing it in ``tier`` (PSA for ``namespace``)."""
    out: dict[str, set[str]] = {}
    for key, controls in tier.controls.items():
        for control in controls:
            out.setdefault(control, set()).add(key)
    if tier.psa and namespace:
        for control in _psa_controls(tier, namespace).values():
            out.setdefault(control, set()).add("psa:pod-security")
    return out


def agreement(matrix: Matrix) -> list[Disagreement]:
    """Every case, tier and control on which the implementing policies disagree."""
    found: list[Disagreement] = []
    for tier_name in matrix.tiers:
        tier = matrix.prepared[tier_name]
        for case in matrix.cases:
            namespace = case.requests[0].namespace if case.requests else ""
            psa_modes = _psa_controls(tier, namespace) if tier.psa and namespace else {}
            admission = matrix.cell(case.name, tier_name).admission
            flagged: dict[str, set[str]] = {}  # control -> violated keys
            for result in admission.results:
                if result.status is not Status.FAIL:
                    continue
                key = policy_key(result)
                if result.engine == "psa":
                    controls: tuple[str, ...] = tuple(
                        c for mode, c in psa_modes.items() if mode == result.rule
                    )
                else:
                    controls = tier.controls.get(key, ())
                for control in controls:
                    flagged.setdefault(control, set()).add(key)
            skipped = set(unevaluated(admission))  # not evaluated: cannot disagree
            for control, implementing in sorted(tier_controls(tier, namespace).items()):
                keys = implementing - skipped
                if len(keys) < 2:
                    continue
                violated = flagged.get(control, set()) & keys
                if violated and violated != keys:
                    found.append(
                        Disagreement(
                            tier_name,
                            case.name,
                            control,
                            tuple(sorted(violated)),
                            tuple(sorted(keys - violated)),
                        )
                    )
    return found
