"""Is a Kubewarden policy in a higher tier at least as strict as in the tier below?

:func:`compare` lists the ways ``higher`` is weaker than ``lower`` (same policy, two tiers):

* ``spec.mode``: ``monitor`` < ``protect`` (Kubewarden itself allows monitor -> protect in
  place but not back);
* ``spec.failurePolicy``: ``Ignore`` < ``Fail``;
* ``spec.rules``: every rule of the lower tier must be covered by one rule of the higher
  tier (each of apiGroups, apiVersions, resources, operations a superset, or ``*``; scope
  ``*`` or the same);
* ``namespaceSelector`` / ``objectSelector``: the higher tier's selector must select at least
  as much, shown syntactically: it is empty, or its ``matchLabels`` and ``matchExpressions``
  are a subset of the lower tier's (fewer requirements select more). Anything else cannot
  be shown no narrower and is reported;
* ``matchConditions``: the higher tier's conditions must be a subset of the lower tier's;
* settings allow-lists and deny-lists, at any depth under ``spec.settings`` (and under each
  member of a policy group): a list whose key names an allow-list (it starts with
  ``allow``/``trusted``/``permitted``/``whitelist``, or ends with ``registries``, as in
  ``allowedRegistries``, ``allowed_capabilities``, ``trustedRegistries``) may not gain
  entries in the higher tier, nor be removed (an absent allow-list usually allows
  everything); a list whose key names a deny-list (it starts with ``deny``/``denied``/
  ``disallow``/``forbid``/``reject``/``block``/``blacklist``, as in ``rejectedTags`` or the
  ``reject`` lists of the trusted-repos policy) may not lose entries. Deny-list names win:
  ``blockedRegistries`` is a deny-list;
* ``spec.module``: the same policy module (another tag or digest of it is a promotion, not a
  weakening); a different module cannot be shown as strict and is reported;
* policy groups: a member present in the lower tier must be present in the higher one.

Presence of the policy in both tiers is checked by the caller (the tier-strictness check).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_ALLOW = re.compile(r"^(allow|trusted|permitted|whitelist)|registries$", re.IGNORECASE)
_DENY = re.compile(r"^(deny|denied|disallow|forbid|reject|block|blacklist)", re.IGNORECASE)
_RULE_FIELDS = ("apiGroups", "apiVersions", "resources", "operations")


@dataclass(frozen=True, slots=True)
class Weakening:
    """One way the higher tier's policy is weaker; ``path`` is the field in the higher tier."""

    path: tuple[str | int, ...]
    message: str

    def __str__(self) -> str:
        return f"{'.'.join(str(p) for p in self.path)}: {self.message}"


def _spec(policy: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = policy.get("spec")
    return spec if isinstance(spec, dict) else {}


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _covers(higher: Mapping[str, Any], lower: Mapping[str, Any]) -> bool:
    for name in _RULE_FIELDS:
        wanted = set(_strings(lower.get(name)))
        have = set(_strings(higher.get(name)))
        if "*" not in have and not wanted <= have and not (name == "resources" and "*/*" in have):
            return False
    scope = higher.get("scope") or "*"
    return scope == "*" or scope == (lower.get("scope") or "*")


def _rules(lower: Sequence[Any], higher: Sequence[Any]) -> list[Weakening]:
    out = []
    for index, rule in enumerate(lower):
        if isinstance(rule, dict) and not any(
            isinstance(h, dict) and _covers(h, rule) for h in higher
        ):
            out.append(
                Weakening(
                    ("spec", "rules"),
                    f"no rule covers the lower tier's rule {index} "
                    f"({', '.join(f'{n}={_strings(rule.get(n))}' for n in _RULE_FIELDS)})",
                )
            )
    return out


def _selector_no_narrower(lower: Any, higher: Any) -> bool:
    if not higher:
        return True
    if not isinstance(higher, dict) or not isinstance(lower, dict):
        return False
    lower_labels = lower.get("matchLabels") or {}
    higher_labels = higher.get("matchLabels") or {}
    if any(lower_labels.get(k) != v for k, v in higher_labels.items()):
        return False
    lower_exprs = lower.get("matchExpressions") or []
    return all(expr in lower_exprs for expr in higher.get("matchExpressions") or [])


def _lists(lower: Any, higher: Any, path: tuple[str | int, ...], out: list[Weakening]) -> None:
    """Compare allow-lists and deny-lists found anywhere under two settings values."""
    if not isinstance(lower, dict):
        return
    higher_map = higher if isinstance(higher, dict) else {}
    for key, low in lower.items():
        where = (*path, str(key))
        high = higher_map.get(key)
        if isinstance(low, dict):
            _lists(low, high, where, out)
            continue
        if not isinstance(low, list) or not all(not isinstance(v, dict | list) for v in low):
            continue
        low_set = set(_strings(low))
        # Deny first: "blockedRegistries" is a deny-list although it ends with "registries".
        if _DENY.search(str(key)):
            missing = sorted(low_set - set(_strings(high)))
            if missing:
                out.append(Weakening(where, f"deny-list is smaller: drops {missing}"))
        elif _ALLOW.search(str(key)):
            if high is None:
                out.append(Weakening(where, "allow-list removed (the lower tier restricts it)"))
            elif extra := sorted(set(_strings(high)) - low_set):
                out.append(Weakening(where, f"allow-list is larger: adds {extra}"))


def module_name(reference: Any) -> str:
    """A module reference without its scheme, tag and digest: which policy it is.

    ``registry://ghcr.io/kubewarden/policies/pod-privileged:v1.0.2`` and
    ``ghcr.io/kubewarden/policies/pod-privileged@sha256:...`` name the same policy.
    """
    text = str(reference or "")
    for scheme in ("registry://", "file://", "https://", "http://"):
        text = text.removeprefix(scheme)
    text = text.split("@", 1)[0]
    head, _, last = text.rpartition("/")
    last = last.split(":", 1)[0] if head else last.rsplit(":", 1)[0]
    return f"{head}/{last}" if head else last


def compare(lower: Mapping[str, Any], higher: Mapping[str, Any]) -> list[Weakening]:
    """The ways policy ``higher`` (higher tier) is weaker than ``lower`` (lower tier)."""
    low, high = _spec(lower), _spec(higher)
    out: list[Weakening] = []
    if "module" in low and module_name(low.get("module")) != module_name(high.get("module")):
        # another version of the same module is a promotion; another module is not comparable
        out.append(
            Weakening(("spec", "module"), "a different policy module than below: not comparable")
        )
    if (low.get("mode") or "protect") == "protect" and high.get("mode") == "monitor":
        out.append(Weakening(("spec", "mode"), "monitor in the higher tier, protect below"))
    if (low.get("failurePolicy") or "Fail") == "Fail" and high.get("failurePolicy") == "Ignore":
        out.append(Weakening(("spec", "failurePolicy"), "Ignore in the higher tier, Fail below"))
    out.extend(_rules(low.get("rules") or [], high.get("rules") or []))
    for name in ("namespaceSelector", "objectSelector"):
        if not _selector_no_narrower(low.get(name), high.get(name)):
            out.append(
                Weakening(("spec", name), "selects less than (or not provably as much as) below")
            )
    high_conditions = high.get("matchConditions") or []
    low_conditions = low.get("matchConditions") or []
    for index, condition in enumerate(high_conditions):
        if condition not in low_conditions:
            out.append(
                Weakening(("spec", "matchConditions", index), "a condition the lower tier lacks")
            )
    _lists(low.get("settings"), high.get("settings"), ("spec", "settings"), out)
    low_members = low.get("policies") if isinstance(low.get("policies"), dict) else {}
    high_members = high.get("policies") if isinstance(high.get("policies"), dict) else {}
    for member, entry in (low_members or {}).items():
        where: tuple[str | int, ...] = ("spec", "policies", str(member))
        if member not in (high_members or {}):
            out.append(Weakening(where, "member policy missing in the higher tier"))
        elif isinstance(entry, dict):
            other = (high_members or {})[member]
            other_settings = other.get("settings") if isinstance(other, dict) else None
            _lists(entry.get("settings"), other_settings, (*where, "settings"), out)
    return out
