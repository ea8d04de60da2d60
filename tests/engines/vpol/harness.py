"""A small stand-alone runner of the CEL cases of the Kyverno corpus (``*-cel``, ``*-vpol``).

It reads each ``kyverno-test.yaml`` as the Kyverno CLI does (see the corpus README: default
namespace, values file operation and namespaces, userinfo, context, names or
namespace/name selecting objects of any kind) and calls the public API of
:mod:`gitopspol.engines.vpol`. ClusterPolicy ``validate.cel`` rules get a simple match on
kinds, operations and excluded names plus the auto-gen rule naming, enough to measure the CEL
evaluation; the Kyverno engine's suite runner is the official path.

``python -m tests.engines.vpol.harness`` prints every disagreement.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.engines.admission import CLUSTER_SCOPED, AdmissionRequest, RuleResult, Status
from gitopspol.engines.vpol import (
    CelContext,
    evaluate_cel_rule,
    evaluate_validating_policy,
    load_context,
    rewrite_cel,
    target_for_kind,
)
from gitopspol.errors import GitopspolError

CATEGORY = re.compile(r"^[a-z-]+-(cel|vpol)$")
POD_CONTROLLERS = (
    "DaemonSet",
    "Deployment",
    "Job",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
)


@dataclass(frozen=True)
class Line:
    """One expected result for one selected object, and what the API gave."""

    case: str
    policy: str
    rule: str | None
    resource: str
    expected: str
    actual: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def test_files(root: Path) -> Iterator[Path]:
    for category in sorted(os.listdir(root)):
        if not CATEGORY.match(category):
            continue
        for folder, dirs, names in os.walk(root / category):
            dirs.sort()
            if "kyverno-test.yaml" in names and folder.endswith(".kyverno-test"):
                yield Path(folder) / "kyverno-test.yaml"


def _docs(base: Path, names: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in names:
        out.extend(d for d in yamlio.load_all_file(base / name) if isinstance(d, dict))
    return out


def _kind_matches(pattern: str, obj: dict[str, Any]) -> bool:
    kind = str(obj.get("kind", ""))
    if "/" not in pattern:
        return pattern in (kind, "*")
    parts = pattern.split("/")
    api = str(obj.get("apiVersion", ""))
    group = api.rpartition("/")[0]
    if len(parts) == 3:
        return parts[2] in (kind, "*") and parts[0] in (group, "*")
    return parts[1] in (kind, "*") and parts[0] in (api, group, "*")


def _filter_matches(flt: dict[str, Any], obj: dict[str, Any], operation: str) -> bool:
    res = flt.get("resources") or {}
    if not any(_kind_matches(str(k), obj) for k in res.get("kinds") or ["*"]):
        return False
    if res.get("operations") and operation not in res["operations"]:
        return False
    names = res.get("names")
    return not names or (obj.get("metadata") or {}).get("name") in names


def _rule_variants(
    policy: dict[str, Any], rule: dict[str, Any]
) -> list[tuple[str, dict[str, Any], list[str] | None]]:
    """``(name, rule, kinds)`` for the rule and its auto-gen variants (kinds None: as written)."""
    variants: list[tuple[str, dict[str, Any], list[str] | None]] = [(rule["name"], rule, None)]
    kinds = [
        str(k)
        for f in (rule.get("match") or {}).get("any") or []
        for k in (f.get("resources") or {}).get("kinds") or []
    ]
    if kinds != ["Pod"] and set(kinds) != {"Pod"}:
        return variants
    annotation = ((policy.get("metadata") or {}).get("annotations") or {}).get(
        "pod-policies.kyverno.io/autogen-controllers"
    )
    controllers = (
        [*POD_CONTROLLERS, "CronJob"]
        if annotation is None
        else [c.strip() for c in str(annotation).split(",") if c.strip() not in ("", "none")]
    )
    pods = [c for c in controllers if c in POD_CONTROLLERS]
    if pods:
        variants.append(("autogen-" + rule["name"], rule, pods))
    if "CronJob" in controllers:
        variants.append(("autogen-cronjob-" + rule["name"], rule, ["CronJob"]))
    return variants


def _rewrite_rule(rule: dict[str, Any], kind: str) -> dict[str, Any]:
    target = target_for_kind(kind)
    if target is None:
        return rule
    out = dict(rule)
    for key in ("validate", "celPreconditions"):
        if key in rule:
            text = yamlio.dump(rule[key])
            out[key] = yamlio.load(rewrite_cel(text, target))
    return out


def _cel_rule_results(
    policy: dict[str, Any], request: AdmissionRequest, context: CelContext
) -> dict[str, RuleResult]:
    obj = request.resource
    out: dict[str, RuleResult] = {}
    for rule in (policy.get("spec") or {}).get("rules") or []:
        if "cel" not in (rule.get("validate") or {}):
            continue
        for name, base, kinds in _rule_variants(policy, rule):
            if kinds is not None and obj.get("kind") not in kinds:
                continue
            if kinds is None:
                match = (base.get("match") or {}).get("any") or []
                if not any(_filter_matches(f, obj, request.operation) for f in match):
                    continue
            else:
                ops = {
                    o
                    for f in (base.get("match") or {}).get("any") or []
                    for o in (f.get("resources") or {}).get("operations") or []
                }
                if ops and request.operation not in ops:
                    continue
            excluded = (base.get("exclude") or {}).get("any") or []
            if any(_filter_matches(f, obj, request.operation) for f in excluded):
                continue
            effective = _rewrite_rule(base, str(obj.get("kind"))) if kinds is not None else base
            out[name] = evaluate_cel_rule(policy, effective, request, context=context)
    return out


def _values(base: Path, test: dict[str, Any]) -> dict[str, Any]:
    name = test.get("variables")
    return yamlio.load_file(base / name) if name else {}


def _operation(values: dict[str, Any], policy: str, resource: str) -> str:
    op = str((values.get("globalValues") or {}).get("request.operation", "CREATE"))
    for pol in values.get("policies") or []:
        if pol.get("name") != policy:
            continue
        for res in pol.get("resources") or []:
            if res.get("name") == resource and "request.operation" in (res.get("values") or {}):
                op = str(res["values"]["request.operation"])
    return op


def _request(
    obj: dict[str, Any], operation: str, values: dict[str, Any], user: dict[str, Any]
) -> AdmissionRequest:
    ns = (obj.get("metadata") or {}).get("namespace")
    ns_obj = None
    for cand in values.get("namespaces") or []:
        if (cand.get("metadata") or {}).get("name") == ns:
            ns_obj = cand
    if ns_obj is None:
        for sel in values.get("namespaceSelector") or []:
            if sel.get("name") == ns:
                ns_obj = {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": ns, "labels": sel.get("labels") or {}},
                }
    if operation == "DELETE":
        return AdmissionRequest(None, obj, "DELETE", ns_obj, user)
    old = obj if operation == "UPDATE" else None
    return AdmissionRequest(obj, old, operation, ns_obj, user)


def run_case(test_file: Path, root: Path) -> list[Line]:
    base = test_file.parent
    case = str(base.parent.relative_to(root))
    test = yamlio.load_file(test_file)
    policies = {
        str((p.get("metadata") or {}).get("name")): p
        for p in _docs(base, test.get("policies") or [])
    }
    objects: list[dict[str, Any]] = []
    seen = set()
    for obj in _docs(base, test.get("resources") or []):
        meta = obj.setdefault("metadata", {})
        if obj.get("kind") not in CLUSTER_SCOPED and not meta.get("namespace"):
            meta["namespace"] = "default"
        key = (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace"), meta.get("name"))
        if key not in seen:
            seen.add(key)
            objects.append(obj)
    values = _values(base, test)
    user: dict[str, Any] = {}
    if test.get("userinfo"):
        user = (yamlio.load_file(base / test["userinfo"]) or {}).get("userInfo") or {}
    context = load_context(base / test["context"]) if test.get("context") else CelContext()
    lines: list[Line] = []
    for result in test.get("results") or []:
        pname = str(result.get("policy", "")).rpartition("/")[2]
        policy = policies[pname]
        rule = result.get("rule")
        expected = str(result.get("result"))
        for rid in result.get("resources") or []:
            ns, _, name = str(rid).rpartition("/")
            selected = [
                o
                for o in objects
                if o["metadata"].get("name") == name
                and (not ns or o["metadata"].get("namespace") == ns)
            ]
            for obj in selected:
                request = _request(obj, _operation(values, pname, name), values, user)
                actual, detail = _actual(policy, rule, request, context)
                lines.append(Line(case, pname, rule, str(rid), expected, actual, detail))
    return lines


def _actual(
    policy: dict[str, Any], rule: str | None, request: AdmissionRequest, context: CelContext
) -> tuple[str, str]:
    try:
        if policy.get("kind") in ("ValidatingPolicy", "ValidatingAdmissionPolicy"):
            results = evaluate_validating_policy(policy, request, context=context)
        else:
            by_name = _cel_rule_results(policy, request, context)
            names = {rule, f"autogen-{rule}", f"autogen-cronjob-{rule}"}
            results = [r for n, r in by_name.items() if n in names]
    except GitopspolError as exc:
        return "error", exc.message
    if not results:
        return "skip", "not applicable"
    statuses = {r.status for r in results}
    worst = next(
        s
        for s in (Status.ERROR, Status.FAIL, Status.PASS, Status.SKIP)
        if s in statuses or s == Status.SKIP
    )
    return worst.value, "; ".join(r.message for r in results if r.message)


def run_corpus(root: Path) -> list[Line]:
    lines: list[Line] = []
    for test_file in test_files(root):
        lines.extend(run_case(test_file, root))
    return lines


if __name__ == "__main__":
    corpus = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "kyverno"
    all_lines = run_corpus(corpus)
    bad = [line for line in all_lines if not line.ok]
    for line in bad:
        print(
            f"{line.case}\t{line.policy}\t{line.rule}\t{line.resource}\texpected={line.expected}\tactual={line.actual}\t{line.detail[:300]}"
        )
    print(f"{len(all_lines) - len(bad)}/{len(all_lines)} reproduced", file=sys.stderr)
