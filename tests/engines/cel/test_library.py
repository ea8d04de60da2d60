"""The Kubernetes and Kyverno CEL libraries added on top of cel-expr-python."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from gitopspol.engines.cel import compile_program
from gitopspol.engines.cel.library import parse_quantity
from gitopspol.engines.vpol import CelContext
from gitopspol.errors import PolicyError


def ev(expr: str, **activation: Any) -> Any:
    return compile_program(expr).evaluate(activation)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[1, 2, 3].sum()", 6),
        ("[1.5, 2.5].sum()", 4.0),
        ("[3, 1, 2].min()", 1),
        ("[3, 1, 2].max()", 3),
        ("[1, 2, 2].isSorted()", True),
        ("['b', 'a'].isSorted()", False),
        ("[].sum()", 0),
        ("[1, 2, 3, 2].indexOf(2)", 1),
        ("[1, 2, 3, 2].lastIndexOf(2)", 3),
        ("['a', 'b'].indexOf('z')", -1),
        ("[1, true].indexOf(true)", 1),
        ("[{'a': 1}, [2]].indexOf([2])", 1),
        ("'abcabc'.indexOf('c')", 2),
        ("'abcabc'.indexOf('c', 3)", 5),
        ("'abcabc'.lastIndexOf('b')", 4),
        ("'abcabc'.lastIndexOf('b', 3)", 1),
        ("'héllo'.indexOf('l')", 2),
        ("object.l.indexOf('b') + 'xbx'.indexOf('b')", 2),
    ],
)
def test_lists(expr: str, expected: Any) -> None:
    assert ev(expr, object={"l": ["a", "b"]}) == expected


def test_string_index_out_of_range() -> None:
    with pytest.raises(PolicyError, match="index out of range: 5"):
        ev("'abc'.indexOf('c', 5)")


def test_lists_min_of_empty_is_an_error() -> None:
    with pytest.raises(PolicyError, match="empty list"):
        ev("[].min()")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("'abc 123 de45'.find('[0-9]+')", "123"),
        ("'abc'.find('[0-9]+')", ""),
        ("'abc 123 de45'.findAll('[0-9]+')", ["123", "45"]),
        ("'a1b2c3'.findAll('[0-9]', 2)", ["1", "2"]),
        ("'a1b2c3'.findAll('[0-9]', 0)", []),
    ],
)
def test_regex(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", Fraction(1, 10)),
        ("1Gi", Fraction(2**30)),
        ("1.5k", Fraction(1500)),
        ("1e3", Fraction(1000)),
        ("5E-2", Fraction(1, 20)),
        ("-2Mi", Fraction(-2 * 2**20)),
        ("0", Fraction(0)),
    ],
)
def test_parse_quantity(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "1Gb", "abc", "1.2.3", "--1"])
def test_parse_quantity_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="quantities must match"):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("quantity('1Gi').isGreaterThan(quantity('1000Mi'))", True),
        ("quantity('100m').isLessThan(quantity('1'))", True),
        ("quantity('1024Mi').compareTo(quantity('1Gi'))", 0),
        ("quantity('2k').asInteger()", 2000),
        ("quantity('1.5').isInteger()", False),
        ("quantity('500m').asApproximateFloat()", 0.5),
        ("quantity('-3').sign()", -1),
        ("quantity('1Gi').add(quantity('1Gi')).compareTo(quantity('2Gi'))", 0),
        ("quantity('1').sub(1).sign()", 0),
        ("isQuantity('1Gi') && !isQuantity('1GB')", True),
        ("quantity('1Gi')", "1Gi"),
    ],
)
def test_quantity(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_quantity_errors() -> None:
    with pytest.raises(PolicyError, match="quantities must match"):
        ev("quantity('lots')")
    with pytest.raises(PolicyError, match="cannot convert"):
        ev("quantity('1.5').asInteger()")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("url('https://example.com:8443/a/b?x=1&x=2').getScheme()", "https"),
        ("url('https://example.com:8443/a/b?x=1&x=2').getHost()", "example.com:8443"),
        ("url('https://example.com:8443/a/b?x=1&x=2').getHostname()", "example.com"),
        ("url('https://example.com:8443/a/b?x=1&x=2').getPort()", "8443"),
        ("url('https://example.com/a/b').getEscapedPath()", "/a/b"),
        ("url('https://example.com/?x=1&x=2&y=').getQuery()", {"x": ["1", "2"], "y": [""]}),
        ("isURL('https://example.com') && isURL('/path') && !isURL('relative')", True),
    ],
)
def test_url(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("ip('10.0.0.1').family()", 4),
        ("ip('::1').family() == 6 && ip('::1').isLoopback()", True),
        ("ip('0.0.0.0').isUnspecified()", True),
        ("isIP('1.2.3.4') && !isIP('1.2.3') && !isIP('fe80::1%eth0')", True),
        ("cidr('10.0.0.0/8').containsIP('10.1.2.3')", True),
        ("cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))", False),
        ("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')", True),
        ("cidr('10.0.0.0/16').containsCIDR(cidr('10.0.0.0/8'))", False),
        ("cidr('192.168.1.5/24').prefixLength()", 24),
        ("cidr('192.168.1.5/24').masked()", "192.168.1.0/24"),
        ("isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0')", True),
    ],
)
def test_ip_and_cidr(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_format_from_strings_extension() -> None:
    assert ev("'%s has %d containers'.format(['pod', 2])") == "pod has 2 containers"


CONTEXT = CelContext(
    resources=(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "registries", "namespace": "platform"},
            "data": {"allowed": "ghcr.io"},
        },
        {
            "apiVersion": "autoscaling/v1",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"maxReplicas": 3},
        },
    ),
    images={"ghcr.io/acme/app:1.0": {"config": {"created": "2020-01-01T00:00:00Z"}}},
)


def test_kyverno_resource_get_and_list() -> None:
    act = CONTEXT.activation()
    get = "resource.Get('v1', 'configmaps', 'platform', 'registries').data.allowed"
    assert compile_program(get).evaluate(act) == "ghcr.io"
    lst = "resource.List('autoscaling/v1', 'horizontalpodautoscalers', 'default').items.size()"
    assert compile_program(lst).evaluate(act) == 1
    other = "resource.List('autoscaling/v1', 'horizontalpodautoscalers', 'prod').items.size()"
    assert compile_program(other).evaluate(act) == 0
    with pytest.raises(PolicyError, match='configmaps "missing" not found'):
        compile_program("resource.Get('v1', 'configmaps', 'platform', 'missing')").evaluate(act)


def test_kyverno_image_metadata() -> None:
    act = CONTEXT.activation()
    expr = "image.GetMetadata('ghcr.io/acme/app:1.0').config.created"
    assert compile_program(expr).evaluate(act) == "2020-01-01T00:00:00Z"
    with pytest.raises(PolicyError, match="no data in the context"):
        compile_program("image.GetMetadata('nginx')").evaluate(act)


def test_kyverno_service_account_and_time() -> None:
    user = "system:serviceaccount:team-a:builder"
    assert ev(f"parseServiceAccount('{user}')") == {"Namespace": "team-a", "Name": "builder"}
    assert ev("parseServiceAccount('alice').Name") == ""
    assert ev("time.now() > timestamp('2024-01-01T00:00:00Z')") is True


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("sets.contains([1, 2, 3], [3, 1])", True),
        ("sets.contains([1, 2], [4])", False),
        ("sets.equivalent([1, 2, 2], [2, 1])", True),
        ("sets.intersects(['a'], ['b', 'a'])", True),
        ("sets.intersects([], ['a'])", False),
    ],
)
def test_sets(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


DIGEST = "sha256:6aefddb645ee6963afd681b1845c661d0ea4c3b20ab9db86d9e753b203d385f2"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (
            "parseImageReference('registry.k8s.io/kube-apiserver-arm64').registry()",
            "registry.k8s.io",
        ),
        (
            "parseImageReference('registry.k8s.io/kube-apiserver-arm64').repository()",
            "kube-apiserver-arm64",
        ),
        ("parseImageReference('registry.k8s.io/kube-apiserver-arm64').tag()", "latest"),
        ("parseImageReference('registry.k8s.io/kube-apiserver-arm64:v1').identifier()", "v1"),
        (f"parseImageReference('registry.k8s.io/x@{DIGEST}').tag()", ""),
        (f"parseImageReference('registry.k8s.io/x:latest@{DIGEST}').identifier()", DIGEST),
        (f"parseImageReference('registry.k8s.io/x:latest@{DIGEST}').containsDigest()", True),
        ("parseImageReference('registry.k8s.io/x:latest').containsDigest()", False),
        (
            "image('nginx').registry() + '/' + image('nginx').repository()",
            "index.docker.io/library/nginx",
        ),
        ("image('localhost:5000/team/app:1.2').registry()", "localhost:5000"),
        ("isImage('registry.k8s.io/x:latest') && !isImage('registry.k8s.io/x:@')", True),
        ("image('Nginx').tag()", None),
    ],
)
def test_image_references(expr: str, expected: Any) -> None:
    if expected is None:
        with pytest.raises(PolicyError, match="could not parse reference: Nginx"):
            ev(expr)
    else:
        assert ev(expr) == expected


def test_image_function_and_image_variable_coexist() -> None:
    act = CONTEXT.activation()
    expr = "image('ghcr.io/acme/app:1.0').tag() == '1.0' && has(image.GetMetadata('ghcr.io/acme/app:1.0').config)"
    assert compile_program(expr).evaluate(act) is True


def test_authorizer_stub_denies_and_says_why() -> None:
    check = (
        "authorizer.group('apps').resource('deployments').namespace('ns').name('x').check('create')"
    )
    assert ev(check + ".allowed()") is False
    assert ev(check + ".errored()") is True
    assert "offline" in ev(check + ".reason()")
    assert "offline" in ev(
        "authorizer.serviceAccount('ns', 'sa').path('/metrics').check('get').error()"
    )
    with pytest.raises(PolicyError, match=r"call check\(\) first"):
        ev("authorizer.group('').allowed()")


def test_lookups_without_context_find_nothing() -> None:
    assert ev("resource.List('v1', 'configmaps', 'default').items") == []
    with pytest.raises(PolicyError, match="not found"):
        ev("resource.Get('v1', 'configmaps', 'default', 'x')")
    with pytest.raises(PolicyError, match="no data in the context"):
        ev("image.GetMetadata('nginx')")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("format.dns1123Label().validate('my-name').hasValue()", False),
        ("format.dns1123Label().validate('My_Name').hasValue()", True),
        ("format.dns1123Label().validate('a' + 'b'.repeat(63)).hasValue()", None),
        ("format.dns1123Subdomain().validate('example.com').hasValue()", False),
        ("format.dns1035Label().validate('1abc').hasValue()", True),
        ("format.dns1123LabelPrefix().validate('web-').hasValue()", False),
        ("format.qualifiedName().validate('example.com/MyName').hasValue()", False),
        ("format.qualifiedName().validate('/x').hasValue()", True),
        ("format.labelValue().validate('').hasValue()", False),
        ("format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()", False),
        ("format.byte().validate('aGk=').hasValue()", False),
        ("format.byte().validate('***').hasValue()", True),
        ("format.date().validate('2024-13-01').value()", ["must be a valid date (YYYY-MM-DD)"]),
        ("format.datetime().validate('2024-01-01T00:00:00Z').hasValue()", False),
        ("format.uri().validate('https://example.com/x').hasValue()", False),
        ("format.named('uuid').hasValue() && !format.named('nope').hasValue()", True),
        ("format.named('dns1123Label').value().validate('ok').orValue(['bad'])", ["bad"]),
    ],
)
def test_format_library(expr: str, expected: Any) -> None:
    if expected is None:  # "repeat" is not CEL: a compile error, not a crash
        with pytest.raises(PolicyError, match="does not compile"):
            ev(expr)
        return
    assert ev(expr) == expected


def test_format_length_limit() -> None:
    long_label = "a" * 64
    errors = ev(f"format.dns1123Label().validate('{long_label}').value()")
    assert errors == ["must be no more than 63 characters"]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[[1, [2]], [3]].flatten()", [1, [2], 3]),
        ("[[1, [2]], [3]].flatten(2)", [1, 2, 3]),
        ("[1, 2, 1, 1.0].distinct()", [1, 2]),
        ("[1, 2, 3].slice(1, 3)", [2, 3]),
        ("[3, 1, 2].sort()", [1, 2, 3]),
        ("['b', 'a'].sort()", ["a", "b"]),
        ("[1, 2].reverse()", [2, 1]),
        ("lists.range(3)", [0, 1, 2]),
        ("math.greatest(1, 5) + math.least(2, 3)", 7),
        ("base64.encode(b'hi')", "aGk="),
        ("string(base64.decode('aGk='))", "hi"),
        ("cel.bind(x, 2, x * x)", 4),
        ("[1, 2, 3].first().value() + [1, 2, 3].last().value()", 4),
        ("[].first().hasValue() || [].last().hasValue()", False),
        ("[[5]].map(x, x.first().value()).last().orValue(0)", 5),
    ],
)
def test_kyverno_base_extensions(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_list_extension_errors() -> None:
    with pytest.raises(PolicyError, match="cannot slice"):
        ev("[1, 2].slice(1, 5)")
    with pytest.raises(PolicyError, match="same comparable type"):
        ev("[1, 'a'].sort()")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (
            "semver('1.2.3').major() * 100 + semver('1.2.3').minor() * 10 + semver('1.2.3').patch()",
            123,
        ),
        ("semver('1.10.0').compareTo(semver('1.9.0'))", 1),
        ("semver('1.2.3').isGreaterThan(semver('1.2.3-rc.1'))", True),
        ("semver('1.0.0-alpha').isLessThan(semver('1.0.0-alpha.1'))", True),
        ("semver('1.0.0-2').isLessThan(semver('1.0.0-10'))", True),
        ("semver('1.0.0-2').isLessThan(semver('1.0.0-rc'))", True),
        ("semver('1.0.0+build').compareTo(semver('1.0.0'))", 0),
        ("semver('v1.2', true).minor()", 2),
        (
            "isSemver('1.2.3') && !isSemver('1.2') && !isSemver('v1.2.3') && isSemver('v1.2', true)",
            True,
        ),
        ("semver('1.2.3')", "1.2.3"),
    ],
)
def test_semver(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_semver_errors() -> None:
    with pytest.raises(PolicyError, match="invalid semver"):
        ev("semver('1.2')")
    with pytest.raises(PolicyError, match="two quantities or two semvers"):
        ev("semver('1.0.0').compareTo(quantity('1'))")


def test_hostile_library_inputs_fail_fast(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(PolicyError, match="exponent out of range"):
        ev("quantity('1e999999999').asInteger()")
    with pytest.raises(PolicyError, match=r"invalid regular expression: missing \)"):
        ev("'a'.findAll('(')")
    assert capfd.readouterr().err == ""  # RE2 does not log to stderr
    with pytest.raises(PolicyError, match="range"):
        ev("lists.range(100000)")


def test_list_helpers_stay_bounded_on_large_lists() -> None:
    numbers = list(range(100_000))
    assert ev("object.l.distinct().size()", object={"l": numbers + numbers}) == 100_000
    assert ev("sets.contains(object.l, [5, 7.0])", object={"l": numbers}) is True
    maps = [{"k": i} for i in range(5_000)]
    with pytest.raises(PolicyError, match="cost limit"):
        ev("object.l.distinct()", object={"l": maps})
    assert ev("sets.contains([1], [true])") is False
    assert ev("sets.intersects([1.0], [1])") is True
