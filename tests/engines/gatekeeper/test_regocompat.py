"""Source rewrites that make regorus follow OPA, and the Rego adapter's error handling."""

from __future__ import annotations

import json

import pytest

from gitopspol.engines.gatekeeper.rego import compile_modules, parse_failure
from gitopspol.engines.gatekeeper.regocompat import (
    hoist_negated_call_refs,
    rewrite,
    split_multi_body_rules,
)
from gitopspol.errors import PolicyError

MULTI = """package p

violation[{"msg": msg}] {
  input.a
  msg := "a"
} {
  input.b
  msg := "b {not a body}"  # a } { in a comment
}

f(x) = {"v": x} {
  x > 1
} {
  x < -1
}
"""


def _run(source: str, doc: object) -> list[object]:
    return compile_modules(source).violations(json.dumps(doc))


def test_multi_body_rules_repeat_the_head() -> None:
    out = split_multi_body_rules(MULTI)
    assert out.count('violation[{"msg": msg}] {') == 2
    assert out.count('f(x) = {"v": x} {') == 2
    assert out.count("\n") == MULTI.count("\n")  # lines stay where they were
    assert '"b {not a body}"' in out


def test_multi_body_rules_evaluate_as_separate_rules() -> None:
    assert _run(MULTI, {"a": True}) == [{"msg": "a"}]
    assert _run(MULTI, {"b": True}) == [{"msg": "b {not a body}"}]
    assert sorted(str(v) for v in _run(MULTI, {"a": True, "b": True})) == [
        "{'msg': 'a'}",
        "{'msg': 'b {not a body}'}",
    ]


def test_single_body_and_else_are_untouched() -> None:
    source = 'package p\nx = 1 {\n  input.a\n} else = 2 {\n  input.b\n}\nv = {"a": 1}\n'
    assert split_multi_body_rules(source) == source


NEGATION = """package p

violation[{"msg": "not accepted"}] {
  params := object.get(input, "parameters", {})
  not accepted(params.ranges)
}

accepted(ranges) {
  ranges[_] == 1
}
"""


def test_negated_call_with_undefined_ref_is_undefined_as_in_opa() -> None:
    assert "__gp0 := params.ranges; not accepted(__gp0)" in hoist_negated_call_refs(NEGATION)
    # params.ranges undefined: OPA makes the expression undefined, so no violation.
    assert _run(NEGATION, {"parameters": {}}) == []
    assert _run(NEGATION, {"parameters": {"ranges": [2]}}) == [{"msg": "not accepted"}]
    assert _run(NEGATION, {"parameters": {"ranges": [1]}}) == []


@pytest.mark.parametrize(
    "line",
    [
        "  not f(x[_])",  # iteration: hoisting would change the meaning
        "  not f(input.review)",  # input and data refs are left alone
        "  not f(a, g(b))",
        "  not f(x.y)  # comment",
    ],
)
def test_hoisting_leaves_other_calls_alone(line: str) -> None:
    assert hoist_negated_call_refs(line) == line


def test_rewrite_skips_multi_body_split_for_v1() -> None:
    source = "package p\nx if { true }\n"
    assert rewrite(source, v0=False) == source


def test_parse_failure_keeps_the_message_and_location() -> None:
    exc = RuntimeError(
        "\n--> t.rego:2:61\n  |\n2 | x\n  |  ^\nerror: boom here\n\nStack backtrace:\n   0: <unknown>\n"
    )
    failure = parse_failure(exc)
    assert (failure.message, failure.module, failure.line) == ("boom here", "t.rego", 2)


def test_compile_errors_are_policy_errors() -> None:
    with pytest.raises(PolicyError) as info:
        compile_modules("package p\nviolation[{ {\n", name="tpl")
    assert info.value.file == "tpl.rego"
    assert "Stack backtrace" not in info.value.message


def test_non_set_rule_is_an_error() -> None:
    with pytest.raises(PolicyError, match="is not a set"):
        _run("package p\nviolation = 1 { true }\n", {})


@pytest.mark.parametrize(
    ("main", "libs", "function"),
    [
        ('package p\nviolation[{"msg": "x"}] { f(1) }\nf(x) { f(x) }\n', [], "p.f"),
        (
            'package p\nviolation[{"msg": "x"}] { f(1) }\nf(x) { g(x) }\ng(x) { data.p["f"](x) }\n',
            [],
            "p.f",
        ),
        (
            'package p\nimport data.lib.h as helper\nviolation[{"msg": "x"}] { helper.f(1) }\n',
            ["package lib.h\nf(x) { g(x) }\ng(x) { f(x) }\n"],
            "lib.h.f",
        ),
    ],
)
def test_recursive_functions_are_refused_before_they_crash_the_engine(
    main: str, libs: list[str], function: str
) -> None:
    # regorus overflows its stack (killing the process) on these; OPA refuses them.
    with pytest.raises(PolicyError, match=f"function {function} is recursive"):
        compile_modules(main, libs)


def test_non_recursive_function_chains_compile() -> None:
    source = 'package p\nviolation[{"msg": m}] { m := f(1) }\nf(x) = y { y := g(x) }\ng(x) = x\n'
    assert _run(source, {}) == [{"msg": 1}]


def test_deep_bracket_nesting_is_refused_quickly() -> None:
    # regorus parses nested brackets in exponential time: 20 levels would take minutes.
    source = 'package p\nviolation[{"msg": "x"}] {\n  x := ' + "[" * 20 + "]" * 20 + "\n}\n"
    with pytest.raises(PolicyError, match="brackets nested 21 deep") as info:
        compile_modules(source)
    assert (info.value.file, info.value.line) == ("template.rego", 3)
    assert compile_modules('package p\nviolation[{"msg": "x"}] { x := [[[[1]]]] }\n')


def test_a_template_needs_a_violation_rule() -> None:
    with pytest.raises(PolicyError, match="missing required rule: violation"):
        compile_modules("package p\ndefault allow = false\ndeny[m] { m := 1 }\n")
