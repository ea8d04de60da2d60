"""Kubewarden policies evaluated offline with WAT guests: matching, modes, mutation, errors."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

from gitopspol.engines.admission import Action, AdmissionRequest, Status
from gitopspol.engines.kubewarden import (
    Limits,
    admission_request,
    evaluate,
    request_from_review,
    resolve_module,
)
from gitopspol.engines.kubewarden.engine import policy_limits
from gitopspol.errors import InputError, PolicyError
from tests.conftest import build_file_tree
from tests.engines.kubewarden import guests

pytest.importorskip("wasmtime")

PRIVILEGED = '"privileged":true'
REJECT = {"accepted": False, "message": "privileged containers are not allowed", "code": 403}
POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "prd"},
    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
}
MUTATED = {**POD, "metadata": {**POD["metadata"], "labels": {"mutated": "yes"}}}


def _pod(privileged: bool = False, labels: dict[str, str] | None = None) -> dict[str, Any]:
    pod = copy.deepcopy(POD)
    if privileged:
        pod["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    if labels:
        pod["metadata"]["labels"] = labels
    return pod


def _request(obj: dict[str, Any], **kwargs: Any) -> AdmissionRequest:
    return AdmissionRequest(object=obj, **kwargs)


@pytest.fixture
def modules(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path,
        {
            "policies/privileged.wat": guests.guest_wat(reject_if=(PRIVILEGED, REJECT)),
            "policies/mutate.wat": guests.guest_wat(
                validate={"accepted": True, "mutated_object": MUTATED}
            ),
            "policies/bad-settings.wat": guests.guest_wat(
                settings={"valid": False, "message": "allowedRegistries must not be empty"}
            ),
            "policies/trap.wat": guests.guest_wat(before=guests.TRAP),
            "policies/loop.wat": guests.guest_wat(before=guests.LOOP),
            "policies/accept.wat": guests.guest_wat(),
            "policies/reject-all.wat": guests.guest_wat(
                validate={"accepted": False, "message": "no"}
            ),
            "policies/opa.wat": guests.guest_wat(metadata={"executionMode": "opa"}),
            "policies/registries.wat": guests.guest_wat(
                reject_if=('"allowedRegistries":[]', {"accepted": False})
            ),
        },
    )


def _policy(module: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policies.kubewarden.io/v1",
        "kind": "ClusterAdmissionPolicy",
        "metadata": {"name": "no-privileged"},
        "spec": {
            "module": module,
            "mutating": False,
            "rules": [
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "resources": ["pods"],
                    "operations": ["CREATE", "UPDATE"],
                }
            ],
            **spec,
        },
    }


def _one(policy: dict[str, Any], obj: dict[str, Any], base: Path, **kwargs: Any) -> Any:
    results = evaluate(policy, _request(obj), base_dir=base, **kwargs)
    assert len(results) == 1
    assert results[0].engine == "kubewarden"
    return results[0]


def test_protect_denies_and_accepts(modules: Path) -> None:
    policy = _policy("file://policies/privileged.wat")
    bad = _one(policy, _pod(privileged=True), modules)
    assert (bad.status, bad.actions, bad.policy) == (Status.FAIL, (Action.DENY,), "no-privileged")
    assert bad.message == "privileged containers are not allowed; code 403"
    good = _one(policy, _pod(), modules)
    assert (good.status, good.message) == (Status.PASS, "")


def test_monitor_reports_as_audit(modules: Path) -> None:
    result = _one(_policy("file://policies/privileged.wat", mode="monitor"), _pod(True), modules)
    assert (result.status, result.actions) == (Status.FAIL, (Action.AUDIT,))


def test_spec_message_overrides(modules: Path) -> None:
    policy = _policy("file://policies/privileged.wat", message="ask the platform team")
    result = _one(policy, _pod(True), modules)
    assert result.message.startswith("ask the platform team; code 403; policy message: privileged")


def test_absolute_file_module(modules: Path) -> None:
    policy = _policy(f"file://{modules / 'policies/privileged.wat'}")
    assert _one(policy, _pod(True), Path("/nonexistent")).status == Status.FAIL


def test_registry_module_without_local_file_is_not_evaluated(modules: Path) -> None:
    ref = "registry://ghcr.io/kubewarden/policies/pod-privileged:v0.3.2"
    result = _one(_policy(ref), _pod(True), modules)
    assert result.status == Status.NOT_EVALUATED
    assert result.message == f"module not available offline: {ref}"


@pytest.mark.parametrize(
    "key",
    [
        "registry://ghcr.io/kubewarden/policies/pod-privileged:v0.3.2",
        "ghcr.io/kubewarden/policies/pod-privileged:v0.3.2",
    ],
)
def test_registry_module_mapped_to_a_local_file(modules: Path, key: str) -> None:
    ref = "registry://ghcr.io/kubewarden/policies/pod-privileged:v0.3.2"
    paths = {key: Path("policies/privileged.wat")}
    assert _one(_policy(ref), _pod(True), modules, module_paths=paths).status == Status.FAIL
    # no prefix means registry:// for Kubewarden
    bare = _policy("ghcr.io/kubewarden/policies/pod-privileged:v0.3.2")
    assert _one(bare, _pod(True), modules, module_paths=paths).status == Status.FAIL


def test_resolve_module(tmp_path: Path) -> None:
    assert (
        resolve_module("file://a/b.wasm", module_paths={}, base_dir=tmp_path)
        == tmp_path / "a/b.wasm"
    )
    assert resolve_module("https://example.com/p.wasm", module_paths={}, base_dir=tmp_path) is None


def test_without_wasmtime_nothing_passes(modules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wasmtime", None)  # import wasmtime raises ImportError
    result = _one(_policy("file://policies/accept.wat"), _pod(), modules)
    assert result.status == Status.NOT_EVALUATED
    assert "wasmtime is not installed" in result.message


def test_unsupported_execution_mode_is_not_evaluated(modules: Path) -> None:
    result = _one(_policy("file://policies/opa.wat"), _pod(), modules)
    assert result.status == Status.NOT_EVALUATED
    assert "execution mode 'opa' is not supported offline" in result.message


def test_mutation_is_recorded(modules: Path) -> None:
    result = _one(_policy("file://policies/mutate.wat", mutating=True), _pod(), modules)
    assert (result.status, result.message) == (Status.PASS, "mutated: added /metadata/labels")


def test_mutation_in_monitor_mode_is_not_applied(modules: Path) -> None:
    policy = _policy("file://policies/mutate.wat", mutating=True, mode="monitor")
    result = _one(policy, _pod(labels={"mutated": "yes"}), modules)
    assert (result.status, result.message) == (
        Status.PASS,
        "mutated (not applied: monitor): no change",
    )


def test_mutation_from_a_non_mutating_policy_is_rejected(modules: Path) -> None:
    result = _one(_policy("file://policies/mutate.wat"), _pod(), modules)
    assert result.status == Status.FAIL
    assert result.message == (
        "Request rejected by policy no-privileged. The policy attempted to mutate the "
        "request, but it is currently configured to not allow mutations."
    )
    monitor = _one(_policy("file://policies/mutate.wat", mode="monitor"), _pod(), modules)
    assert (monitor.status, monitor.message) == (
        Status.PASS,
        "mutated (not applied: monitor): added /metadata/labels",
    )


def test_invalid_settings_are_an_error(modules: Path) -> None:
    policy = _policy("file://policies/bad-settings.wat", settings={"allowedRegistries": []})
    result = _one(policy, _pod(), modules)
    assert result.status == Status.ERROR
    assert result.message == "invalid settings: allowedRegistries must not be empty"


def test_settings_reach_validate(modules: Path) -> None:
    empty = _policy("file://policies/registries.wat", settings={"allowedRegistries": []})
    assert _one(empty, _pod(), modules).status == Status.FAIL
    some = _policy("file://policies/registries.wat", settings={"allowedRegistries": ["ghcr.io"]})
    assert _one(some, _pod(), modules).status == Status.PASS


def test_trap_is_an_error_or_ignored(modules: Path) -> None:
    result = _one(_policy("file://policies/trap.wat"), _pod(), modules)
    assert result.status == Status.ERROR
    assert "trapped: wasm `unreachable` instruction executed" in result.message
    ignored = _one(_policy("file://policies/trap.wat", failurePolicy="Ignore"), _pod(), modules)
    assert ignored.status == Status.SKIP
    assert ignored.message.startswith("error ignored (failurePolicy: Ignore)")


def test_failure_policy_ignore_covers_every_error(modules: Path) -> None:
    settings = _policy("file://policies/bad-settings.wat", failurePolicy="Ignore")
    assert _one(settings, _pod(), modules).status == Status.SKIP
    malformed = _policy("file://policies/accept.wat", failurePolicy="Ignore", rules="pods")
    assert _one(malformed, _pod(), modules).status == Status.SKIP
    group = _group("a()", a="file://policies/trap.wat")
    assert _one(group, _pod(), modules).status == Status.ERROR
    group["spec"]["failurePolicy"] = "Ignore"
    ignored = _one(group, _pod(), modules)
    assert ignored.status == Status.SKIP
    assert ignored.message.startswith("error ignored (failurePolicy: Ignore): policy 'a': ")


def test_loop_is_bounded(modules: Path) -> None:
    limits = Limits(fuel=2_000_000, timeout=1.0)
    result = _one(_policy("file://policies/loop.wat"), _pod(), modules, limits=limits)
    assert result.status == Status.ERROR
    assert "fuel limit exceeded" in result.message


def test_timeout_eval_seconds_sets_the_time_bound() -> None:
    limits = Limits(fuel=5, timeout=2.0, memory_limit=7)
    assert policy_limits({"timeoutEvalSeconds": 9}, limits) == Limits(5, 9.0, 7)
    assert policy_limits({}, limits) is limits
    assert policy_limits({"timeoutEvalSeconds": "9"}, limits) is limits


def test_missing_file_module_is_an_error(modules: Path) -> None:
    result = _one(_policy("file://policies/absent.wasm"), _pod(), modules)
    assert result.status == Status.ERROR
    assert "no such policy module" in result.message


@pytest.mark.parametrize(
    ("spec", "request_kwargs", "reason"),
    [
        ({}, {"operation": "DELETE"}, "does not match spec.rules"),
        (
            {
                "rules": [
                    {
                        "apiGroups": ["apps"],
                        "apiVersions": ["v1"],
                        "resources": ["deployments"],
                        "operations": ["*"],
                    }
                ]
            },
            {},
            "does not match",
        ),
        ({"rules": []}, {}, "does not match"),
        ({"namespaceSelector": {"matchLabels": {"tier": "prd"}}}, {}, "namespaceSelector"),
        (
            {"objectSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}},
            {},
            "objectSelector",
        ),
        (
            {
                "matchConditions": [
                    {"name": "not-web", "expression": "object.metadata.name != 'web'"}
                ]
            },
            {},
            "match condition 'not-web' is false",
        ),
    ],
)
def test_requests_that_do_not_match_are_skipped(
    modules: Path, spec: dict[str, Any], request_kwargs: dict[str, Any], reason: str
) -> None:
    policy = _policy("file://policies/reject-all.wat", **spec)
    results = evaluate(policy, _request(_pod(), **request_kwargs), base_dir=modules)
    assert results[0].status == Status.SKIP
    assert reason in results[0].message


def test_selectors_that_match(modules: Path) -> None:
    policy = _policy(
        "file://policies/reject-all.wat",
        namespaceSelector={"matchLabels": {"tier": "prd"}},
        objectSelector={"matchLabels": {"app": "web"}},
        matchConditions=[{"name": "web", "expression": "object.metadata.name == 'web'"}],
    )
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "prd", "labels": {"tier": "prd"}},
    }
    request = _request(_pod(labels={"app": "web"}), namespace_object=namespace)
    assert evaluate(policy, request, base_dir=modules)[0].status == Status.FAIL


def test_namespaced_policy_only_sees_its_namespace(modules: Path) -> None:
    policy = _policy("file://policies/reject-all.wat")
    policy["kind"] = "AdmissionPolicy"
    policy["metadata"]["namespace"] = "sbx"
    result = _one(policy, _pod(), modules)
    assert (result.status, result.policy) == (Status.SKIP, "sbx/no-privileged")
    policy["metadata"]["namespace"] = "prd"
    assert _one(policy, _pod(), modules).status == Status.FAIL


def test_bad_match_condition_is_an_error(modules: Path) -> None:
    policy = _policy(
        "file://policies/accept.wat", matchConditions=[{"name": "x", "expression": "object.("}]
    )
    result = _one(policy, _pod(), modules)
    assert result.status == Status.ERROR
    assert result.message.startswith("spec.matchConditions[0]:")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"rules": {"apiGroups": [""]}}, "spec.rules must be a list of mappings"),
        ({"rules": ["pods"]}, "spec.rules must be a list of mappings"),
        ({"namespaceSelector": "tier=prd"}, "spec.namespaceSelector must be a label selector"),
        ({"objectSelector": {"matchExpressions": {"key": "a"}}}, "objectSelector.matchExpressions"),
        ({"matchConditions": [{"name": "n"}]}, "needs a string 'expression'"),
        ({"matchConditions": [{"name": "n", "expression": "'yes'"}]}, "must evaluate to bool"),
        ({"module": 7}, "spec.module must be a non-empty string"),
        ({"settings": ["a"]}, "spec.settings must be a mapping"),
    ],
)
def test_malformed_policies_are_errors(modules: Path, spec: dict[str, Any], message: str) -> None:
    policy = _policy("file://policies/accept.wat")
    policy["spec"].update(spec)
    result = _one(policy, _pod(), modules)
    assert result.status == Status.ERROR
    assert message in result.message


def test_not_a_kubewarden_policy() -> None:
    with pytest.raises(PolicyError, match="not a Kubewarden policy"):
        evaluate({"kind": "ClusterPolicy"}, _request(_pod()))
    with pytest.raises(PolicyError, match=r"spec\.mode must be"):
        evaluate(_policy("file://x.wasm", mode="enforce"), _request(_pod()))


def test_admission_request_payload() -> None:
    old = _pod(labels={"v": "1"})
    data = admission_request(
        AdmissionRequest(
            object=_pod(),
            old_object=old,
            operation="UPDATE",
            user_info={"username": "alice", "groups": ["dev"]},
            dry_run=True,
        )
    )
    assert data["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert data["resource"] == {"group": "", "version": "v1", "resource": "pods"}
    assert (data["name"], data["namespace"], data["operation"]) == ("web", "prd", "UPDATE")
    assert data["userInfo"]["username"] == "alice"
    assert data["userInfo"]["groups"] == ["dev"]
    assert data["dryRun"] is True
    assert data["object"] == _pod()
    assert data["oldObject"] == old
    assert len(data["uid"]) == 36
    assert (
        data["uid"]
        == admission_request(AdmissionRequest(object=_pod(), old_object=old, operation="UPDATE"))[
            "uid"
        ]
    )


def _group(expression: str, **members: str) -> dict[str, Any]:
    policy = _policy("unused")
    policy["kind"] = "ClusterAdmissionPolicyGroup"
    del policy["spec"]["module"]
    policy["spec"]["expression"] = expression
    policy["spec"]["message"] = "the group says no"
    policy["spec"]["policies"] = {name: {"module": module} for name, module in members.items()}
    return policy


@pytest.mark.parametrize(
    ("expression", "status"),
    [
        ("accept() && reject()", Status.FAIL),
        ("accept() || reject()", Status.PASS),
        ("!reject()", Status.PASS),
        ("accept() && object.metadata.name == 'web'", Status.PASS),
    ],
)
def test_policy_group_expression(modules: Path, expression: str, status: Status) -> None:
    group = _group(
        expression, accept="file://policies/accept.wat", reject="file://policies/reject-all.wat"
    )
    result = _one(group, _pod(), modules)
    assert result.status == status
    if status == Status.FAIL:
        assert result.message == "the group says no (reject: no)"


def test_policy_group_member_not_available(modules: Path) -> None:
    group = _group("a() && b()", a="file://policies/accept.wat", b="registry://ghcr.io/x/y:v1")
    result = _one(group, _pod(), modules)
    assert result.status == Status.NOT_EVALUATED
    assert result.message == "policy 'b': module not available offline: registry://ghcr.io/x/y:v1"


def test_policy_group_errors(modules: Path) -> None:
    assert (
        _one(_group("a(", a="file://policies/accept.wat"), _pod(), modules).status == Status.ERROR
    )
    assert (
        _one(_group("'x'", a="file://policies/accept.wat"), _pod(), modules).status == Status.ERROR
    )
    mutating = _group("a()", a="file://policies/mutate.wat")
    assert "cannot mutate" in _one(mutating, _pod(), modules).message


def test_request_from_review(modules: Path) -> None:
    review = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "1299d386-525b-4032-98ae-1949f69f9cfc",
            "operation": "UPDATE",
            "object": _pod(privileged=True),
            "oldObject": _pod(),
            "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters"]},
            "dryRun": True,
        },
    }
    request = request_from_review(review)
    assert (request.operation, request.dry_run, request.old_object) == ("UPDATE", True, _pod())
    assert request.user_info["username"] == "kubernetes-admin"
    assert request_from_review(review["request"]) == request
    policy = _policy("file://policies/privileged.wat")
    assert evaluate(policy, request, base_dir=modules)[0].status == Status.FAIL
    with pytest.raises(InputError, match="not an AdmissionReview"):
        request_from_review({"kind": "AdmissionReview"}, "req.json")
