"""Compare the policies of two tiers setting by setting (``from`` = lower, ``to`` = higher)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gitopspol.checks.base import Subject, path_to_pointer
from gitopspol.diff.extract import is_kubewarden, policy_views
from gitopspol.diff.model import (
    ORDERED,
    Category,
    Change,
    Direction,
    PolicyView,
    Setting,
    ordered_label,
    set_label,
)


def _ordered(before: Setting, after: Setting) -> Direction | None:
    old: Mapping[str, tuple[Any, str]] = before.value
    new: Mapping[str, tuple[Any, str]] = after.value
    weaker = stronger = levelled = False
    for scope in set(old) | set(new):
        a = old.get(scope, old.get("", (-1, "")))
        b = new.get(scope, new.get("", (-1, "")))
        if after.aspect.endswith("-version") and a[0][0] != b[0][0]:
            levelled = True  # the level changed: the level setting says how
            continue
        if b[0] < a[0]:
            weaker = True
        elif b[0] > a[0]:
            stronger = True
    if weaker:
        return Direction.WEAKENED
    if stronger:
        return Direction.STRENGTHENED
    if ordered_label(old) != ordered_label(new) and not levelled:
        return Direction.CHANGED
    return None


def _paths(values: frozenset[str]) -> set[str]:
    return {value.partition("=")[0] for value in values}


def _sets(category: Category, old: frozenset[str], new: frozenset[str]) -> Direction | None:
    if old == new:
        return None
    added, removed = new - old, old - new
    if category is Category.DENY_LIST:
        return Direction.WEAKENED if removed else Direction.STRENGTHENED
    if category is Category.MATCH:
        # A value removed from a filter that remains, or a filter the lower tier lacks,
        # narrows what the policy sees; a filter dropped altogether widens it.
        kept = _paths(new)
        if any(value.partition("=")[0] in kept for value in removed) or kept - _paths(old):
            return Direction.WEAKENED
        return Direction.STRENGTHENED
    return Direction.WEAKENED if added else Direction.STRENGTHENED


def _describe_sets(old: frozenset[str], new: frozenset[str]) -> tuple[str, str]:
    added, removed = sorted(new - old), sorted(old - new)
    before = set_label(old)
    after = set_label(new)
    detail = []
    if added:
        detail.append("added " + ", ".join(added))
    if removed:
        detail.append("removed " + ", ".join(removed))
    return before, f"{after} ({'; '.join(detail)})" if detail else after


def _content_paths(old: str, new: str, prefix: str) -> list[str]:
    """The first few JSON pointers under which two canonical values differ."""
    out: list[str] = []

    def walk(a: Any, b: Any, path: tuple[str | int, ...]) -> None:
        if len(out) >= 3 or a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), (*path, key))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, (*path, i))
        else:
            out.append(prefix + path_to_pointer(path))

    walk(json.loads(old), json.loads(new), ())
    return out


def _setting_change(view: PolicyView, before: Setting, after: Setting) -> Change | None:
    category = after.category
    if before.category is not category:
        # The value changed shape (a list parameter became a string): report it as is.
        old, new = _label(before), _label(after)
        return Change(
            view.key, after.rule, after.aspect, category, Direction.CHANGED, old, new,
            view.subject, after.pointer,
        )  # fmt: skip
    if category in ORDERED:
        direction = _ordered(before, after)
        if direction is None:
            return None
        old, new = ordered_label(before.value), ordered_label(after.value)
    elif category is Category.CONTENT:
        if before.value == after.value:
            return None
        direction = Direction.CHANGED
        paths = _content_paths(before.value, after.value, after.pointer)
        old, new = "", ", ".join(paths)
        if paths:  # located at the first field that differs
            return Change(
                view.key, after.rule, after.aspect, category, direction, old, new,
                view.subject, paths[0],
            )  # fmt: skip
    else:
        direction = _sets(category, before.value, after.value)
        if direction is None:
            return None
        old, new = _describe_sets(before.value, after.value)
    return Change(
        view.key,
        after.rule,
        after.aspect,
        category,
        direction,
        old,
        new,
        view.subject,
        after.pointer,
    )


def _label(setting: Setting) -> str:
    if setting.category in ORDERED:
        return ordered_label(setting.value)
    if isinstance(setting.value, frozenset):
        return set_label(setting.value)
    return str(setting.value)


def _empty_like(setting: Setting) -> Setting:
    empty: Any = frozenset() if isinstance(setting.value, frozenset) else "null"
    return Setting(setting.category, setting.rule, setting.aspect, empty, setting.pointer)


def _rule_pointer(view: PolicyView, rule: str) -> str:
    """The pointer of a rule of a policy (its content setting's)."""
    for setting in view.settings:
        if setting.rule == rule and setting.aspect == "content":
            return setting.pointer
    return ""


def _kubewarden_changes(lower: PolicyView, higher: PolicyView) -> Iterator[Change]:
    """Kubewarden's own strictness judgement (rules, selectors, settings lists, module, group
    members) as weakenings; mode and failurePolicy are ordered settings, compared above."""
    from gitopspol.engines.kubewarden import compare as kubewarden_compare

    for weakening in kubewarden_compare(lower.subject.data, higher.subject.data):
        if weakening.path in (("spec", "mode"), ("spec", "failurePolicy")):
            continue
        aspect = ".".join(str(part) for part in weakening.path[1:])
        yield Change(
            higher.key, "", aspect, Category.KUBEWARDEN, Direction.WEAKENED, "",
            weakening.message, higher.subject, path_to_pointer(weakening.path),
        )  # fmt: skip


def compare_views(lower: PolicyView, higher: PolicyView) -> Iterator[Change]:
    """Changes of one policy between two tiers."""
    if is_kubewarden(lower.subject.data) and is_kubewarden(higher.subject.data):
        yield from _kubewarden_changes(lower, higher)
    for rule in lower.rules:
        if rule not in higher.rules:
            # Located in the higher tier's policy: that is where the rule went missing.
            yield Change(
                lower.key, rule, "rule", Category.PRESENCE, Direction.REMOVED, "present", "missing",
                higher.subject, _rule_pointer(lower, rule),
            )  # fmt: skip
    for rule in higher.rules:
        if rule not in lower.rules:
            yield Change(
                higher.key, rule, "rule", Category.PRESENCE, Direction.ADDED, "missing", "present",
                higher.subject, _rule_pointer(higher, rule),
            )  # fmt: skip
    shared = set(lower.rules) & set(higher.rules) | {""}
    old = lower.setting_map()
    new = higher.setting_map()
    for key, after in new.items():
        if key[0] not in shared:
            continue
        before = old.get(key)
        if before is None:
            if after.category in ORDERED:
                continue
            before = _empty_like(after)
        change = _setting_change(higher, before, after)
        if change is not None:
            yield change
    for key, before in old.items():
        if key[0] in shared and key not in new and before.category not in ORDERED:
            change = _setting_change(higher, before, _empty_like(before))
            if change is not None:
                yield change


def compare(lower: Iterable[Subject], higher: Iterable[Subject]) -> list[Change]:
    """Every policy-level difference from ``lower`` to ``higher``, in a stable order."""
    return compare_policies(policy_views(lower), policy_views(higher))


def compare_policies(
    lower: Mapping[str, PolicyView], higher: Mapping[str, PolicyView]
) -> list[Change]:
    """:func:`compare` on views already extracted (strictness rules reuse them per pair)."""
    changes: list[Change] = []
    for key, view in lower.items():
        if key not in higher:
            direction = Direction.STRENGTHENED if view.exemption else Direction.REMOVED
            category = Category.EXCLUSION if view.exemption else Category.PRESENCE
            changes.append(
                Change(key, "", "policy", category, direction, "present", "missing", view.subject,
                       "/metadata/name")
            )  # fmt: skip
    for key, view in higher.items():
        if key not in lower:
            direction = Direction.WEAKENED if view.exemption else Direction.ADDED
            category = Category.EXCLUSION if view.exemption else Category.PRESENCE
            changes.append(
                Change(key, "", "policy", category, direction, "missing", "present", view.subject,
                       "/metadata/name")
            )  # fmt: skip
        else:
            changes.extend(compare_views(lower[key], view))
    changes.sort(key=lambda c: (c.policy, c.rule, c.aspect))
    return changes
