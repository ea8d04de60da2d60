"""The CEL layer: compile once, evaluate to plain data, errors as PolicyError, bounded cost."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from gitopspol.engines.cel import DEFAULT_VARIABLES, compile_program
from gitopspol.engines.cel.compat import go_compat
from gitopspol.errors import PolicyError

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "labels": {"app": "web"}},
    "spec": {
        "containers": [{"name": "a", "image": "nginx:1.27"}, {"name": "b", "image": "busybox"}]
    },
}


def ev(expr: str, **activation: Any) -> Any:
    return compile_program(expr).evaluate(activation)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("object.spec.containers.map(c, c.name)", ["a", "b"]),
        ("object.spec.?initContainers.orValue([])", []),
        ("object.metadata.?labels[?'app'].orValue('none')", "web"),
        ("object.metadata.?annotations[?'x'].orValue('none')", "none"),
        ("has(object.spec.hostPID)", False),
        ("object.spec.containers.exists_one(c, c.image.startsWith('nginx'))", True),
        ("object.spec.containers.all(c, c.image.matches('^[a-z]+'))", True),
        ("'a,b,c'.split(',').join('-')", "a-b-c"),
        ("'  x '.trim() + 'ABC'.lowerAscii()", "xabc"),
        ("duration('8h') > duration('90m')", True),
        ("{'k': 1, 'l': [1.5, null]}", {"k": 1, "l": [1.5, None]}),
    ],
)
def test_standard_and_optional_syntax(expr: str, expected: Any) -> None:
    assert ev(expr, object=POD) == expected


def test_cross_type_numeric_comparisons() -> None:
    """Kubernetes and Kyverno enable cel-go's cross-type numeric comparisons."""
    assert ev("1.5 > 1 && 1u < 2 && 2 >= 1.5") is True
    assert ev("size(object.spec.containers) > 1.5", object=POD) is True
    with pytest.raises(PolicyError, match="does not compile"):
        compile_program("'a' > 1")


def test_results_are_plain_python() -> None:
    assert ev("timestamp('2024-01-02T03:04:05Z')") == "2024-01-02T03:04:05Z"
    assert ev("duration('1h30m')") == "5400s"
    assert ev("b'abc'") == "abc"
    assert isinstance(ev("object.spec", object=POD), dict)


def test_go_compat_or_value_on_plain_values() -> None:
    """cel-go returns the receiver of orValue when it is not an optional; so do we."""
    assert ev("object.spec.containers.orValue([]).size()", object=POD) == 2
    assert ev("object.spec.?volumes.orValue([]).size()", object=POD) == 0
    assert go_compat("a.b.orValue(1) + c.?d.orValue(2)") == "a.b + c.?d.orValue(2)"
    assert go_compat("'x.orValue(1)'") == "'x.orValue(1)'"
    assert go_compat("m[?'k'].orValue(1)") == "m[?'k'].orValue(1)"
    assert go_compat("f(a).orValue(1)") == "f(a)"
    assert go_compat("l.indexOf(x) + 'a.indexOf(b)'.size()") == (
        "l.gitopspolIndexOf(x) + 'a.indexOf(b)'.size()"
    )
    assert go_compat("a.b.orValue(c.indexOf(1))") == "a.b"


def test_compile_error_names_expression_and_position() -> None:
    with pytest.raises(PolicyError) as info:
        compile_program("object.spec.containers.all(c, ")
    message = str(info.value)
    assert "object.spec.containers.all(c," in message
    assert "does not compile" in message
    assert "Syntax error" in message


def test_undeclared_variable_is_a_compile_error() -> None:
    with pytest.raises(PolicyError, match="undeclared reference to 'nope"):
        compile_program("nope.x")


def test_evaluation_error_is_policy_error() -> None:
    with pytest.raises(PolicyError, match=r"object\.spec\.nope.*no such key: nope"):
        ev("object.spec.nope", object=POD)
    with pytest.raises(PolicyError, match="optional value"):
        ev("object.?spec", object=POD)


def test_runaway_expression_is_stopped() -> None:
    with pytest.raises(PolicyError, match="cost limit"):
        ev(
            "object.l.all(a, object.l.all(b, object.l.all(c, true)))",
            object={"l": list(range(100))},
        )


def test_programs_are_cached_per_expression_and_variables() -> None:
    first = compile_program("object.kind == 'Pod'")
    assert compile_program("object.kind == 'Pod'") is first
    other = compile_program("object.kind == 'Pod'", ["object"])
    assert other is not first
    assert other.variables == ("object",)
    assert first.variables == DEFAULT_VARIABLES
    assert other.evaluate({"object": POD}) is True


def test_missing_variables_are_null() -> None:
    assert ev("oldObject == null") is True


def test_thread_safe_compile_and_evaluate() -> None:
    errors: list[BaseException] = []
    results: list[Any] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                program = compile_program(f"object.spec.containers.size() + {i % 7} + {n}")
                results.append(program.evaluate({"object": POD}))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 200
    assert sorted(set(results)) == list(range(2, 2 + 7 + 3))


def test_non_string_expression_is_refused() -> None:
    with pytest.raises(PolicyError, match="must be a string"):
        compile_program(42)  # type: ignore[arg-type]


def test_go_compat_is_linear_on_hostile_input() -> None:
    import time

    chained = "a" + ".orValue(1)" * 6000
    nested = "(" * 3000 + "a" + ").orValue(1)" * 3000
    start = time.process_time()
    assert go_compat(chained) == "a"
    assert go_compat(nested) == "(" * 3000 + "a" + ")" * 3000
    assert go_compat("a" + ".first()" * 3000).count("cel.bind(") == 64  # bounded
    assert time.process_time() - start < 4.0


def test_hostile_expressions_are_refused_quickly() -> None:
    for expr in ("(" * 10000 + "1" + ")" * 10000, "1" + "+1" * 5000):
        with pytest.raises(PolicyError, match="does not compile"):
            compile_program(expr)
    with pytest.raises(PolicyError, match="longer than"):
        compile_program("1" * 70000)
