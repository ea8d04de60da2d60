"""Behaviour cases (``tests/*.yaml`` of a policy repository): the format, its schema, the loader.

A case says what admission should do with some requests in each tier::

    apiVersion: gitopspol.io/v1alpha1
    kind: BehaviourCase
    metadata: {name: container-breakout}
    description: hostPID + privileged pod          # optional
    namespace: sbx                                 # for objects that set none (kubectl -n)
    userInfo: {username: alice, groups: [dev]}     # optional, for every request
    resources: [{apiVersion: v1, kind: Pod, ...}]  # each one a CREATE request
    review:                                        # or: one AdmissionReview (or its request)
      request: {operation: UPDATE, object: ..., oldObject: ..., userInfo: ...}
    expect:                                        # tiers left out are not checked
      sbx: warn
      prd:
        verdict: deny
        policies:                                  # optional, per policy
          pod-security: deny                       # PSA
          kyverno:restrict-image-registries: deny  # "engine:policy" when names clash
          K8sAllowedRepos/allowed-repos: deny      # Gatekeeper: Kind/name

Verdicts, weakest first: ``allow`` (admitted, nothing reported), ``audit`` (admitted, only
recorded in audit: Kyverno Audit, Gatekeeper dryrun, PSA audit, VAP Audit), ``warn``
(admitted with a warning to the client: Gatekeeper warn, PSA warn, VAP Warn), ``deny``
(rejected). A case's verdict is the strongest over its requests. See ``docs/behaviour.md``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from gitopspol.engines.admission import CLUSTER_SCOPED, Action, AdmissionRequest
from gitopspol.errors import ConfigError, InputError

API_VERSION = "gitopspol.io/v1alpha1"
KIND = "BehaviourCase"
#: Folder of a policy repository that holds the cases.
CASES_DIR = "tests"

_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"


class Verdict(StrEnum):
    """What admission does with a request, weakest first."""

    ALLOW = "allow"
    AUDIT = "audit"
    WARN = "warn"
    DENY = "deny"

    @property
    def rank(self) -> int:
        """Strength: allow 0 < audit 1 < warn 2 < deny 3."""
        return _RANKS[self.value]

    @classmethod
    def of(cls, action: Action) -> Verdict:
        """The verdict one failing result with ``action`` gives."""
        return cls(action.value)


_RANKS = {"allow": 0, "audit": 1, "warn": 2, "deny": 3}
VERDICTS = tuple(v.value for v in Verdict)


def strongest(verdicts: list[Verdict]) -> Verdict:
    """The strongest of several verdicts (``allow`` for none)."""
    return max(verdicts, key=lambda v: v.rank, default=Verdict.ALLOW)


_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
#: What every engine relies on in an object under review (the API server guarantees it).
OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata"],
    "properties": {
        "apiVersion": {"type": "string", "minLength": 1},
        "kind": {"type": "string", "minLength": 1},
        "metadata": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "generateName": {"type": "string"},
                "namespace": {"type": "string"},
                "labels": _STRING_MAP,
                "annotations": _STRING_MAP,
            },
        },
    },
}
_OBJECT = OBJECT_SCHEMA
_USER_INFO = {
    "type": "object",
    "properties": {
        "username": {"type": "string"},
        "uid": {"type": "string"},
        "groups": {"type": "array", "items": {"type": "string"}},
        "roles": {"type": "array", "items": {"type": "string"}},
        "clusterRoles": {"type": "array", "items": {"type": "string"}},
    },
}
_REQUEST = {
    "type": "object",
    "properties": {
        "operation": {"enum": ["CREATE", "UPDATE", "DELETE", "CONNECT"]},
        "object": {"anyOf": [_OBJECT, {"type": "null"}]},
        "oldObject": {"anyOf": [_OBJECT, {"type": "null"}]},
        "namespace": {"type": "string"},
        "userInfo": _USER_INFO,
        "dryRun": {"type": "boolean"},
    },
    "anyOf": [{"required": ["object"]}, {"required": ["oldObject"]}],
}
_VERDICT = {"enum": list(VERDICTS)}

#: The JSON Schema of one case document (``docs/behaviour.md`` explains every field).
CASE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "gitopspol BehaviourCase",
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "expect"],
    "oneOf": [{"required": ["resources"]}, {"required": ["review"]}],
    "properties": {
        "apiVersion": {"const": API_VERSION},
        "kind": {"const": KIND},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1}},
        },
        "description": {"type": "string"},
        "namespace": {"type": "string", "pattern": _DNS_LABEL},
        "userInfo": _USER_INFO,
        "resources": {"type": "array", "minItems": 1, "items": _OBJECT},
        "review": {
            "type": "object",
            "anyOf": [
                {
                    "required": ["request"],
                    "properties": {
                        "apiVersion": {"const": "admission.k8s.io/v1"},
                        "kind": {"const": "AdmissionReview"},
                        "request": _REQUEST,
                    },
                },
                _REQUEST,
            ],
        },
        "expect": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": _DNS_LABEL},
            "additionalProperties": {
                "anyOf": [
                    _VERDICT,
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "minProperties": 1,
                        "properties": {
                            "verdict": _VERDICT,
                            "policies": {
                                "type": "object",
                                "minProperties": 1,
                                "additionalProperties": _VERDICT,
                            },
                        },
                    },
                ]
            },
        },
    },
}


@dataclass(frozen=True, slots=True)
class Expectation:
    """What a case expects in one tier: the verdict and, optionally, per-policy verdicts.

    ``policies`` keys are a policy as engines name it (``pod-security`` for PSA, a Kyverno
    policy name, a Gatekeeper ``Kind/name``), optionally prefixed ``engine:``.
    """

    verdict: Verdict | None
    policies: Mapping[str, Verdict] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BehaviourCase:
    """One behaviour case, loaded and checked."""

    name: str
    file: Path
    #: 1-based line where the case's document starts.
    line: int
    requests: tuple[AdmissionRequest, ...]
    #: tier -> expectation; tiers left out are not checked.
    expect: Mapping[str, Expectation]
    namespace: str | None = None
    description: str = ""

    @property
    def resources(self) -> tuple[str, ...]:
        """``Kind/name`` of each request's object, for reports."""
        return tuple(resource_id(r.resource) for r in self.requests)


def resource_id(obj: Mapping[str, Any]) -> str:
    """``Kind/name`` or ``Kind/namespace/name``."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    ns = meta.get("namespace")
    name = meta.get("name") or meta.get("generateName") or ""
    return f"{obj.get('kind', '')}/{ns}/{name}" if ns else f"{obj.get('kind', '')}/{name}"


def with_namespace(obj: dict[str, Any] | None, namespace: str | None) -> dict[str, Any] | None:
    """A copy of ``obj`` with ``namespace`` filled in where it sets none (as ``kubectl -n``)."""
    if obj is None:
        return None
    out = copy.deepcopy(obj)
    meta = out.get("metadata")
    if not isinstance(meta, dict):
        meta = out["metadata"] = {}
    if namespace and not meta.get("namespace") and out.get("kind") not in CLUSTER_SCOPED:
        meta["namespace"] = namespace
    return out


def _user(doc: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(doc or {})


def _requests(doc: Mapping[str, Any]) -> tuple[AdmissionRequest, ...]:
    namespace = doc.get("namespace")
    user = _user(doc.get("userInfo"))
    if "resources" in doc:
        return tuple(
            AdmissionRequest(object=with_namespace(r, namespace), user_info=user)
            for r in doc["resources"]
        )
    review = doc["review"]
    req = review.get("request", review)
    namespace = req.get("namespace") or namespace
    obj = with_namespace(req.get("object"), namespace)
    old = with_namespace(req.get("oldObject"), namespace)
    operation = str(req.get("operation") or ("DELETE" if obj is None else "CREATE"))
    return (
        AdmissionRequest(
            object=obj,
            old_object=old,
            operation=operation,
            user_info=_user(req.get("userInfo")) or user,
            dry_run=bool(req.get("dryRun", False)),
        ),
    )


def _expectation(value: Any) -> Expectation:
    if isinstance(value, str):
        return Expectation(Verdict(value))
    verdict = value.get("verdict")
    return Expectation(
        Verdict(verdict) if verdict else None,
        {str(k): Verdict(v) for k, v in (value.get("policies") or {}).items()},
    )


def parse_case(
    doc: Any, source: str | Path, text: str = "", index: int = 0, line: int = 1
) -> BehaviourCase:
    """Validate one loaded case document against :data:`CASE_SCHEMA` and build the case.

    Errors are a :class:`ConfigError` naming the field, at its line when ``text`` is given.
    """
    from gitopspol.repo.schemas import dotted_path, first_error
    from gitopspol.yamlio import locate

    problem = first_error(doc, CASE_SCHEMA, defs=False)
    if problem is not None:
        at, message = problem
        found = locate(text, index, at) if text else None
        dotted = dotted_path(at)
        raise ConfigError(
            f"{dotted}: {message}" if dotted else message, source, found[0] if found else line
        )
    return BehaviourCase(
        name=doc["metadata"]["name"],
        file=Path(source),
        line=line,
        requests=_requests(doc),
        expect={str(t): _expectation(v) for t, v in doc["expect"].items()},
        namespace=doc.get("namespace"),
        description=doc.get("description", ""),
    )


def load_case_file(path: str | Path, tiers: tuple[str, ...] | None = None) -> list[BehaviourCase]:
    """Every case in one YAML file (one per document); errors at file:line.

    With ``tiers``, an ``expect`` entry naming another tier is an error.
    """
    from gitopspol.yamlio import document_lines, load_all, locate, read_text

    p = Path(path)
    text = read_text(p)
    lines = document_lines(text)
    cases = []
    for index, doc in enumerate(load_all(text, p)):
        if doc is None:
            continue
        line = lines[index] if index < len(lines) else 1
        if not isinstance(doc, dict):
            raise InputError("a behaviour case must be a mapping", p, line)
        case = parse_case(doc, p, text, index, line)
        for tier in case.expect:
            if tiers is not None and tier not in tiers:
                found = locate(text, index, ["expect", tier])
                raise ConfigError(
                    f"expect.{tier}: unknown tier {tier!r} (tiers: {', '.join(tiers)})",
                    p,
                    found[0] if found else line,
                )
        cases.append(case)
    return cases


def load_cases(root: str | Path, tiers: tuple[str, ...] | None = None) -> tuple[BehaviourCase, ...]:
    """Every case under ``<root>/tests`` (``*.yaml``/``*.yml``, sorted by path); names unique."""
    folder = Path(root) / CASES_DIR
    if not folder.is_dir():
        return ()
    paths = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    cases: list[BehaviourCase] = []
    seen: dict[str, BehaviourCase] = {}
    for path in paths:
        for case in load_case_file(path, tiers):
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
