"""The policies the engine tests use are valid against the upstream Kubewarden CRDs."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from gitopspol import yamlio
from tests.conftest import need_shared
from tests.engines.kubewarden.test_compare import BASE
from tests.engines.kubewarden.test_evaluate import _group, _policy

CRDS = {
    "ClusterAdmissionPolicy": "policies.kubewarden.io_clusteradmissionpolicies.yaml",
    "ClusterAdmissionPolicyGroup": "policies.kubewarden.io_clusteradmissionpolicygroups.yaml",
    "AdmissionPolicy": "policies.kubewarden.io_admissionpolicies.yaml",
}


def _schema(kind: str) -> dict[str, Any]:
    crd = yamlio.load_file(need_shared("schemas", "crds", "kubewarden", CRDS[kind]))
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


@pytest.mark.corpus
@pytest.mark.parametrize(
    "policy",
    [
        _policy("file://policies/privileged.wat", mode="monitor", mutating=True, settings={"a": 1}),
        _policy(
            "registry://ghcr.io/kubewarden/policies/pod-privileged:v0.3.2",
            namespaceSelector={"matchLabels": {"tier": "prd"}},
            matchConditions=[{"name": "web", "expression": "object.metadata.name == 'web'"}],
            failurePolicy="Ignore",
            message="ask the platform team",
        ),
        _group("a() && b()", a="file://a.wasm", b="registry://ghcr.io/x/y:v1"),
        BASE,
    ],
)
def test_fixture_policies_match_the_crd_schema(policy: dict[str, Any]) -> None:
    jsonschema.validate(policy, _schema(policy["kind"]))


@pytest.mark.corpus
def test_the_crd_rejects_an_unknown_mode() -> None:
    with pytest.raises(jsonschema.ValidationError, match="'enforce' is not one of"):
        jsonschema.validate(
            _policy("file://p.wasm", mode="enforce"), _schema("ClusterAdmissionPolicy")
        )
