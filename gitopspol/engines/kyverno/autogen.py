"""Auto-generated rules for Pod controllers (upstream ``pkg/autogen``).

A rule that matches only ``Pod`` gets ``autogen-<name>`` (DaemonSet, Deployment, Job,
StatefulSet, ReplicaSet, ReplicationController) and ``autogen-cronjob-<name>`` (CronJob).
Patterns move under ``spec.template`` (``spec.jobTemplate.spec.template``); JMESPath and CEL
text is rewritten by plain string replacement, as upstream does on the rule's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

ANNOTATION = "pod-policies.kyverno.io/autogen-controllers"
POD_CONTROLLERS = (
    "DaemonSet",
    "Deployment",
    "Job",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
)
ALL_CONTROLLERS = (*POD_CONTROLLERS, "CronJob")


def _descriptions(rule: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The resource descriptions of a rule's ``match`` or ``exclude`` (any, all, legacy)."""
    block = rule.get(key) or {}
    if not isinstance(block, dict):
        return []
    filters = list(block.get("any") or []) + list(block.get("all") or [])
    if block.get("resources"):
        filters.append(block)
    return [f.get("resources") or {} for f in filters if isinstance(f, dict)]


def _kind(selector: Any) -> str:
    """The kind of a kind selector (``Pod``, ``v1/Pod``, ``apps/v1/Deployment``, ``Pod/exec``)."""
    parts = str(selector).split("/")
    if len(parts) > 1 and parts[-1][:1].islower():
        parts = parts[:-1]  # subresource
    return parts[-1]


def _kinds(rule: Mapping[str, Any], key: str) -> list[str]:
    return [_kind(k) for desc in _descriptions(rule, key) for k in desc.get("kinds") or []]


def policy_can_autogen(policy: Mapping[str, Any]) -> bool:
    """Upstream ``CanAutoGen``: a policy-wide gate.

    Any rule with a generate block or JSON patches, or whose match/exclude use names,
    selectors or annotations, or list Pod together with other kinds, turns auto-gen off
    for the whole policy; at least one rule must match Pods.
    """
    needed = False
    for rule in (policy.get("spec") or {}).get("rules") or []:
        if not isinstance(rule, dict):
            continue
        mutate = rule.get("mutate") or {}
        foreach = mutate.get("foreach") or [] if isinstance(mutate, dict) else []
        if (
            rule.get("generate") is not None
            or (isinstance(mutate, dict) and mutate.get("patchesJson6902"))
            or any(isinstance(f, dict) and f.get("patchesJson6902") for f in foreach)
        ):
            return False
        for key in ("match", "exclude"):
            for desc in _descriptions(rule, key):
                if (
                    desc.get("name")
                    or desc.get("names")
                    or desc.get("selector")
                    or desc.get("annotations")
                ):
                    return False
                kinds = [_kind(k) for k in desc.get("kinds") or []]
                if len(kinds) > 1 and "Pod" in kinds:
                    return False
                needed = needed or "Pod" in kinds
    return needed


def rule_can_autogen(rule: Mapping[str, Any]) -> bool:
    """Upstream ``generateRuleForControllers``: match names Pod, exclude (if any kinds) too."""
    if str(rule.get("name", "")).startswith("autogen-"):
        return False
    excluded = _kinds(rule, "exclude")
    return "Pod" in _kinds(rule, "match") and (not excluded or "Pod" in excluded)


def controllers(policy: Mapping[str, Any]) -> list[str]:
    """The controllers named by the annotation (default: all)."""
    annotations = (policy.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(ANNOTATION)
    if value is None:
        return list(ALL_CONTROLLERS)
    text = str(value).strip()
    if text.lower() == "none" or not text:
        return []
    return [part.strip() for part in text.split(",") if part.strip() in ALL_CONTROLLERS]


def _replace_kinds(block: Any, kinds: list[str]) -> Any:
    if isinstance(block, dict):
        out = {}
        for key, value in block.items():
            if key == "kinds" and isinstance(value, list):
                out[key] = list(kinds)
            else:
                out[key] = _replace_kinds(value, kinds)
        return out
    if isinstance(block, list):
        return [_replace_kinds(v, kinds) for v in block]
    return block


_REPLACE_POD = (
    ("request.object.spec", "request.object.spec.template.spec"),
    ("request.oldObject.spec", "request.oldObject.spec.template.spec"),
    ("request.object.metadata", "request.object.spec.template.metadata"),
    ("request.oldObject.metadata", "request.oldObject.spec.template.metadata"),
)
_REPLACE_CRON = (
    ("request.object.spec.template", "request.object.spec.jobTemplate.spec.template"),
    ("request.oldObject.spec.template", "request.oldObject.spec.jobTemplate.spec.template"),
)


def _rewrite(value: Any, pairs: tuple[tuple[str, str], ...]) -> Any:
    text = json.dumps(value)
    for old, new in pairs:
        text = text.replace(old, new)
    return json.loads(text)


def _rewrite_cel(validate: dict[str, Any], cron: bool) -> dict[str, Any]:
    """CEL text of ``validate.cel``: the CEL engine's replacements (shared with vpol)."""
    from gitopspol.engines.vpol.autogen import rewrite_cel

    text = rewrite_cel(json.dumps(validate["cel"]), "cronjobs" if cron else "pods")
    return {**validate, "cel": json.loads(text)}


def _wrap(pattern: Any, prefix: list[str]) -> Any:
    for key in reversed(prefix):
        pattern = {key: pattern}
    return pattern


def _controller_rule(
    rule: dict[str, Any], name: str, kinds: list[str], cron: bool
) -> dict[str, Any]:
    new = {k: v for k, v in rule.items() if k not in ("match", "exclude", "validate")}
    new["name"] = name
    for key in ("match", "exclude"):
        if key in rule:
            new[key] = _replace_kinds(rule[key], kinds)
    validate = dict(rule.get("validate") or {})
    prefix = ["spec", "jobTemplate", "spec", "template"] if cron else ["spec", "template"]
    if "pattern" in validate:
        validate["pattern"] = _wrap(validate["pattern"], prefix)
    if "anyPattern" in validate and isinstance(validate["anyPattern"], list):
        validate["anyPattern"] = [_wrap(p, prefix) for p in validate["anyPattern"]]
    if validate.get("cel") is not None:
        validate = _rewrite_cel(validate, cron)
    if "validate" in rule:
        new["validate"] = validate
    # Upstream rewrites the JSON of the whole generated rule.
    new = _rewrite(new, _REPLACE_POD)
    if cron:
        new = _rewrite(new, _REPLACE_CRON)
    return dict(new)


def expand_rules(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The policy's rules followed by their generated controller rules.

    The policy's own rule objects are returned, not copies (generated rules are new
    objects): read them, never change them.
    """
    rules = [r for r in (policy.get("spec") or {}).get("rules") or [] if isinstance(r, dict)]
    out = list(rules)
    wanted = controllers(policy)
    if not wanted or not policy_can_autogen(policy):
        return out
    plain = [k for k in wanted if k != "CronJob"]
    for rule in rules:
        if not rule_can_autogen(rule):
            continue
        name = str(rule.get("name", ""))
        if plain:
            out.append(_controller_rule(rule, f"autogen-{name}", plain, cron=False))
        if "CronJob" in wanted:
            out.append(_controller_rule(rule, f"autogen-cronjob-{name}", ["CronJob"], cron=True))
    return out
