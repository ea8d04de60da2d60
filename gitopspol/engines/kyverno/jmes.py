"""JMESPath with Kyverno's extra functions, and ``{{ }}`` variable substitution.

Upstream: ``pkg/engine/jmespath`` (functions) and ``pkg/engine/variables/vars.go``
(substitution). A string that is exactly one ``{{ expr }}`` becomes the expression's value
(any type); otherwise each ``{{ }}`` is replaced by its text (strings as is, other values
as JSON). Nested ``{{ }}`` are resolved innermost first. ``\\{{`` is left alone.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar, cast

from gitopspol import yamlio
from gitopspol.engines.kyverno.values import (
    format_quantity,
    go_sprint,
    go_string,
    parse_duration,
    parse_quantity,
    wildcard_match,
)
from gitopspol.errors import GitopspolError, PolicyError

_F = TypeVar("_F", bound=Callable[..., Any])
_VAR_RE = re.compile(r"(^|[^\\])(\{\{(?:\{[^{}]*\}|[^{}])*\}\})")


#: Context key of the context entries that failed to load: ``{name: reason}``. Not a
#: JMESPath identifier, so no expression can read it.
DEFERRED = "\x00deferred"


class UnresolvedVariable(PolicyError):
    """A ``{{ }}`` expression that could not be evaluated."""


def _functions_class() -> type[Any]:
    import jmespath.functions as jf

    def signature(*types: dict[str, list[str]]) -> Callable[[_F], _F]:
        return cast("Callable[[_F], _F]", jf.signature(*types))

    def _num(value: Any) -> Decimal | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return Decimal(str(value))
        if isinstance(value, str):
            return parse_quantity(value)
        return None

    def _arith(a: Any, b: Any, op: Callable[[Any, Any], Any], name: str) -> Any:
        if isinstance(a, int | float) and isinstance(b, int | float):
            return op(a, b)
        if isinstance(a, str) and isinstance(b, str):
            da, db = parse_duration(a), parse_duration(b)
            if da is not None and db is not None and not (parse_quantity(a) and parse_quantity(b)):
                return _fmt_duration(op(da, db))
        qa, qb = _num(a), _num(b)
        if qa is None or qb is None:
            raise PolicyError(f"{name}: invalid operands {a!r} and {b!r}")
        result = op(qa, qb)
        if isinstance(a, str) or isinstance(b, str):
            binary = any(isinstance(x, str) and x.strip().endswith("i") for x in (a, b))
            return format_quantity(result, binary)
        return float(result)

    class KyvernoFunctions(jf.Functions):  # type: ignore[misc]
        """Kyverno's JMESPath extensions (the subset policies use)."""

        @signature({"types": ["string"]})
        def _func_to_upper(self, s: str) -> str:
            return s.upper()

        @signature({"types": ["string"]})
        def _func_to_lower(self, s: str) -> str:
            return s.lower()

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_split(self, s: str, sep: str) -> list[str]:
            return s.split(sep)

        @signature(
            {"types": ["string"]},
            {"types": ["string"]},
            {"types": ["string"]},
            {"types": ["number"]},
        )
        def _func_replace(self, s: str, old: str, new: str, n: int) -> str:
            return _replace(s, old, new, int(n) if n >= 0 else -1)

        @signature({"types": ["string"]}, {"types": ["string"]}, {"types": ["string"]})
        def _func_replace_all(self, s: str, old: str, new: str) -> str:
            return _replace(s, old, new, -1)

        @signature({"types": ["string"]}, {"types": ["array-string"]})
        def _func_join(self, separator: str, array: list[str]) -> str:
            size = sum(map(len, array)) + len(separator) * max(len(array) - 1, 0)
            if size > MAX_STRING_CHARS:
                raise _too_long("join")
            return separator.join(array)

        @signature({"types": []})
        def _func_to_string(self, arg: Any) -> str:
            check_size(arg, MAX_STRING_CHARS, "to_string")
            return str(jf.Functions._func_to_string(self, arg))

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_trim(self, s: str, cut: str) -> str:
            return s.strip(cut)

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_trim_prefix(self, s: str, prefix: str) -> str:
            return s.removeprefix(prefix)

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_equal_fold(self, a: str, b: str) -> bool:
            return a.casefold() == b.casefold()

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_compare(self, a: str, b: str) -> int:
            return (a > b) - (a < b)

        @signature({"types": ["string"]}, {"types": ["string", "number"]})
        def _func_regex_match(self, pattern: str, value: Any) -> bool:
            return _regex(pattern).search(go_string(value)) is not None

        @signature({"types": ["string"]}, {"types": ["string", "number"]})
        def _func_pattern_match(self, pattern: str, value: Any) -> bool:
            return wildcard_match(pattern, go_string(value))

        @signature(
            {"types": ["string"]}, {"types": ["string", "number"]}, {"types": ["string", "number"]}
        )
        def _func_regex_replace_all(self, pattern: str, src: Any, repl: Any) -> str:
            go_repl = re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", go_string(repl))
            return _regex_replace(pattern, go_string(src), lambda m: m.expand(go_repl))

        @signature(
            {"types": ["string"]}, {"types": ["string", "number"]}, {"types": ["string", "number"]}
        )
        def _func_regex_replace_all_literal(self, pattern: str, src: Any, repl: Any) -> str:
            literal = go_string(repl)
            return _regex_replace(pattern, go_string(src), lambda _m: literal)

        @signature({"types": ["object"]}, {"types": ["object"]})
        def _func_label_match(self, selector: dict[str, Any], labels: dict[str, Any]) -> bool:
            return all(labels.get(k) == v for k, v in selector.items())

        @signature({"types": ["string"]})
        def _func_base64_decode(self, s: str) -> str:
            try:
                return base64.b64decode(s, validate=True).decode("utf-8", "replace")
            except ValueError as exc:
                raise PolicyError(f"base64_decode: {exc}") from None

        @signature({"types": ["string"]})
        def _func_base64_encode(self, s: str) -> str:
            return base64.b64encode(s.encode()).decode()

        @signature({"types": ["string"]})
        def _func_parse_json(self, s: str) -> Any:
            try:
                return json.loads(s)
            except ValueError as exc:
                raise PolicyError(f"parse_json: {exc}") from None

        @signature({"types": ["string"]})
        def _func_parse_yaml(self, s: str) -> Any:
            try:
                return yamlio.load(s, "<parse_yaml>")
            except GitopspolError as exc:
                raise PolicyError(f"parse_yaml: {exc.message}") from None

        @signature({"types": ["string"]}, {"types": ["number"]})
        def _func_truncate(self, s: str, length: float) -> str:
            return s[: max(int(length), 0)]

        @signature({"types": []}, {"types": []})
        def _func_add(self, a: Any, b: Any) -> Any:
            return _arith(a, b, lambda x, y: x + y, "add")

        @signature({"types": []}, {"types": []})
        def _func_subtract(self, a: Any, b: Any) -> Any:
            return _arith(a, b, lambda x, y: x - y, "subtract")

        @signature({"types": []}, {"types": []})
        def _func_multiply(self, a: Any, b: Any) -> Any:
            return _arith(a, b, lambda x, y: x * y, "multiply")

        @signature({"types": []}, {"types": []})
        def _func_divide(self, a: Any, b: Any) -> Any:
            qa, qb = _num(a), _num(b)
            if qa is None or qb is None:
                da = parse_duration(a) if isinstance(a, str) else None
                db = parse_duration(b) if isinstance(b, str) else None
                if da is None or db is None:
                    raise PolicyError(f"divide: invalid operands {a!r} and {b!r}")
                qa, qb = da, db
            if qb == 0:
                raise PolicyError("divide: division by zero")
            return float(qa / qb)

        @signature({"types": []}, {"types": []})
        def _func_modulo(self, a: Any, b: Any) -> Any:
            qa, qb = _num(a), _num(b)
            if qa is None or qb is None or qb == 0:
                raise PolicyError(f"modulo: invalid operands {a!r} and {b!r}")
            return float(qa % qb)

        @signature({"types": ["array"]})
        def _func_sum(self, items: list[Any]) -> Any:
            if not items:
                raise PolicyError("sum: empty array")
            total = items[0]
            for item in items[1:]:
                total = _arith(total, item, lambda x, y: x + y, "sum")
            return total

        @signature({"types": ["number"]}, {"types": ["number"]})
        def _func_round(self, value: float, digits: float) -> float:
            factor = 10 ** int(digits)
            return float(math.floor(value * factor + 0.5) / factor)

        @signature({"types": ["string", "boolean"]})
        def _func_to_boolean(self, value: Any) -> bool:
            if isinstance(value, bool):
                return value
            if value.lower() in ("true", "false"):
                return bool(value.lower() == "true")
            raise PolicyError(f"to_boolean: cannot convert {value!r}")

        @signature({"types": ["object", "array"]}, {"types": ["string", "number"]})
        def _func_lookup(self, collection: Any, key: Any) -> Any:
            if isinstance(collection, dict):
                return collection.get(key)
            index = int(key)
            return collection[index] if 0 <= index < len(collection) else None

        @signature({"types": ["object", "array"]}, {"types": ["string"]}, {"types": ["string"]})
        def _func_items(self, collection: Any, key_name: str, value_name: str) -> list[Any]:
            if isinstance(collection, dict):
                return [{key_name: k, value_name: collection[k]} for k in sorted(collection)]
            return [{key_name: i, value_name: v} for i, v in enumerate(collection)]

        @signature({"types": ["array"]}, {"types": ["array"]})
        def _func_object_from_lists(self, keys: list[Any], values: list[Any]) -> dict[str, Any]:
            return {str(k): (values[i] if i < len(values) else None) for i, k in enumerate(keys)}

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_semver_compare(self, version: str, constraint: str) -> bool:
            return _semver_satisfies(version, constraint)

        @signature({"types": ["string"]})
        def _func_image_normalize(self, image: str) -> str:
            return image_info(image)["reference"]

        @signature({"types": ["string"]})
        def _func_path_canonicalize(self, path: str) -> str:
            import posixpath

            return posixpath.normpath(path) if path else "."

        @signature({"types": ["string"]})
        def _func_is_external_url(self, url: str) -> bool:
            from urllib.parse import urlparse

            host = urlparse(url).hostname or ""
            return bool(host) and host not in ("localhost", "127.0.0.1", "::1")

        @signature({"types": ["string"]}, {"types": ["string"]}, {"types": ["string"]})
        def _func_time_since(self, layout: str, start: str, end: str) -> str:
            begin = _parse_time(start, layout)
            finish = _parse_time(end, layout) if end else _dt.datetime.now(_dt.UTC)
            return _fmt_duration(Decimal(str((finish - begin).total_seconds())))

        @signature()
        def _func_time_now(self) -> str:
            return _fmt_time(_dt.datetime.now(_dt.UTC))

        @signature()
        def _func_time_now_utc(self) -> str:
            return _fmt_time(_dt.datetime.now(_dt.UTC))

        @signature({"types": ["string"]})
        def _func_time_utc(self, value: str) -> str:
            return _fmt_time(_parse_time(value).astimezone(_dt.UTC))

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_time_add(self, value: str, duration: str) -> str:
            seconds = parse_duration(duration)
            if seconds is None:
                raise PolicyError(f"time_add: invalid duration {duration!r}")
            return _fmt_time(_parse_time(value) + _dt.timedelta(seconds=float(seconds)))

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_time_diff(self, start: str, end: str) -> str:
            delta = _parse_time(end) - _parse_time(start)
            return _fmt_duration(Decimal(str(delta.total_seconds())))

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_time_truncate(self, value: str, duration: str) -> str:
            seconds = parse_duration(duration)
            if seconds is None or seconds <= 0:
                raise PolicyError(f"time_truncate: invalid duration {duration!r}")
            moment = _parse_time(value)
            epoch = Decimal(str(moment.timestamp()))
            truncated = epoch - (epoch % seconds)
            return _fmt_time(_dt.datetime.fromtimestamp(float(truncated), _dt.UTC))

        @signature({"types": ["string"]})
        def _func_sha256(self, value: str) -> str:
            import hashlib

            return hashlib.sha256(value.encode()).hexdigest()

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_time_before(self, a: str, b: str) -> bool:
            return _parse_time(a) < _parse_time(b)

        @signature({"types": ["string"]}, {"types": ["string"]})
        def _func_time_after(self, a: str, b: str) -> bool:
            return _parse_time(a) > _parse_time(b)

        @signature({"types": ["string"]}, {"types": ["string"]}, {"types": ["string"]})
        def _func_time_between(self, t: str, start: str, end: str) -> bool:
            return _parse_time(start) < _parse_time(t) < _parse_time(end)

    return KyvernoFunctions


@lru_cache(maxsize=256)
def _regex(pattern: str) -> Any:
    """Compile with RE2, as Go's ``regexp`` does: linear time, so no pattern can hang."""
    import re2

    options = re2.Options()
    options.log_errors = False  # the error is raised, not printed to stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise PolicyError(f"invalid regular expression {pattern!r}: {detail}") from None


#: Longest string a JMESPath function may build. Nested ``replace_all(x, '', x)`` calls grow a
#: string geometrically; Kyverno's own limit is the request size, far below this.
MAX_STRING_CHARS = 4 * 1024 * 1024


def _too_long(name: str) -> PolicyError:
    return PolicyError(f"{name}: result would be longer than {MAX_STRING_CHARS} characters")


def _replace(s: str, old: str, new: str, count: int) -> str:
    """``str.replace`` (``count`` -1 for all), refused before it builds an oversized string."""
    found = len(s) + 1 if not old else s.count(old)
    if count >= 0:
        found = min(found, count)
    if len(s) + found * (len(new) - len(old)) > MAX_STRING_CHARS:
        raise _too_long("replace")
    return s.replace(old, new, count)


def _regex_replace(pattern: str, src: str, expand: Callable[[Any], str]) -> str:
    """Replace every match of ``pattern`` with ``expand(match)``, bounded in size."""
    budget = MAX_STRING_CHARS - len(src)

    def replacement(match: Any) -> str:
        nonlocal budget
        text = expand(match)
        budget -= len(text) - (match.end() - match.start())
        if budget < 0:
            raise _too_long("regex_replace_all")
        return text

    return str(_regex(pattern).sub(replacement, src))


#: Longest list ``[]`` (flatten) may build.
MAX_ITEMS = 1_000_000
#: Largest query result, in nodes plus string characters (a 1.5 MB request is far below).
MAX_RESULT_SIZE = 16 * 1024 * 1024


def check_size(value: Any, limit: int, what: str) -> None:
    """Refuse ``value`` when its size, written out (nodes plus string characters, shared
    parts counted each time), exceeds ``limit``. Sizes are memoised per container, so
    this takes time linear in the distinct values however often they are shared."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, done = stack.pop()
        if isinstance(item, str):
            continue
        if not isinstance(item, list | dict) or (not done and id(item) in sizes):
            continue
        children = list(item.values()) if isinstance(item, dict) else item
        if not done:
            stack.append((item, True))
            stack.extend((child, False) for child in children)
            continue
        total = 1 + sum(len(c) if isinstance(c, str) else sizes.get(id(c), 1) for c in children)
        if isinstance(item, dict):
            total += sum(len(k) for k in item if isinstance(k, str))
        if total > limit:
            raise PolicyError(f"{what}: result is larger than {limit} (nodes and characters)")
        sizes[id(item)] = total
    if isinstance(value, str) and len(value) > limit:
        raise PolicyError(f"{what}: result is larger than {limit} (nodes and characters)")


def _fmt_duration(seconds: Decimal) -> str:
    """Go's ``time.Duration.String()`` for whole nanoseconds."""
    nanos = int(seconds * Decimal(1_000_000_000))
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    nanos = abs(nanos)
    if nanos < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if nanos >= size:
                text = f"{Decimal(nanos) / size:f}".rstrip("0").rstrip(".")
                return f"{sign}{text}{unit}"
    hours, rest = divmod(nanos, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    secs = f"{Decimal(rest) / 1_000_000_000:f}"
    secs = secs.rstrip("0").rstrip(".") if "." in secs else secs
    out = f"{secs}s"
    if hours or minutes:
        out = f"{minutes}m{out}"
    if hours:
        out = f"{hours}h{out}"
    return sign + out


def _fmt_time(moment: _dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _parse_time(value: str, layout: str = "") -> _dt.datetime:
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise PolicyError(f"cannot parse time {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.UTC)


def _semver_tuple(text: str) -> tuple[int, int, int] | None:
    match = re.match(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", text.strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)


def _semver_satisfies(version: str, constraint: str) -> bool:
    have = _semver_tuple(version)
    if have is None:
        raise PolicyError(f"semver_compare: invalid version {version!r}")
    for alternative in constraint.split("||"):
        ok = True
        for part in alternative.replace(",", " ").split():
            match = re.match(r"^(>=|<=|!=|=|>|<)?(.+)$", part)
            if match is None:
                ok = False
                break
            op, target = match.group(1) or "=", _semver_tuple(match.group(2))
            if target is None:
                raise PolicyError(f"semver_compare: invalid constraint {constraint!r}")
            ok = (
                ok
                and {
                    "=": have == target,
                    "!=": have != target,
                    ">": have > target,
                    "<": have < target,
                    ">=": have >= target,
                    "<=": have <= target,
                }[op]
            )
        if ok:
            return True
    return False


def image_info(image: str) -> dict[str, str]:
    """Kyverno's image info (``pkg/utils/image``): registry, path, name, tag, digest, reference."""
    rest, _, digest = image.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path_tag = first, remainder
    else:
        registry, path_tag = "docker.io", rest
    path, tag = path_tag, ""
    colon = path_tag.rfind(":")
    if colon > path_tag.rfind("/"):
        path, tag = path_tag[:colon], path_tag[colon + 1 :]
    if not digest and not tag:
        tag = "latest"
    name = path.rsplit("/", 1)[-1]
    reference = f"{registry}/{path}" + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    return {
        "registry": registry,
        "path": path,
        "name": name,
        "tag": tag,
        "digest": digest,
        "reference": reference,
        "referenceWithTag": f"{registry}/{path}:{tag}" if tag else f"{registry}/{path}",
    }


_INTERPRETER: Any = None


def _interpreter() -> Any:
    """A tree interpreter with Kyverno's functions and Go's null short-circuit.

    In go-jmespath a sub-expression whose left side is null is null
    (``containers[].resources.keys(@)`` skips containers without resources); Python's
    jmespath would call ``keys(null)`` and fail.
    """
    global _INTERPRETER
    if _INTERPRETER is None:
        import jmespath
        from jmespath.visitor import TreeInterpreter

        class _GoInterpreter(TreeInterpreter):  # type: ignore[misc]
            def visit_subexpression(self, node: Any, value: Any) -> Any:
                result = value
                for child in node["children"]:
                    result = self.visit(child, result)
                    if result is None:
                        return None
                return result

            visit_index_expression = visit_subexpression

            def visit_flatten(self, node: Any, value: Any) -> Any:
                result = super().visit_flatten(node, value)
                if isinstance(result, list) and len(result) > MAX_ITEMS:
                    raise PolicyError(f"flatten: more than {MAX_ITEMS} items")
                return result

        _INTERPRETER = _GoInterpreter(jmespath.Options(custom_functions=_functions_class()()))
    return _INTERPRETER


@lru_cache(maxsize=4096)
def compile_expression(expr: str) -> Any:
    """Compile a JMESPath expression once; malformed ones raise :class:`PolicyError`."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(expr)
    except JMESPathError as exc:
        raise PolicyError(f"invalid JMESPath {expr!r}: {exc}") from None


def query(expr: str, data: Any) -> Any:
    """Evaluate a JMESPath expression with Kyverno's functions."""
    from jmespath.exceptions import JMESPathError

    compiled = compile_expression(expr.strip())
    failed = data.get(DEFERRED) if isinstance(data, dict) else None
    if failed:
        for name, reason in failed.items():
            if re.search(rf"(?<![\w.$\"]){re.escape(name)}(?!\w)", expr):
                raise UnresolvedVariable(f"context entry {name} could not be loaded: {reason}")
    try:
        result = _interpreter().visit(compiled.parsed, data)
    except JMESPathError as exc:
        raise UnresolvedVariable(f"JMESPath query {expr!r} failed: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, KeyError, IndexError) as exc:
        raise UnresolvedVariable(f"JMESPath query {expr!r} failed: {exc}") from None
    # A result can share one value many times over ([@, @] | [@, @] | ...): whoever walks
    # or prints it next would do exponential work.
    check_size(result, MAX_RESULT_SIZE, f"JMESPath query {expr!r}")
    return result


_HAS_VARIABLES: dict[int, tuple[Any, bool]] = {}


def _has_variables(value: Any) -> bool:
    """Whether a (policy) value holds ``{{`` anywhere; memoised on the object."""
    hit = _HAS_VARIABLES.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    found = "{{" in repr(value)
    if len(_HAS_VARIABLES) >= 4096:
        _HAS_VARIABLES.clear()
    _HAS_VARIABLES[id(value)] = (value, found)
    return found


def substitute(value: Any, context: Any, *, lenient: bool = False) -> Any:
    """Resolve every ``{{ }}`` in ``value`` (strings, nested in dicts and lists).

    ``lenient`` is the preconditions mode of upstream: an expression that fails becomes ``""``.
    Map keys are substituted too, as upstream does.
    """
    if isinstance(value, str):
        return substitute_string(value, context, lenient=lenient) if "{{" in value else value
    if isinstance(value, dict | list) and not _has_variables(value):
        return value
    if isinstance(value, dict):
        return {
            (
                substitute_string(k, context, lenient=lenient)
                if isinstance(k, str) and "{{" in k
                else k
            ): substitute(v, context, lenient=lenient)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [substitute(v, context, lenient=lenient) for v in value]
    return value


def substitute_string(text: str, context: Any, *, lenient: bool = False) -> Any:
    """Resolve the ``{{ }}`` expressions of one string (see module docstring)."""
    current: Any = text
    request = context.get("request") if isinstance(context, dict) else None
    deleting = isinstance(request, dict) and request.get("operation") == "DELETE"
    for _ in range(64):
        if not isinstance(current, str):
            return current
        match = _VAR_RE.search(current)
        if match is None:
            break
        variable = match.group(2)
        expr = variable[2:-2].strip()
        if deleting:
            # upstream vars.go: in a DELETE request request.object means the old object
            expr = expr.replace("request.object", "request.oldObject")
        try:
            result = query(expr, context)
        except UnresolvedVariable:
            if not lenient:
                raise
            result = ""
        if variable == current:
            return result
        prefix = current[: match.start(2)]
        # A variable nested in another {{ }} is printed with Go's %v, others as JSON
        # (upstream vars.go).
        nested = prefix.count("{{") > prefix.count("}}")
        text = go_sprint(result) if nested and not isinstance(result, str) else go_string(result)
        current = prefix + text + current[match.end(2) :]
    if isinstance(current, str) and "\\{{" in current:
        current = current.replace("\\{{", "{{")
    return current
