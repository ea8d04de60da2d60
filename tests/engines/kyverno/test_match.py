"""match / exclude of kyverno.io rules."""

from __future__ import annotations

from typing import Any

import pytest

from gitopspol.engines.admission import AdmissionRequest
from gitopspol.engines.kyverno.match import MatchInput, block_matches, rule_applies

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web-1",
        "namespace": "prod",
        "labels": {"app": "web"},
        "annotations": {"team": "red"},
    },
}
USER = {"username": "alice", "groups": ["devs"], "roles": ["prod:editor"], "clusterRoles": ["view"]}


def _data(operation: str = "CREATE", labels: dict[str, str] | None = None) -> MatchInput:
    request = AdmissionRequest(object=DEPLOY, operation=operation, user_info=USER)
    return MatchInput(request, labels or {})


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"kinds": ["Deployment"]}, True),
        ({"kinds": ["apps/v1/Deployment"]}, True),
        ({"kinds": ["v1/Deployment"]}, True),
        ({"kinds": ["apps/v2/Deployment"]}, False),
        ({"kinds": ["apps/*/Deploy*"]}, True),
        ({"kinds": ["*"]}, True),
        ({"kinds": ["Deployment/scale"]}, False),  # a subresource never matches the object
        ({"kinds": ["Pod"]}, False),
        ({"kinds": ["Deployment"], "names": ["web-*"]}, True),
        ({"kinds": ["Deployment"], "name": "api"}, False),
        ({"kinds": ["Deployment"], "namespaces": ["prod", "stage"]}, True),
        ({"kinds": ["Deployment"], "namespaces": ["dev-*"]}, False),
        ({"kinds": ["Deployment"], "annotations": {"team": "r*"}}, True),
        ({"kinds": ["Deployment"], "selector": {"matchLabels": {"app": "web"}}}, True),
        (
            {
                "kinds": ["Deployment"],
                "selector": {
                    "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]
                },
            },
            False,
        ),
        (
            {
                "kinds": ["Deployment"],
                "selector": {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]},
            },
            True,
        ),
        ({"kinds": ["Deployment"], "operations": ["UPDATE"]}, False),
        ({"kinds": ["Deployment"], "operations": ["CREATE", "UPDATE"]}, True),
    ],
)
def test_resource_descriptions(resources: dict[str, Any], expected: bool) -> None:
    assert block_matches({"any": [{"resources": resources}]}, _data()) is expected
    assert block_matches({"resources": resources}, _data()) is expected  # legacy form


def test_namespace_selector_uses_the_namespace_labels() -> None:
    block = {
        "any": [
            {
                "resources": {
                    "kinds": ["Deployment"],
                    "namespaceSelector": {"matchLabels": {"env": "prod"}},
                }
            }
        ]
    }
    assert not block_matches(block, _data())
    assert block_matches(block, _data(labels={"env": "prod"}))


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({"subjects": [{"kind": "User", "name": "alice"}]}, True),
        ({"subjects": [{"kind": "Group", "name": "dev*"}]}, True),
        ({"subjects": [{"kind": "ServiceAccount", "name": "alice", "namespace": "prod"}]}, False),
        ({"roles": ["prod:editor"]}, True),
        ({"clusterRoles": ["cluster-admin"]}, False),
    ],
)
def test_user_info(user: dict[str, Any], expected: bool) -> None:
    block = {"any": [{"resources": {"kinds": ["Deployment"]}, **user}]}
    assert block_matches(block, _data()) is expected


def test_any_all_and_exclude() -> None:
    match_all = {
        "all": [{"resources": {"kinds": ["Deployment"]}}, {"resources": {"namespaces": ["prod"]}}]
    }
    assert block_matches(match_all, _data())
    match_all["all"].append({"resources": {"names": ["other"]}})
    assert not block_matches(match_all, _data())
    rule = {
        "match": {"any": [{"resources": {"kinds": ["Deployment"]}}]},
        "exclude": {"any": [{"clusterRoles": ["view"]}]},
    }
    assert not rule_applies(rule, _data())
    rule["exclude"] = {"any": [{"resources": {"namespaces": ["kube-system"]}}]}
    assert rule_applies(rule, _data())
    assert not block_matches({}, _data())  # an empty match selects nothing
