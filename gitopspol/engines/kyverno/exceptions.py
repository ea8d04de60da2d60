"""PolicyException (``kyverno.io/v2`` / ``v2beta1``): exempt requests from policy rules.

Upstream ``api/kyverno/v2/policy_exception_types.go`` and the engine's exception check: an
exception applies to a rule when one of its ``exceptions`` names the policy (``ns/name``
for a namespaced Policy) and a ``ruleNames`` wildcard matches the rule (auto-generated
rules need their own ``autogen-`` names), its ``match`` selects the request and its
optional ``conditions`` hold. The rule is then skipped, except for ``validate.podSecurity``
rules when the exception lists ``podSecurity`` controls: those are exempted instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gitopspol.engines.kyverno.match import MatchInput, block_matches
from gitopspol.engines.kyverno.values import wildcard_match


def is_exception(document: Any) -> bool:
    """Whether a document is a kyverno.io PolicyException."""
    return (
        isinstance(document, dict)
        and document.get("kind") == "PolicyException"
        and str(document.get("apiVersion", "")).startswith("kyverno.io/")
    )


def _names(exception: Mapping[str, Any], policy: str, rule: str) -> bool:
    spec = exception.get("spec") or {}
    for entry in spec.get("exceptions") or []:
        if not isinstance(entry, dict) or entry.get("policyName") != policy:
            continue
        if any(wildcard_match(str(name), rule) for name in entry.get("ruleNames") or []):
            return True
    return False


def matching(
    exceptions: Sequence[Mapping[str, Any]],
    policy: str,
    rule: str,
    data: MatchInput,
    conditions_hold: Callable[[Any], bool],
) -> list[Mapping[str, Any]]:
    """The exceptions that apply to ``rule`` of ``policy`` for this request.

    ``conditions_hold`` evaluates an exception's ``conditions`` block in the rule's context.
    """
    out = []
    for exception in exceptions:
        spec = exception.get("spec") or {}
        if not isinstance(spec, dict) or not _names(exception, policy, rule):
            continue
        if not block_matches(spec.get("match"), data):
            continue
        if spec.get("conditions") is not None and not conditions_hold(spec["conditions"]):
            continue
        out.append(exception)
    return out


def exception_names(exceptions: Sequence[Mapping[str, Any]]) -> str:
    """``ns/name`` of each exception, for messages."""
    names = []
    for exception in exceptions:
        meta = exception.get("metadata") or {}
        namespace = meta.get("namespace")
        names.append(
            f"{namespace}/{meta.get('name', '')}" if namespace else str(meta.get("name", ""))
        )
    return ", ".join(names)
