"""The Kubernetes CEL libraries (``k8s.io/apiserver/pkg/cel/library``) and cel-go's lists.

* lists: ``sum``, ``min``, ``max``, ``isSorted``, ``indexOf``, ``lastIndexOf`` (one
  implementation for strings and lists, see :mod:`.compat`); cel-go lists v3: ``flatten``,
  ``distinct``, ``slice``, ``sort``, ``reverse``, ``lists.range`` (``first`` and ``last``
  are rewritten to plain CEL by :mod:`.compat`);
* regex: ``find``, ``findAll`` (RE2, through ``google-re2``);
* quantity: ``quantity``, ``isQuantity`` and the ``Quantity`` methods;
* url: ``url``, ``isURL``, ``getScheme``, ``getHost``, ``getHostname``, ``getPort``,
  ``getEscapedPath``, ``getQuery``;
* ip/cidr: ``ip``, ``isIP``, ``cidr``, ``isCIDR`` and their methods;
* sets: ``sets.contains``, ``sets.equivalent``, ``sets.intersects``;
* semver: ``semver``, ``isSemver``, ``major``, ``minor``, ``patch``, ``compareTo``,
  ``isGreaterThan``, ``isLessThan``;
* format: ``format.named``, ``format.dns1123Label()`` ... ``.validate(s)``;
* authorizer: a stub. Offline there is no RBAC, so every decision is
  ``allowed() == false`` and ``errored() == true`` with a reason saying so.

Quantity, URL, IP, CIDR, semver, format and authorizer values are maps with one marker key
(see :mod:`.library`).
"""

from __future__ import annotations

import datetime as _dt
import functools
import ipaddress
import itertools
import re
import urllib.parse
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from gitopspol.engines.cel import compat
from gitopspol.engines.cel.decl import Decls, valid

QUANTITY = "@quantity"
URL = "@url"
IP = "@ip"
CIDR = "@cidr"

# ---- quantity (k8s.io/apiserver/pkg/cel/library/quantity.go) -----------------------------

# Kubernetes resource.Quantity grammar (apimachinery/pkg/api/resource/quantity.go).
_QUANTITY_RE = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_MAX_EXPONENT = 64
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse_quantity(text: str) -> Fraction:
    """The exact value of a Kubernetes quantity (``"1.5Gi"``, ``"100m"``, ``"1e3"``).

    Raises ValueError for text that is not a quantity.
    """
    match = _QUANTITY_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"quantities must match the regular expression: {text!r}")
    number = Fraction(match.group(1))
    suffix = match.group(2) or ""
    if suffix in _BINARY:
        return number * Fraction(2 ** _BINARY[suffix])
    exponent = _DECIMAL[suffix] if suffix in _DECIMAL else int(suffix[1:])
    if abs(exponent) > _MAX_EXPONENT:  # bounds the work; Kubernetes refuses these too
        raise ValueError(f"quantity exponent out of range: {text!r}")
    return number * Fraction(10**exponent if exponent >= 0 else Fraction(1, 10**-exponent))


def _quantity(text: str) -> dict[str, Any]:
    parse_quantity(text)
    return {QUANTITY: text.strip()}


def _is_quantity(text: str) -> bool:
    try:
        parse_quantity(text)
    except ValueError:
        return False
    return True


def _qvalue(value: dict[str, Any]) -> Fraction:
    if QUANTITY not in value:
        raise ValueError("not a quantity")
    return parse_quantity(str(value[QUANTITY]))


def _format_fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return format(float(value), "g")


def _compare(a: dict[str, Any], b: dict[str, Any]) -> int:
    """``compareTo`` of two quantities or two semantic versions."""
    if SEMVER in a or SEMVER in b:
        left_v, right_v = _semver_key(a), _semver_key(b)
        return (left_v > right_v) - (left_v < right_v)
    left, right = _qvalue(a), _qvalue(b)
    return (left > right) - (left < right)


def _as_integer(value: dict[str, Any]) -> int:
    number = _qvalue(value)
    if number.denominator != 1 or not -(2**63) <= number.numerator < 2**63:
        raise ValueError("cannot convert value to integer")
    return number.numerator


def _qarith(sign: int) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    def op(a: dict[str, Any], b: Any) -> dict[str, Any]:
        other = Fraction(b) if isinstance(b, int) else _qvalue(b)
        return {QUANTITY: _format_fraction(_qvalue(a) + sign * other)}

    return op


# ---- url ---------------------------------------------------------------------------------


def _url(text: str) -> dict[str, Any]:
    parsed = urllib.parse.urlsplit(text)
    if not parsed.scheme and not text.startswith("/"):
        raise ValueError(f"URL must be absolute or an absolute path: {text!r}")
    return {URL: text}


def _is_url(text: str) -> bool:
    try:
        _url(text)
    except ValueError:
        return False
    return True


def _url_part(part: str) -> Callable[[dict[str, Any]], Any]:
    def get(value: dict[str, Any]) -> Any:
        parsed = urllib.parse.urlsplit(str(value.get(URL, "")))
        if part == "scheme":
            return parsed.scheme
        if part == "host":
            return parsed.netloc.rpartition("@")[2]
        if part == "hostname":
            return parsed.hostname or ""
        if part == "port":
            return str(parsed.port) if parsed.port is not None else ""
        if part == "path":
            return parsed.path
        query: dict[str, list[str]] = {}
        for key, val in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True):
            query.setdefault(key, []).append(val)
        return query

    return get


# ---- ip / cidr ---------------------------------------------------------------------------


def _ip(text: str) -> dict[str, Any]:
    if "%" in text:  # Kubernetes refuses zones
        raise ValueError(f"IP address with zone value is not allowed: {text!r}")
    return {IP: str(ipaddress.ip_address(text))}


def _cidr(text: str) -> dict[str, Any]:
    ipaddress.ip_interface(text)  # validates, keeps host bits as Kubernetes does
    if "/" not in text:
        raise ValueError(f"network address must be in CIDR notation: {text!r}")
    return {CIDR: text}


def _addr(value: dict[str, Any]) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if IP in value:
        return ipaddress.ip_address(str(value[IP]))
    if CIDR in value:
        return ipaddress.ip_interface(str(value[CIDR])).ip
    raise ValueError("not an IP address")


def _net(value: dict[str, Any]) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if CIDR not in value:
        raise ValueError("not a CIDR")
    return ipaddress.ip_interface(str(value[CIDR])).network


def _contains_ip(value: dict[str, Any], other: Any) -> bool:
    address = ipaddress.ip_address(other) if isinstance(other, str) else _addr(other)
    return address in _net(value)


def _contains_cidr(value: dict[str, Any], other: Any) -> bool:
    net = ipaddress.ip_network(other, strict=False) if isinstance(other, str) else _net(other)
    mine = _net(value)
    return net.version == mine.version and net.subnet_of(mine)  # type: ignore[arg-type]


# ---- regex -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _regex(pattern: str) -> Any:
    """An RE2 program (cached), errors as ValueError and not logged to stderr."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise ValueError(f"invalid regular expression: {detail}") from None


def _find(text: str, pattern: str) -> str:
    found = _regex(pattern).search(text)
    return str(found.group(0)) if found is not None else ""


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    if limit == 0:
        return []
    out = [str(m.group(0)) for m in _regex(pattern).finditer(text)]
    return out if limit < 0 else out[:limit]


# ---- lists (Kubernetes lists library, cel-go lists v3) and sets --------------------------


def _flatten(items: list[Any], depth: int = 1) -> list[Any]:
    if depth < 0:
        raise ValueError("level must be non-negative")
    out: list[Any] = []
    for item in items:
        if isinstance(item, list) and depth > 0:
            out.extend(_flatten(item, depth - 1))
        else:
            out.append(item)
    return out


#: Largest number of element comparisons a list function may make (the runtime's own
#: budget is 10,000 comprehension iterations; this keeps Python helpers in the same range).
MAX_COMPARISONS = 10_000_000


def _hashable(items: list[Any]) -> bool:
    """Whether CEL equality is Python equality and hashing for every item (no bool mixes)."""
    kinds = {bool if isinstance(x, bool) else type(x) for x in items}
    return kinds <= {str} or kinds <= {int, float} or kinds <= {bool}


def _budget(*sizes: int) -> None:
    product = 1
    for size in sizes:
        product *= max(size, 1)
    if product > MAX_COMPARISONS:
        raise ValueError("evaluation cost limit exceeded (list too large)")


def _distinct(items: list[Any]) -> list[Any]:
    if _hashable(items):
        return list(dict.fromkeys(items))
    _budget(len(items), len(items))
    out: list[Any] = []
    for item in items:
        if not any(_cel_equal(item, seen) for seen in out):
            out.append(item)
    return out


def _slice(items: list[Any], start: int, end: int) -> list[Any]:
    if start < 0 or end < 0 or start > end or end > len(items):
        raise ValueError(f"cannot slice({start}, {end}) a list of size {len(items)}")
    return items[start:end]


def _sort(items: list[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        raise ValueError("list elements must have the same comparable type") from None


def _range(n: int) -> list[int]:
    if n > 10_000:  # the runtime's iteration budget: no bigger list is useful
        raise ValueError(f"lists.range({n}) is larger than 10000")
    return list(range(n))


def _list_sum(items: list[Any]) -> Any:
    total: Any = 0
    for item in items:
        total = total + item
    return total


def _list_min(items: list[Any]) -> Any:
    if not items:
        raise ValueError("min called on empty list")
    return min(items)


def _list_max(items: list[Any]) -> Any:
    if not items:
        raise ValueError("max called on empty list")
    return max(items)


def _cel_equal(a: Any, b: Any) -> bool:
    """CEL equality: numbers compare across int/double, a bool never equals a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _index_of(target: Any, item: Any, offset: int | None = None) -> int:
    """``indexOf`` of the strings extension and of the Kubernetes lists library, in one."""
    if isinstance(target, str):
        if offset is not None and not 0 <= offset <= len(target):
            raise ValueError(f"index out of range: {offset}")
        return target.find(item, offset or 0)
    return next((i for i, x in enumerate(target) if _cel_equal(x, item)), -1)


def _last_index_of(target: Any, item: Any, offset: int | None = None) -> int:
    if isinstance(target, str):
        if offset is None:
            return target.rfind(item)
        if not 0 <= offset <= len(target):
            raise ValueError(f"index out of range: {offset}")
        return target.rfind(item, 0, offset + len(item))
    found = [i for i, x in enumerate(target) if _cel_equal(x, item)]
    return found[-1] if found else -1


def _is_sorted(items: list[Any]) -> bool:
    return all(a <= b for a, b in itertools.pairwise(items))


def _sets_contains(items: list[Any], subset: list[Any]) -> bool:
    if _hashable(items + subset):
        return set(subset) <= set(items)
    _budget(len(items), len(subset))
    return all(any(_cel_equal(x, y) for y in items) for x in subset)


def _sets_equivalent(a: list[Any], b: list[Any]) -> bool:
    return _sets_contains(a, b) and _sets_contains(b, a)


def _sets_intersects(a: list[Any], b: list[Any]) -> bool:
    if _hashable(a + b):
        return not set(a).isdisjoint(b)
    _budget(len(a), len(b))
    return any(any(_cel_equal(x, y) for y in a) for x in b)


# ---- Kubernetes semver library (k8s.io/apiserver/pkg/cel/library/semverlib.go) ----------

SEMVER = "@semver"
_SEMVER_RE = re.compile(
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


def _normalize_semver(text: str) -> str:
    text = text.removeprefix("v")
    core, sep, rest = text.partition("-") if "-" in text else text.partition("+")
    parts = core.split(".")
    while len(parts) < 3:
        parts.append("0")
    parts = [p.lstrip("0") or "0" if p.isdigit() else p for p in parts]
    return ".".join(parts) + sep + rest


def _parse_semver(text: str, normalize: bool = False) -> re.Match[str]:
    match = _SEMVER_RE.match(_normalize_semver(text) if normalize else text)
    if match is None:
        raise ValueError(f"invalid semver: {text!r}")
    return match


def _semver(text: str, normalize: bool = False) -> dict[str, Any]:
    match = _parse_semver(text, normalize)
    return {SEMVER: match.group(0)}


def _semver_key(value: dict[str, Any]) -> tuple[Any, ...]:
    if SEMVER not in value:
        raise ValueError("compareTo needs two quantities or two semvers")
    match = _parse_semver(str(value[SEMVER]))
    pre = match.group(4)
    # A pre-release sorts before the release; identifiers compare numerically or by text.
    ids = (
        tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    )
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)), not pre, ids)


def _semver_part(index: int) -> Callable[[dict[str, Any]], int]:
    return lambda value: int(_parse_semver(str(value.get(SEMVER, "")), False).group(index))


# ---- Kubernetes format library (k8s.io/apiserver/pkg/cel/library/format.go) -------------

FORMAT = "@format"
_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = rf"{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*"
_DNS1035_LABEL = r"[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


def _grammar(pattern: str, limit: int, what: str, example: str) -> Callable[[str], list[str]]:
    anchored = rf"^(?:{pattern})$"

    def check(value: str) -> list[str]:
        errors = []
        if len(value) > limit:
            errors.append(f"must be no more than {limit} characters")
        if not _regex(anchored).search(value):  # RE2: linear time on any input
            errors.append(
                f"a {what} must match the regex used for validation '{pattern}' (e.g. '{example}')"
            )
        return errors

    return check


def _prefix(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    # generateName prefixes may end with "-": Kubernetes masks that trailing dash.
    return lambda value: check(value[:-1] + "a" if value.endswith("-") else value)


def _qualified_name(value: str) -> list[str]:
    prefix, _, name = value.rpartition("/")
    errors = []
    if "/" in value and not prefix:
        errors.append("prefix part must be non-empty")
    elif prefix:
        errors += [f"prefix part {e}" for e in _FORMAT_CHECKS["dns1123Subdomain"](prefix)]
    errors += _grammar(_QUALIFIED_NAME, 63, "qualified name", "MyName")(name)
    return errors


def _label_value(value: str) -> list[str]:
    return [] if value == "" else _grammar(_QUALIFIED_NAME, 63, "label value", "MyValue")(value)


def _parses(parse: Callable[[str], Any], what: str) -> Callable[[str], list[str]]:
    def check(value: str) -> list[str]:
        try:
            parse(value)
        except (ValueError, TypeError):
            return [f"must be a valid {what}"]
        return []

    return check


def _uri(value: str) -> None:
    parsed = urllib.parse.urlsplit(value)
    if not (parsed.scheme or value.startswith("/")) or " " in value:
        raise ValueError(value)


def _base64(value: str) -> None:
    import base64
    import binascii

    try:
        base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError(value) from None


def _date(value: str) -> None:
    _dt.datetime.strptime(value, "%Y-%m-%d")


def _datetime(value: str) -> None:
    _dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))


_FORMAT_CHECKS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": _grammar(_DNS1123_LABEL, 63, "lowercase RFC 1123 label", "my-name"),
    "dns1123Subdomain": _grammar(
        _DNS1123_SUBDOMAIN, 253, "lowercase RFC 1123 subdomain", "example.com"
    ),
    "dns1035Label": _grammar(_DNS1035_LABEL, 63, "DNS-1035 label", "my-name"),
    "qualifiedName": _qualified_name,
    "labelValue": _label_value,
    "uri": _parses(_uri, "URI"),
    "uuid": _grammar(_UUID, 36, "UUID", "123e4567-e89b-12d3-a456-426614174000"),
    "byte": _parses(_base64, "base64 string"),
    "date": _parses(_date, "date (YYYY-MM-DD)"),
    "datetime": _parses(_datetime, "RFC 3339 date-time"),
}
for _name in ("dns1123Label", "dns1123Subdomain", "dns1035Label"):
    _FORMAT_CHECKS[_name + "Prefix"] = _prefix(_FORMAT_CHECKS[_name])


def _format_named(name: str) -> dict[str, Any]:
    return {FORMAT: name} if name in _FORMAT_CHECKS else {}


def _format_validate(fmt: dict[str, Any], value: str) -> list[str]:
    check = _FORMAT_CHECKS.get(str(fmt.get(FORMAT, "")))
    if check is None:
        raise ValueError("validate() applies to a format")
    return check(value)


# ---- Kubernetes authorizer (stub) ---------------------------------------------------------

AUTHZ = "@authz"
#: The ``authorizer`` variable: offline there is no RBAC to ask.
AUTHORIZER: dict[str, Any] = {AUTHZ: {}}
_NO_AUTHORIZER = "no authorizer: gitopspol evaluates offline, without the cluster's RBAC"


def _authz_step(field: str) -> Callable[..., dict[str, Any]]:
    def step(check: dict[str, Any], value: str, *more: str) -> dict[str, Any]:
        if AUTHZ not in check:
            raise ValueError(f"{field}() applies to authorizer checks")
        return {AUTHZ: {**check[AUTHZ], field: value if not more else [value, *more]}}

    return step


def _authz_check(check: dict[str, Any], verb: str) -> dict[str, Any]:
    if AUTHZ not in check:
        raise ValueError("check() applies to authorizer checks")
    return {AUTHZ: {**check[AUTHZ], "verb": verb, "decision": True}}


def _authz_decision(part: str) -> Callable[[dict[str, Any]], Any]:
    def get(decision: dict[str, Any]) -> Any:
        if not (decision.get(AUTHZ) or {}).get("decision"):
            raise ValueError(f"{part}() applies to an authorizer decision (call check() first)")
        return {
            "allowed": False,
            "reason": _NO_AUTHORIZER,
            "errored": True,
            "error": _NO_AUTHORIZER,
        }[part]

    return get


# ---- declarations ------------------------------------------------------------------------

#: Marker keys of the values this module builds.
MARKERS = (QUANTITY, URL, IP, CIDR, SEMVER, FORMAT, AUTHZ)


def declarations(d: Decls) -> list[Any]:
    """The Kubernetes functions, for ``cel.NewEnv(functions=...)``."""
    S, INT, B, D, M, L, T = d.S, d.INT, d.B, d.D, d.M, d.L, d.T
    fn, member, free, elements = d.fn, d.member, d.free, d.ELEMENTS
    return [
        # lists
        member("sum", D, [L], _list_sum),
        member("min", D, [L], _list_min),
        member("max", D, [L], _list_max),
        member("isSorted", B, [L], _is_sorted),
        # cel-go lists extension, version 3 (as Kyverno enables it)
        fn(
            "flatten",
            ("flatten", L, [L], True, _flatten),
            ("flatten_n", L, [L, INT], True, _flatten),
        ),
        member("distinct", L, [L], _distinct),
        member("slice", L, [L, INT, INT], _slice),
        member("sort", L, [L], _sort),
        member("reverse", L, [L], lambda items: items[::-1]),
        free("lists.range", L, [INT], _range),
        # indexOf/lastIndexOf for strings and lists: the source is rewritten to these names
        # (see compat.py), since the runtime refuses a second "indexOf" declaration.
        fn(
            compat.INDEX_OF,
            ("gp_index_of_s", INT, [S, S], True, _index_of),
            ("gp_index_of_s_offset", INT, [S, S, INT], True, _index_of),
            *[(f"gp_index_of_l_{n}", INT, [L, t], True, _index_of) for n, t in elements],
        ),
        fn(
            compat.LAST_INDEX_OF,
            ("gp_last_index_of_s", INT, [S, S], True, _last_index_of),
            ("gp_last_index_of_s_offset", INT, [S, S, INT], True, _last_index_of),
            *[(f"gp_last_index_of_l_{n}", INT, [L, t], True, _last_index_of) for n, t in elements],
        ),
        # regex
        member("find", S, [S, S], _find),
        fn(
            "findAll",
            ("findAll_member", L, [S, S], True, _find_all),
            ("findAll_limit_member", L, [S, S, INT], True, _find_all),
        ),
        # quantity
        free("quantity", M, [S], _quantity),
        free("isQuantity", B, [S], _is_quantity),
        member("isInteger", B, [M], lambda q: _qvalue(q).denominator == 1),
        member("asInteger", INT, [M], _as_integer),
        member("asApproximateFloat", T.DOUBLE, [M], lambda q: float(_qvalue(q))),
        member("sign", INT, [M], lambda q: (_qvalue(q) > 0) - (_qvalue(q) < 0)),
        member("compareTo", INT, [M, M], _compare),
        member("isGreaterThan", B, [M, M], lambda a, b: _compare(a, b) > 0),
        member("isLessThan", B, [M, M], lambda a, b: _compare(a, b) < 0),
        fn("add", ("add_q", M, [M, M], True, _qarith(1)), ("add_i", M, [M, INT], True, _qarith(1))),
        fn(
            "sub",
            ("sub_q", M, [M, M], True, _qarith(-1)),
            ("sub_i", M, [M, INT], True, _qarith(-1)),
        ),
        # url
        free("url", M, [S], _url),
        free("isURL", B, [S], _is_url),
        member("getScheme", S, [M], _url_part("scheme")),
        member("getHost", S, [M], _url_part("host")),
        member("getHostname", S, [M], _url_part("hostname")),
        member("getPort", S, [M], _url_part("port")),
        member("getEscapedPath", S, [M], _url_part("path")),
        member("getQuery", T.Map(T.STRING, L), [M], _url_part("query")),
        # ip / cidr
        free("ip", M, [S], _ip),
        free("isIP", B, [S], valid(_ip)),
        free("cidr", M, [S], _cidr),
        free("isCIDR", B, [S], valid(_cidr)),
        member("family", INT, [M], lambda v: _addr(v).version),
        member("isUnspecified", B, [M], lambda v: _addr(v).is_unspecified),
        member("isLoopback", B, [M], lambda v: _addr(v).is_loopback),
        member(
            "isLinkLocalMulticast",
            B,
            [M],
            lambda v: _addr(v).is_multicast and _addr(v).is_link_local,
        ),
        member(
            "isLinkLocalUnicast",
            B,
            [M],
            lambda v: _addr(v).is_link_local and not _addr(v).is_multicast,
        ),
        member(
            "isGlobalUnicast", B, [M], lambda v: _addr(v).is_global and not _addr(v).is_multicast
        ),
        member("prefixLength", INT, [M], lambda v: _net(v).prefixlen),
        member("masked", M, [M], lambda v: {CIDR: str(_net(v))}),
        fn(
            "containsIP",
            ("containsIP_s", B, [M, S], True, _contains_ip),
            ("containsIP_ip", B, [M, M], True, _contains_ip),
        ),
        fn(
            "containsCIDR",
            ("containsCIDR_s", B, [M, S], True, _contains_cidr),
            ("containsCIDR_c", B, [M, M], True, _contains_cidr),
        ),
        # semver (Kubernetes): compareTo/isGreaterThan/isLessThan are shared with quantity
        fn(
            "semver",
            ("semver_s", M, [S], False, _semver),
            ("semver_sn", M, [S, B], False, _semver),
        ),
        fn(
            "isSemver",
            ("isSemver_s", B, [S], False, valid(_semver)),
            ("isSemver_sn", B, [S, B], False, lambda t, n: valid(lambda x: _semver(x, n))(t)),
        ),
        member("major", INT, [M], _semver_part(1)),
        member("minor", INT, [M], _semver_part(2)),
        member("patch", INT, [M], _semver_part(3)),
        # sets (Kubernetes)
        free("sets.contains", B, [L, L], _sets_contains),
        free("sets.equivalent", B, [L, L], _sets_equivalent),
        free("sets.intersects", B, [L, L], _sets_intersects),
        # Kubernetes format library (the optional results come from compat.py's wrapping)
        *[free(f"format.{name}", M, [], lambda n=name: {FORMAT: n}) for name in _FORMAT_CHECKS],
        free(f"format.{compat.FORMAT_NAMED}", M, [S], _format_named),
        member(compat.FORMAT_VALIDATE, L, [M, S], _format_validate),
        # Kubernetes authorizer: a stub whose decisions are "not allowed" and "errored"
        member("serviceAccount", M, [M, S, S], _authz_step("serviceAccount")),
        member("group", M, [M, S], _authz_step("group")),
        member("resource", M, [M, S], _authz_step("resource")),
        member("subresource", M, [M, S], _authz_step("subresource")),
        member("namespace", M, [M, S], _authz_step("namespace")),
        member("name", M, [M, S], _authz_step("name")),
        member("path", M, [M, S], _authz_step("path")),
        member("check", M, [M, S], _authz_check),
        member("allowed", B, [M], _authz_decision("allowed")),
        member("reason", S, [M], _authz_decision("reason")),
        member("errored", B, [M], _authz_decision("errored")),
        member("error", S, [M], _authz_decision("error")),
    ]
