"""CEL values that grow without bound (``+``, ``replace``, ``join`` under ``cel.bind``).

cel-cpp has no cost limit besides the comprehension budget and evaluates in native code in
process; gitopspol bounds memory with a static estimate (``gitopspol.engines.cel.cost``),
a check against the actual inputs for expressions that amplify them, and a limit on the
values handed from one expression to another (ValidatingPolicy variables). Each hostile
expression below ends quickly, as a PolicyError or an ``error`` result, in little memory.
"""

from __future__ import annotations

import resource
import time
from typing import Any

import pytest

from gitopspol.engines.admission import AdmissionRequest, Status
from gitopspol.engines.cel import compile_program, cost
from gitopspol.engines.vpol import evaluate_validating_policy
from gitopspol.errors import PolicyError


def _chain(levels: int, step: str, first: str) -> str:
    """``cel.bind(s0, first, cel.bind(s1, step(s0), ... size(s<levels>)))``."""
    body = f"s{levels}.size()"
    for i in range(levels, 0, -1):
        body = f"cel.bind(s{i}, {step.format(v=f's{i - 1}')}, {body})"
    return f"cel.bind(s0, {first}, {body})"


def _peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


@pytest.mark.parametrize(
    ("step", "first"),
    [
        ("{v} + {v}", '"' + "a" * 1024 + '"'),
        ('{v}.replace("a", "aa")', '"' + "a" * 1024 + '"'),
        ('[{v}, {v}].join("")', '"' + "a" * 1024 + '"'),
        ('{v}.replace("a", "' + "a" * 1000 + '")', '"a"'),
    ],
    ids=["plus", "replace", "join", "replace-1000"],
)
def test_growth_from_literals_does_not_compile(step: str, first: str) -> None:
    # 16 doublings of 1 KiB are 64 MiB (the parser allows about 16 nested binds); the
    # runtime would build them, 2^40 times more with the deeper replace.
    start, peak = time.monotonic(), _peak_mib()
    with pytest.raises(PolicyError, match=r"does not compile: it may build .* more than the 64"):
        compile_program(_chain(16, step, first))
    assert time.monotonic() - start < 1
    assert _peak_mib() - peak < 64


def test_small_growth_compiles_and_runs() -> None:
    # 8 doublings of 16 characters: 4 KiB, well inside the bound.
    assert compile_program(_chain(8, "{v} + {v}", '"' + "a" * 16 + '"')).evaluate({}) == 4096


def test_growth_from_the_input_is_checked_against_it() -> None:
    program = compile_program(_chain(14, "{v} + {v}", "object.metadata.name"))
    assert program.evaluate({"object": {"metadata": {"name": "web"}}}) == 3 * 2**14
    start, peak = time.monotonic(), _peak_mib()
    with pytest.raises(PolicyError, match="evaluation refused: on inputs of"):
        program.evaluate({"object": {"metadata": {"name": "x" * 10_000}}})  # 160 MiB
    assert time.monotonic() - start < 1
    assert _peak_mib() - peak < 64


def test_quadratic_replace_is_checked_against_the_input() -> None:
    program = compile_program("object.a.replace('', object.a).size()")
    assert program.evaluate({"object": {"a": "ab"}}) == 8
    with pytest.raises(PolicyError, match="evaluation refused"):
        program.evaluate({"object": {"a": "x" * 20_000}})  # 400 MB


def _doubling_policy(variables: int) -> dict[str, Any]:
    chain = [{"name": "v0", "expression": "object.metadata.name"}]
    chain += [
        {"name": f"v{i}", "expression": f"variables.v{i - 1} + variables.v{i - 1}"}
        for i in range(1, variables + 1)
    ]
    return {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": "grow"},
        "spec": {
            "validationActions": ["Deny"],
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE"],
                        "resources": ["pods"],
                    }
                ]
            },
            "variables": chain,
            "validations": [{"expression": f"size(variables.v{variables}) > 0"}],
        },
    }


def test_forty_doubling_variables_end_in_an_error_result() -> None:
    # Each variable is a small expression (2 N); the chain doubles 40 times: 16 TiB.
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a" * 16}}
    start, peak = time.monotonic(), _peak_mib()
    [result] = evaluate_validating_policy(_doubling_policy(40), AdmissionRequest(pod))
    assert time.monotonic() - start < 2
    assert _peak_mib() - peak < 512
    assert result.status is Status.ERROR
    assert "spec.validations[0]: uses variable 'v40'" in result.message


def test_variable_over_the_value_limit_is_refused() -> None:
    program = compile_program("object.a + object.a")
    half = "x" * (cost.VALUE_LIMIT // 2 + 1)
    with pytest.raises(PolicyError, match="the result is larger than the 8 MiB limit"):
        program.evaluate({"object": {"a": half}})


def test_estimate_of_ordinary_expressions_needs_no_runtime_check() -> None:
    # The common shapes stay on the fast path (no input measurement per evaluation).
    for expr in (
        "object.spec.containers + object.spec.?initContainers.orValue([])",
        "object.spec.containers.all(c, c.image.startsWith('registry.example/'))",
        "object.spec.containers.map(c, c.name + ':' + c.image).join(', ')",
        "object.metadata.?labels.orValue({}).exists(k, k.startsWith('team'))",
    ):
        bound = cost.estimate(compile_program(expr)._compiled.serialize(), iterations=1)
        assert not bound.needs_input_size, expr


def test_input_copied_in_every_iteration_is_checked_against_it() -> None:
    # The iteration budget bounds the copies (10,000), not their size: 10,000 x 200 KB.
    program = compile_program("lists.range(5000).map(i, object.data).size()")
    assert program.evaluate({"object": {"data": "x" * 100}}) == 5000
    with pytest.raises(PolicyError, match="more than the 1024 MiB limit"):
        program.evaluate({"object": {"data": "x" * 200_000}})
