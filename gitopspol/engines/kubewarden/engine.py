"""Evaluate Kubewarden policies offline: ClusterAdmissionPolicy, AdmissionPolicy and groups.

A policy is evaluated the way Kubewarden's policy-server does, with the module run by the
waPC host of :mod:`gitopspol.engines.kubewarden.wapc`:

1. **match**: ``spec.rules`` (apiGroups, apiVersions, resources, operations, scope),
   ``namespaceSelector`` and ``objectSelector`` as the API server matches a webhook; an
   AdmissionPolicy only sees requests in its own namespace; ``matchConditions`` are CEL
   (``object``, ``oldObject``, ``request``). A request that does not match is SKIP.
2. **module**: ``spec.module`` ``file://PATH`` (relative to ``base_dir``) or a
   ``registry://`` / ``https://`` reference mapped to a local file through ``module_paths``
   (keys are the reference, with or without its ``registry://`` prefix). Without a local
   module, or without the optional ``wasmtime`` package, the result is NOT_EVALUATED,
   never PASS.
3. **settings**: ``validate_settings`` with ``spec.settings`` (``{}`` when absent); invalid
   settings are an ERROR, as policy-server refuses to serve the policy.
4. **validate**: the payload is ``{"request": <admission.k8s.io/v1 AdmissionRequest>,
   "settings": ...}``; the answer ``{"accepted", "message", "code", "mutated_object",
   "warnings"}``. Rejected is FAIL with ``spec.message`` when set (Kubewarden puts the
   policy's own message in the response details), else the policy's message. In protect
   mode a mutation from a policy without ``mutating: true`` is rejected, as policy-server
   does; in monitor mode the patch is dropped.
   ``mode: protect`` fails with :attr:`Action.DENY`, ``monitor`` with :attr:`Action.AUDIT`
   (the request is admitted and the result only logged).

A module that traps, loops or exhausts its memory gives ERROR (``failurePolicy: Ignore``:
SKIP), with the reason; ``timeoutEvalSeconds`` (of the policy or of a group member) replaces
the default time bound. Policy groups evaluate each member policy and then
``spec.expression``, CEL where each member is a function ``name()`` returning whether it
accepted the request.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gitopspol.engines.admission import Action, AdmissionRequest, RuleResult, Status
from gitopspol.engines.kubewarden.wapc import (
    DEFAULT_FUEL,
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIMEOUT,
    UnsupportedModule,
    WapcModule,
    wasmtime_available,
)
from gitopspol.errors import InputError, PolicyError

ENGINE = "kubewarden"
POLICY_KINDS = frozenset({"ClusterAdmissionPolicy", "AdmissionPolicy"})
GROUP_KINDS = frozenset({"ClusterAdmissionPolicyGroup", "AdmissionPolicyGroup"})
#: Reason given when a policy's module is not a local file.
NOT_OFFLINE = "module not available offline"
#: Changed paths of a mutated object listed in a result message before "...".
_MAX_PATHS = 10


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds of one module call (see :meth:`WapcModule.call`)."""

    fuel: int | None = DEFAULT_FUEL
    timeout: float | None = DEFAULT_TIMEOUT
    memory_limit: int = DEFAULT_MEMORY_LIMIT


@dataclass(frozen=True, slots=True)
class ValidationResponse:
    """A policy's answer to ``validate`` (Kubewarden SDK ``ValidationResponse``)."""

    accepted: bool
    message: str | None = None
    code: int | None = None
    mutated_object: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _answer(module: WapcModule, operation: str, payload: Any, limits: Limits) -> dict[str, Any]:
    raw = module.call(
        operation,
        _compact(payload),
        fuel=limits.fuel,
        timeout=limits.timeout,
        memory_limit=limits.memory_limit,
    )
    try:
        answer = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise PolicyError(f"{operation}: the module's answer is not JSON", module.source) from None
    if not isinstance(answer, dict):
        raise PolicyError(f"{operation}: the module's answer is not a JSON object", module.source)
    return answer


def validate_settings(
    module: WapcModule, settings: Mapping[str, Any] | None, *, limits: Limits = Limits()
) -> tuple[bool, str]:
    """Ask the module whether ``settings`` are valid: ``(valid, message)``.

    Raises PolicyError when the module fails or answers something else than
    ``{"valid": bool, "message": str?}``.
    """
    answer = _answer(module, "validate_settings", dict(settings or {}), limits)
    valid = answer.get("valid")
    if not isinstance(valid, bool):
        raise PolicyError("validate_settings: the answer has no boolean 'valid'", module.source)
    return valid, str(answer.get("message") or "")


def admission_request(request: AdmissionRequest) -> dict[str, Any]:
    """The ``admission.k8s.io/v1`` AdmissionRequest a Kubewarden policy receives.

    The uid is derived from the request content, so evaluations are reproducible.
    """
    from gitopspol.engines.vpol.evaluate import request_data

    data = request_data(request)
    identity = _compact([request.operation, request.object, request.old_object])
    data["uid"] = str(uuid.uuid5(uuid.NAMESPACE_OID, identity.decode("utf-8")))
    data["object"] = request.object
    data["oldObject"] = request.old_object
    return data


def request_from_review(document: Any, source: str = "<request>") -> AdmissionRequest:
    """An :class:`AdmissionRequest` from an AdmissionReview or a bare AdmissionRequest.

    Kubewarden policy repositories keep their test requests in this form (``kwctl run
    --request-path``); ``object``, ``oldObject``, ``operation``, ``userInfo`` and ``dryRun``
    are taken. Raises InputError naming ``source`` when the document is neither.
    """
    if isinstance(document, dict) and document.get("kind") == "AdmissionReview":
        document = document.get("request")
    if not isinstance(document, dict) or not (
        isinstance(document.get("object"), dict) or isinstance(document.get("oldObject"), dict)
    ):
        raise InputError("not an AdmissionReview or AdmissionRequest with an object", source)
    user = document.get("userInfo")
    return AdmissionRequest(
        object=document.get("object"),
        old_object=document.get("oldObject"),
        operation=str(document.get("operation") or "CREATE"),
        user_info=user if isinstance(user, dict) else {},
        dry_run=bool(document.get("dryRun")),
    )


def validate(
    module: WapcModule,
    request: AdmissionRequest,
    settings: Mapping[str, Any] | None = None,
    *,
    limits: Limits = Limits(),
) -> ValidationResponse:
    """Run the module's ``validate`` on ``request`` with ``settings``."""
    payload = {"request": admission_request(request), "settings": dict(settings or {})}
    answer = _answer(module, "validate", payload, limits)
    accepted = answer.get("accepted")
    if not isinstance(accepted, bool):
        raise PolicyError("validate: the answer has no boolean 'accepted'", module.source)
    mutated = answer.get("mutated_object")
    if mutated is not None and not isinstance(mutated, dict):
        raise PolicyError("validate: 'mutated_object' is not an object", module.source)
    code = answer.get("code")
    warnings = answer.get("warnings") or []
    return ValidationResponse(
        accepted=accepted,
        message=str(answer["message"]) if answer.get("message") is not None else None,
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        mutated_object=mutated,
        warnings=tuple(str(w) for w in warnings) if isinstance(warnings, list) else (),
    )


def resolve_module(
    reference: str, *, module_paths: Mapping[str, Path], base_dir: Path
) -> Path | None:
    """The local file of a ``spec.module`` reference, or None when only a registry has it.

    ``file://`` paths are relative to ``base_dir`` unless absolute (``file:///abs``). Other
    references (``registry://``, ``https://``, or none, which Kubewarden reads as
    ``registry://``) are looked up in ``module_paths``, with and without the prefix.
    """
    if reference.startswith("file://"):
        path = Path(reference.removeprefix("file://"))
        return path if path.is_absolute() else base_dir / path
    bare = reference.removeprefix("registry://")
    for key in (reference, bare, "registry://" + bare):
        if key in module_paths:
            path = Path(module_paths[key])
            return path if path.is_absolute() else base_dir / path
    return None


def _metadata(policy: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = policy.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _spec(policy: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = policy.get("spec")
    if not isinstance(spec, dict):
        raise PolicyError(f"{policy.get('kind')} {_metadata(policy).get('name')!r} has no spec")
    return spec


def _actions(spec: Mapping[str, Any]) -> tuple[Action, ...]:
    mode = spec.get("mode") or "protect"
    if mode not in ("protect", "monitor"):
        raise PolicyError(f"spec.mode must be 'protect' or 'monitor', not {mode!r}")
    return (Action.DENY,) if mode == "protect" else (Action.AUDIT,)


def _matches(policy: Mapping[str, Any], spec: Mapping[str, Any], request: AdmissionRequest) -> str:
    """Why the policy does not match the request; empty when it matches."""
    from gitopspol.engines.vpol.matching import match_resources

    if policy.get("kind") in ("AdmissionPolicy", "AdmissionPolicyGroup"):
        # The controller pins a namespaced policy to its own namespace (namespaceSelector on
        # kubernetes.io/metadata.name); without metadata.namespace it cannot be known here.
        own = _metadata(policy).get("namespace")
        if own and request.namespace != own:
            return f"request is not in the policy's namespace {own!r}"
    match = {
        "resourceRules": _list_of_maps(spec, "rules"),
        "namespaceSelector": _selector(spec, "namespaceSelector"),
        "objectSelector": _selector(spec, "objectSelector"),
    }
    if not match_resources(match, request):
        return "request does not match spec.rules, namespaceSelector or objectSelector"
    for index, condition in enumerate(_list_of_maps(spec, "matchConditions")):
        where = f"spec.matchConditions[{index}]"
        expr = condition.get("expression")
        if not isinstance(expr, str):
            raise PolicyError(f"{where} needs a string 'expression'")
        value = _cel(expr, request, {}, where)
        if not isinstance(value, bool):
            raise PolicyError(f"{where}: expression must evaluate to bool, got {value!r}")
        if not value:
            return f"match condition {condition.get('name', index)!r} is false"
    return ""


def _list_of_maps(spec: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = spec.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PolicyError(f"spec.{key} must be a list of mappings")
    return value


def _selector(spec: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = spec.get(key)
    if value is not None and not isinstance(value, dict):
        raise PolicyError(f"spec.{key} must be a label selector (a mapping)")
    for field in ("matchLabels", "matchExpressions"):
        inner = (value or {}).get(field)
        if inner is not None and not isinstance(inner, dict if field == "matchLabels" else list):
            raise PolicyError(f"spec.{key}.{field} has the wrong type")
    return value


def _cel(expr: str, request: AdmissionRequest, extra: Mapping[str, Any], where: str) -> Any:
    from gitopspol.engines.cel import DEFAULT_VARIABLES, compile_program
    from gitopspol.engines.vpol.evaluate import request_data

    activation = {
        "object": request.object,
        "oldObject": request.old_object,
        "request": request_data(request),
        **extra,
    }
    try:
        return compile_program(expr, (*DEFAULT_VARIABLES, *extra)).evaluate(activation)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc.message}") from None


def _mutation_summary(before: Any, after: Any, path: str = "") -> list[str]:
    """The JSON-pointer paths a mutation adds, changes or removes."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key not in after:
                out.append(f"removed {sub}")
            elif key not in before:
                out.append(f"added {sub}")
            else:
                out.extend(_mutation_summary(before[key], after[key], sub))
        return out
    return [] if before == after else [f"changed {path or '/'}"]


def policy_limits(spec: Mapping[str, Any], limits: Limits) -> Limits:
    """``limits`` with the policy's own ``timeoutEvalSeconds`` as its time bound, when set."""
    seconds = spec.get("timeoutEvalSeconds")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        return replace(limits, timeout=float(seconds))
    return limits


@dataclass(frozen=True, slots=True)
class _Member:
    """One policy (or group member) to run: its name, spec (module, settings), where modules are."""

    name: str
    spec: Mapping[str, Any]
    module_paths: Mapping[str, Path]
    base_dir: Path
    limits: Limits

    def run(self, request: AdmissionRequest) -> ValidationResponse | RuleResult:
        """The module's answer, or the result that says why there is none."""
        reference = self.spec.get("module")
        if not isinstance(reference, str) or not reference:
            return self._result(Status.ERROR, "spec.module must be a non-empty string")
        path = resolve_module(reference, module_paths=self.module_paths, base_dir=self.base_dir)
        if path is None:
            return self._result(Status.NOT_EVALUATED, f"{NOT_OFFLINE}: {reference}")
        if not wasmtime_available():
            return self._result(
                Status.NOT_EVALUATED,
                "wasmtime is not installed (pip install 'gitopspol[kubewarden]')",
            )
        settings = self.spec.get("settings") or {}
        if not isinstance(settings, dict):
            return self._result(Status.ERROR, "spec.settings must be a mapping")
        limits = policy_limits(self.spec, self.limits)
        try:
            module = WapcModule.load(path)
            valid, message = _settings_verdict(module, settings, limits)
            if not valid:
                return self._result(Status.ERROR, f"invalid settings: {message or 'no reason'}")
            return validate(module, request, settings, limits=limits)
        except UnsupportedModule as exc:
            return self._result(Status.NOT_EVALUATED, str(exc))
        except (PolicyError, InputError) as exc:
            return self._result(Status.ERROR, str(exc))

    def _result(self, status: Status, message: str) -> RuleResult:
        return RuleResult(ENGINE, self.name, None, status, message)


#: validate_settings answers by (module digest, settings JSON): policy-server asks once.
_SETTINGS: dict[tuple[str, bytes], tuple[bool, str]] = {}


def _settings_verdict(
    module: WapcModule, settings: Mapping[str, Any], limits: Limits
) -> tuple[bool, str]:
    key = (module.digest, _compact(settings))
    verdict = _SETTINGS.get(key)
    if verdict is None:
        verdict = _SETTINGS.setdefault(key, validate_settings(module, settings, limits=limits))
    return verdict


def _policy_result(
    name: str, spec: Mapping[str, Any], request: AdmissionRequest, member: _Member
) -> RuleResult:
    actions = _actions(spec)
    answer = member.run(request)
    if isinstance(answer, RuleResult):
        return RuleResult(ENGINE, name, None, answer.status, answer.message, actions)
    notes = [f"warning: {w}" for w in answer.warnings]
    if not answer.accepted:
        message = str(spec.get("message") or answer.message or "request rejected")
        if spec.get("message") and answer.message:
            notes.insert(0, f"policy message: {answer.message}")
        if answer.code is not None:
            notes.insert(0, f"code {answer.code}")
        return RuleResult(ENGINE, name, None, Status.FAIL, "; ".join([message, *notes]), actions)
    if answer.mutated_object is not None:
        protect = actions == (Action.DENY,)
        if protect and not spec.get("mutating"):
            # policy-server (protect mode) rejects a mutation from a non-mutating policy.
            message = (
                f"Request rejected by policy {name}. The policy attempted to mutate the "
                "request, but it is currently configured to not allow mutations."
            )
            return RuleResult(ENGINE, name, None, Status.FAIL, message, actions)
        paths = _mutation_summary(request.resource, answer.mutated_object)
        shown = ", ".join(paths[:_MAX_PATHS]) + (", ..." if len(paths) > _MAX_PATHS else "")
        # In monitor mode policy-server accepts, drops the patch and only logs the response.
        label = "mutated" if protect else "mutated (not applied: monitor)"
        notes.insert(0, f"{label}: {shown}" if paths else f"{label}: no change")
    return RuleResult(ENGINE, name, None, Status.PASS, "; ".join(notes), actions)


def _group_result(
    name: str, spec: Mapping[str, Any], request: AdmissionRequest, members: dict[str, _Member]
) -> RuleResult:
    actions = _actions(spec)
    expression = spec.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        return RuleResult(ENGINE, name, None, Status.ERROR, "spec.expression is required", actions)
    verdicts: dict[str, bool] = {}
    rejections: list[str] = []
    for member_name, member in members.items():
        answer = member.run(request)
        if isinstance(answer, RuleResult):
            message = f"policy {member_name!r}: {answer.message}"
            return RuleResult(ENGINE, name, None, answer.status, message, actions)
        if answer.mutated_object is not None:
            message = f"policy {member_name!r}: policies in a group cannot mutate requests"
            return RuleResult(ENGINE, name, None, Status.ERROR, message, actions)
        verdicts[member_name] = answer.accepted
        if not answer.accepted:
            rejections.append(f"{member_name}: {answer.message or 'rejected'}")
    # Each member is a CEL function `name()`; bind the verdicts as variables instead.
    variables = {f"kwpolicy{i}": verdicts[n] for i, n in enumerate(members)}
    text = expression
    for index, member_name in enumerate(members):
        text = re.sub(rf"\b{re.escape(member_name)}\s*\(\s*\)", f"kwpolicy{index}", text)
    try:
        value = _cel(text, request, variables, "spec.expression")
    except PolicyError as exc:
        return RuleResult(ENGINE, name, None, Status.ERROR, exc.message, actions)
    if not isinstance(value, bool):
        message = f"spec.expression must evaluate to bool, got {value!r}"
        return RuleResult(ENGINE, name, None, Status.ERROR, message, actions)
    if value:
        return RuleResult(ENGINE, name, None, Status.PASS, "", actions)
    message = str(spec.get("message") or "request rejected by the policy group")
    if rejections:
        message += " (" + "; ".join(rejections) + ")"
    return RuleResult(ENGINE, name, None, Status.FAIL, message, actions)


def evaluate(
    policy: Mapping[str, Any],
    request: AdmissionRequest,
    *,
    module_paths: Mapping[str, Path] | None = None,
    base_dir: Path = Path("."),
    limits: Limits = Limits(),
) -> list[RuleResult]:
    """Evaluate one Kubewarden policy (or policy group) on ``request``.

    Returns one result, named after the policy (``namespace/name`` for the namespaced
    kinds). An ERROR (a malformed field, a module that fails) becomes SKIP under
    ``failurePolicy: Ignore``, as the API server then admits the request. Raises
    PolicyError for a document that is not a Kubewarden policy, has no spec or has an
    unknown ``mode``.
    """
    result = _evaluate(policy, request, dict(module_paths or {}), base_dir, limits)
    if result.status == Status.ERROR and _spec(policy).get("failurePolicy") == "Ignore":
        message = f"error ignored (failurePolicy: Ignore): {result.message}"
        result = replace(result, status=Status.SKIP, message=message)
    return [result]


def _evaluate(
    policy: Mapping[str, Any],
    request: AdmissionRequest,
    paths: dict[str, Path],
    base_dir: Path,
    limits: Limits,
) -> RuleResult:
    kind = str(policy.get("kind"))
    if kind not in POLICY_KINDS | GROUP_KINDS:
        raise PolicyError(f"not a Kubewarden policy: kind {kind!r}")
    meta = _metadata(policy)
    name = str(meta.get("name", ""))
    if kind.startswith("AdmissionPolicy") and meta.get("namespace"):
        name = f"{meta['namespace']}/{name}"
    spec = _spec(policy)
    actions = _actions(spec)
    try:
        why_not = _matches(policy, spec, request)
    except PolicyError as exc:
        return RuleResult(ENGINE, name, None, Status.ERROR, exc.message, actions)
    if why_not:
        return RuleResult(ENGINE, name, None, Status.SKIP, why_not, actions)
    if kind in POLICY_KINDS:
        return _policy_result(name, spec, request, _Member(name, spec, paths, base_dir, limits))
    policies = spec.get("policies")
    if not isinstance(policies, dict) or not policies:
        message = "spec.policies must map member names to policies"
        return RuleResult(ENGINE, name, None, Status.ERROR, message, actions)
    members = {
        str(member_name): _Member(
            f"{name}/{member_name}",
            entry if isinstance(entry, dict) else {},
            paths,
            base_dir,
            limits,
        )
        for member_name, entry in policies.items()
    }
    return _group_result(name, spec, request, members)
