"""JMESPath with Kyverno's functions, and ``{{ }}`` substitution."""

from __future__ import annotations

from typing import Any

import pytest

from gitopspol.engines.kyverno import jmes
from gitopspol.errors import PolicyError

CTX: dict[str, Any] = {
    "request": {
        "operation": "CREATE",
        "object": {
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
            "spec": {
                "containers": [
                    {"name": "a", "image": "nginx:1.25", "resources": {"limits": {"cpu": "1"}}},
                    {"name": "b", "image": "ghcr.io/x/y@sha256:abc"},
                ]
            },
        },
    },
    "element": {"name": "a"},
}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("to_upper('abc')", "ABC"),
        ("to_lower('ABC')", "abc"),
        ("split('a,b', ',')", ["a", "b"]),
        ("regex_match('^ng.*', 'nginx')", True),
        ("regex_match('^ng.*', 'apache')", False),
        ("regex_replace_all('([a-z]+)-([0-9]+)', 'web-12', '$2-$1')", "12-web"),
        ("pattern_match('ng*', 'nginx')", True),
        ('label_match(`{"app": "web"}`, request.object.metadata.labels)', True),
        ('label_match(`{"app": "db"}`, request.object.metadata.labels)', False),
        ("base64_decode('aGVsbG8=')", "hello"),
        ("base64_encode('hello')", "aGVsbG8="),
        ("parse_json('{\"a\": [1]}').a[0]", 1),
        ("parse_yaml('a: b').a", "b"),
        ("truncate('abcdef', `3`)", "abc"),
        ("add(`1`, `2`)", 3),
        ("add('1Gi', '1Gi')", "2Gi"),
        ("add('1000m', '500m')", "1500m"),
        ("sum(['1', '2k'])", "2001"),
        ("subtract('1h', '30m')", "30m0s"),
        ("divide(`6`, `4`)", 1.5),
        ("divide('2Gi', '1Gi')", 2.0),
        ("modulo(`7`, `4`)", 3.0),
        ("sum([`1`, `2`, `3`])", 6),
        ("semver_compare('1.2.3', '>1.0.0')", True),
        ("semver_compare('1.2.3', '<1.0.0 || >=1.2.0')", True),
        ("semver_compare('0.9.0', '>=1.0.0')", False),
        ("image_normalize('nginx')", "docker.io/nginx:latest"),
        ("object_from_lists(['a', 'b'], [`1`, `2`])", {"a": 1, "b": 2}),
        ("items(`{\"b\": 2, \"a\": 1}`, 'k', 'v')", [{"k": "a", "v": 1}, {"k": "b", "v": 2}]),
        ("lookup(`{\"a\": 1}`, 'a')", 1),
        ("equal_fold('ABC', 'abc')", True),
        ("trim_prefix('v1.2', 'v')", "1.2"),
        ("time_since('', '2024-01-01T00:00:00Z', '2024-01-01T01:30:00Z')", "1h30m0s"),
        ("time_before('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')", True),
        ("to_boolean('true')", True),
        ("time_truncate('2024-01-01T10:47:11Z', '1h')", "2024-01-01T10:00:00Z"),
        ("sha256('abc')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        # go-jmespath: a sub-expression on null is null (no function call on null)
        ("request.object.spec.containers[].resources.keys(@)[]", ["limits"]),
        ("request.object.metadata.labels.missing", None),
        ("request.object.spec.containers[?name == 'a'].image | [0]", "nginx:1.25"),
    ],
)
def test_functions(expr: str, expected: Any) -> None:
    assert jmes.query(expr, CTX) == expected


def test_whole_string_variable_keeps_its_type() -> None:
    value = jmes.substitute_string("{{ request.object.spec.containers[].name }}", CTX)
    assert value == ["a", "b"]


def test_embedded_variables_become_text() -> None:
    text = jmes.substitute_string(
        "{{ request.operation }} of {{ request.object.metadata.labels }}", CTX
    )
    assert text == 'CREATE of {"app":"web","tier":"front"}'


def test_nested_variables_resolve_innermost_first() -> None:
    ctx = {**CTX, "key": "app"}
    value = jmes.substitute_string('{{ request.object.metadata.labels."{{ key }}" }}', ctx)
    assert value == "web"


def test_default_with_or() -> None:
    assert jmes.substitute_string("{{ request.foo || 'BACKGROUND' }}", CTX) == "BACKGROUND"


def test_substitute_walks_maps_and_lists() -> None:
    data = {"key": "{{ request.operation }}", "value": ["{{ element.name }}", 1]}
    assert jmes.substitute(data, CTX) == {"key": "CREATE", "value": ["a", 1]}


def test_escaped_braces_are_left_alone() -> None:
    assert jmes.substitute_string("\\{{ not a variable }}", CTX) == "{{ not a variable }}"


def test_malformed_expression_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="invalid JMESPath"):
        jmes.substitute_string("{{ request.object.[ }}", CTX)


def test_function_error_is_unresolved_unless_lenient() -> None:
    with pytest.raises(jmes.UnresolvedVariable):
        jmes.substitute_string("{{ to_upper(`1`) }}", CTX)
    assert jmes.substitute_string("{{ to_upper(`1`) }}", CTX, lenient=True) == ""


def test_image_info() -> None:
    assert jmes.image_info("ghcr.io/org/app:1.0") == {
        "registry": "ghcr.io",
        "path": "org/app",
        "name": "app",
        "tag": "1.0",
        "digest": "",
        "reference": "ghcr.io/org/app:1.0",
        "referenceWithTag": "ghcr.io/org/app:1.0",
    }
    assert jmes.image_info("localhost:5000/app@sha256:ab")["digest"] == "sha256:ab"
    assert jmes.image_info("nginx")["registry"] == "docker.io"


def test_delete_requests_read_the_old_object() -> None:
    ctx = {
        "request": {
            "operation": "DELETE",
            "object": None,
            "oldObject": {"metadata": {"name": "gone"}},
        }
    }
    assert jmes.substitute_string("{{ request.object.metadata.name }}", ctx) == "gone"


def test_embedded_values_are_go_json() -> None:
    ctx = {"m": {"b": [1.0, 2.5], "a": "<x>"}}
    assert jmes.substitute_string("v={{ m }}", ctx) == 'v={"a":"\\u003cx\\u003e","b":[1,2.5]}'


def test_nested_numbers_index() -> None:
    assert jmes.substitute_string("{{ x[{{ i }}] }}", {"i": 1.0, "x": ["p", "q"]}) == "q"
