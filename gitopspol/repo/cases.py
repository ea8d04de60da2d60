"""Behaviour cases (``tests/*.yaml`` of a policy repository): resources and expected verdicts.

A case says how admission should treat some resources in each tier::

    apiVersion: gitopspol.io/v1alpha1
    kind: BehaviourCase
    metadata: {name: container-breakout}
    description: hostPID + privileged pod      # optional
    namespace: sbx                             # for resources that set none (like kubectl -n)
    resources: [{apiVersion: v1, kind: Pod, ...}]
    expect: {sbx: warn, prd: deny}             # tiers left out are not checked

Verdicts, weakest first: ``allow`` (admitted, nothing reported), ``warn`` (admitted, at least
one policy reports a violation: audit or warning), ``deny`` (rejected). With several
resources the strongest verdict counts. This module loads and checks cases; running them is
the job of ``gitopspol test``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitopspol.errors import ConfigError
from gitopspol.repo.model import Repository
from gitopspol.repo.schemas import DNS_LABEL, dotted_path, first_error
from gitopspol.yamlio import load_all, locate, read_text

#: Verdicts, weakest first.
VERDICTS = ("allow", "warn", "deny")
CASES_DIR = "tests"
#: Kinds that are never namespaced (the case's namespace is not applied to them).
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PriorityClass",
        "RuntimeClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
)

CASE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "resources", "expect"],
    "properties": {
        "apiVersion": {"const": "gitopspol.io/v1alpha1"},
        "kind": {"const": "BehaviourCase"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1}},
        },
        "description": {"type": "string"},
        "namespace": {"type": "string", "pattern": DNS_LABEL},
        "resources": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["apiVersion", "kind", "metadata"],
                "properties": {
                    "apiVersion": {"type": "string", "minLength": 1},
                    "kind": {"type": "string", "minLength": 1},
                    "metadata": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string", "minLength": 1}},
                    },
                },
            },
        },
        "expect": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": DNS_LABEL},
            "additionalProperties": {"enum": list(VERDICTS)},
        },
    },
}


@dataclass(frozen=True, slots=True)
class BehaviourCase:
    """One behaviour case, loaded and checked."""

    name: str
    file: Path
    #: 1-based line where the case's document starts.
    line: int
    resources: tuple[dict[str, Any], ...]
    #: tier -> expected verdict (``allow`` | ``warn`` | ``deny``).
    expect: dict[str, str] = field(default_factory=dict)
    namespace: str | None = None
    description: str = ""

    def objects(self) -> list[dict[str, Any]]:
        """The resources as sent to the API server: the case namespace filled in (copies)."""
        out = []
        for resource in self.resources:
            obj = copy.deepcopy(resource)
            meta = obj.setdefault("metadata", {})
            if (
                self.namespace
                and not meta.get("namespace")
                and obj.get("kind") not in CLUSTER_SCOPED
            ):
                meta["namespace"] = self.namespace
            out.append(obj)
        return out


def strongest(verdicts: list[str]) -> str:
    """The strongest of several verdicts (``allow`` for none)."""
    return max(verdicts, key=VERDICTS.index, default="allow")


def load_case_file(path: str | Path, tiers: tuple[str, ...] | None = None) -> list[BehaviourCase]:
    """Every case in one YAML file (one per document); errors at file:line.

    With ``tiers``, an ``expect`` entry naming another tier is an error.
    """
    p = Path(path)
    text = read_text(p)
    cases = []
    for index, doc in enumerate(load_all(text, p)):
        if doc is None:
            continue

        def where(at: list[str | int], index: int = index) -> int | None:
            found = locate(text, index, at)
            return found[0] if found else None

        problem = first_error(doc, CASE_SCHEMA)
        if problem is not None:
            at, message = problem
            dotted = dotted_path(at)
            raise ConfigError(f"{dotted}: {message}" if dotted else message, p, where(at))
        for tier in doc["expect"]:
            if tiers is not None and tier not in tiers:
                raise ConfigError(
                    f"expect.{tier}: unknown tier {tier!r} (tiers: {', '.join(tiers)})",
                    p,
                    where(["expect", tier]),
                )
        cases.append(
            BehaviourCase(
                name=doc["metadata"]["name"],
                file=p,
                line=where([]) or 1,
                resources=tuple(doc["resources"]),
                expect=dict(doc["expect"]),
                namespace=doc.get("namespace"),
                description=doc.get("description", ""),
            )
        )
    return cases


def load_cases(repo: Repository) -> tuple[BehaviourCase, ...]:
    """Every case under ``<repo>/tests`` (``*.yaml`` and ``*.yml``, sorted by path).

    Case names are unique; ``expect`` may only name the repository's tiers.
    """
    folder = repo.root / CASES_DIR
    paths = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    cases: list[BehaviourCase] = []
    seen: dict[str, BehaviourCase] = {}
    for path in paths:
        for case in load_case_file(path, repo.tier_names):
            first = seen.get(case.name)
            if first is not None:
                raise ConfigError(
                    f"duplicate case name {case.name!r} (first in {first.file}:{first.line})",
                    case.file,
                    case.line,
                )
            seen[case.name] = case
            cases.append(case)
    return tuple(cases)
