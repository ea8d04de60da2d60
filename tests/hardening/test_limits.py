"""Resource limits: one evaluation is bounded in time and memory (Rego, CEL, JMESPath).

A policy that would loop (for practical purposes) forever is stopped and reported as a
:class:`PolicyError` or an ``error`` result, and the next evaluation works normally.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from gitopspol import yamlio
from gitopspol.engines import kyverno
from gitopspol.engines.admission import AdmissionRequest, Status
from gitopspol.engines.cel import compile_program
from gitopspol.engines.gatekeeper import evaluate as gatekeeper_evaluate
from gitopspol.engines.gatekeeper import rego
from gitopspol.engines.kyverno import engine as kyverno_engine
from gitopspol.engines.kyverno import jmes
from gitopspol.engines.kyverno.values import wildcard_match
from gitopspol.errors import InputError, PolicyError

OK_REGO = """package k8sok

violation[{"msg": msg}] {
  msg := sprintf("kind %v", [input.review.object.kind])
}
"""
#: 10^10 iterations that allocate nothing: only the time limit stops it.
SLOW_REGO = """package k8sslow

violation[{"msg": "never"}] {
  a := numbers.range(1, 100000)[_]
  b := numbers.range(1, 100000)[_]
  a == b + 1000000000
}
"""
#: An array of 10^9 numbers: the memory limit stops it.
GREEDY_REGO = """package k8sgreedy

violation[{"msg": msg}] {
  n := count(numbers.range(1, 1000000000))
  msg := sprintf("%v", [n])
}
"""
POD = '{"review": {"object": {"kind": "Pod"}}}'


def _template(kind: str, source: str) -> dict[str, Any]:
    return {
        "apiVersion": "templates.gatekeeper.sh/v1",
        "kind": "ConstraintTemplate",
        "metadata": {"name": kind.lower()},
        "spec": {
            "crd": {"spec": {"names": {"kind": kind}}},
            "targets": [{"target": "admission.k8s.gatekeeper.sh", "rego": source}],
        },
    }


def test_yaml_50_mb_document_is_refused_quickly() -> None:
    # The catalogue refuses a 50 MB file by its size; a document built in memory (a
    # --data answer, a JMESPath parse_yaml argument) is refused by its length.
    text = "data: " + "x" * (50 * 1024 * 1024)
    start = time.monotonic()
    with pytest.raises(InputError, match="larger than the 33554432 bytes"):
        yamlio.load_all(text, "big.yaml")
    assert time.monotonic() - start < 1


def test_rego_time_limit_stops_a_long_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rego, "TIME_LIMIT_SECONDS", 1.0)
    program = rego.compile_modules(SLOW_REGO, name="slow")
    start = time.monotonic()
    with pytest.raises(PolicyError, match=r"evaluation stopped after 1 s \(time limit\)"):
        program.violations(POD)
    assert time.monotonic() - start < 5
    # The worker was replaced: the next evaluation works, old programs included.
    assert rego.compile_modules(OK_REGO, name="ok").violations(POD) == [{"msg": "kind Pod"}]


def test_rego_memory_limit_stops_a_greedy_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rego, "MEMORY_LIMIT_BYTES", 256 << 20)
    program = rego.compile_modules(GREEDY_REGO, name="greedy")
    start = time.monotonic()
    with pytest.raises(PolicyError, match="exceeded the 256 MiB memory limit"):
        program.violations(POD)
    assert time.monotonic() - start < rego.TIME_LIMIT_SECONDS


def test_rego_limit_through_the_gatekeeper_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rego, "TIME_LIMIT_SECONDS", 1.0)
    constraint = {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": "K8sSlow",
        "metadata": {"name": "slow"},
        "spec": {},
    }
    request = AdmissionRequest({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}})
    [result] = gatekeeper_evaluate([_template("K8sSlow", SLOW_REGO)], [constraint], request)
    assert result.status is Status.ERROR
    assert "time limit" in result.message


def test_rego_evaluation_in_the_worker_is_cheap() -> None:
    program = rego.compile_modules(OK_REGO, name="cheap")
    program.violations(POD)  # forks the worker that knows this program
    start = time.perf_counter()
    for _ in range(200):
        program.violations(POD)
    per_call = (time.perf_counter() - start) / 200
    assert per_call < 0.005, per_call


@pytest.mark.parametrize(
    "expr",
    [
        # 10^5 iterations: over the comprehension budget.
        "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10]"
        ".all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, a+b+c+d+e > 0)))))",
        "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10]"
        ".map(c, [1,2,3,4,5,6,7,8,9,10].map(d, [1,2,3,4,5,6,7,8,9,10].map(e, a)))))",
    ],
)
def test_cel_cost_limit(expr: str) -> None:
    start = time.monotonic()
    with pytest.raises(PolicyError, match="cost limit exceeded"):
        compile_program(expr).evaluate({})
    assert time.monotonic() - start < 2


def test_cel_regex_is_linear() -> None:
    # RE2: no catastrophic backtracking on (a+)+$.
    program = compile_program("object.name.matches('(a+)+$')")
    start = time.monotonic()
    assert program.evaluate({"object": {"name": "a" * 5000 + "!"}}) is False
    assert time.monotonic() - start < 1


@pytest.mark.parametrize(
    "expr",
    [
        "replace_all(replace_all(replace_all(s, '', s), '', s), '', s)",
        "replace(replace(replace(s, '', s, `-1`), '', s, `-1`), '', s, `-1`)",
        "regex_replace_all('', regex_replace_all('', regex_replace_all('', s, s), s), s)",
        "regex_replace_all_literal('', regex_replace_all_literal('', s, s), s)",
    ],
)
def test_jmespath_string_growth_is_bounded(expr: str) -> None:
    # Each call multiplies the length by ~len(s): 1000 -> 10^6 -> 10^9 characters.
    start = time.monotonic()
    with pytest.raises(PolicyError, match="longer than 4194304 characters"):
        jmes.query(expr, {"s": "a" * 1000})
    assert time.monotonic() - start < 2


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        # Doubling through shared references: 2^41 strings if written out.
        ("[@, @]" + " | [@, @]" * 40 + " | to_string(@)", "to_string: result is larger"),
        ("[@, @]" + " | [@, @]" * 40, "result is larger than 16777216"),
        ("[@, @][]" + " | [@, @][]" * 40, "flatten: more than 1000000 items"),
        ("join('', [s, s, s, s, s])", "join: result would be longer"),
    ],
)
def test_jmespath_structure_growth_is_bounded(expr: str, message: str) -> None:
    start = time.monotonic()
    with pytest.raises(PolicyError, match=re.escape(message)):
        jmes.query(expr, {"s": "a" * 1_000_000})
    assert time.monotonic() - start < 2


def test_kyverno_nested_foreach_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    # 3,000 x 3,000 elements: minutes of work without the limit.
    monkeypatch.setattr(kyverno_engine, "TIME_LIMIT_SECONDS", 0.5)
    inner = {"list": "request.object.spec.containers", "deny": {"conditions": {"any": [
        {"key": "{{ element.name }}", "operator": "Equals", "value": "never"}]}}}  # fmt: skip
    policy = {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "nested"},
        "spec": {
            "rules": [
                {
                    "name": "loops",
                    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                    "validate": {
                        "foreach": [{"list": "request.object.spec.containers", "foreach": [inner]}]
                    },
                }
            ]
        },
    }
    containers = [{"name": f"c{i}", "image": "nginx"} for i in range(3000)]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}}  # fmt: skip
    start = time.monotonic()
    [result] = kyverno.evaluate([policy], AdmissionRequest(pod))
    assert time.monotonic() - start < 5
    assert result.status is Status.ERROR
    assert "evaluation stopped after 0.5 s (time limit)" in result.message


def test_kyverno_wildcards_are_linear() -> None:
    # Python's backtracking re took minutes here; Kyverno's wildcard matcher does not.
    start = time.monotonic()
    assert not wildcard_match("*a*a*a*a*a*a*a*a*a*b", "a" * 10_000)
    assert wildcard_match("ng?nx:*", "nginx:1.27")
    assert wildcard_match("*", "multi\nline")
    assert time.monotonic() - start < 1


def test_jmespath_regex_is_linear() -> None:
    start = time.monotonic()
    assert jmes.query("regex_match('(a+)+$', s)", {"s": "a" * 5000 + "!"}) is False
    assert time.monotonic() - start < 1
    with pytest.raises(PolicyError, match="invalid regular expression"):
        jmes.query("regex_match('(?=a)', s)", {"s": "a"})
