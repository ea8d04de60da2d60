"""The kustomize output emitter, one convention at a time (expected strings taken from kubectl)."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitopspol.errors import RenderError
from gitopspol.render import emit
from gitopspol.render.emit import dump_documents, natural_less


def one(value: Any) -> str:
    """The text after ``k:`` when ``value`` is the only entry of a document."""
    text = dump_documents([{"k": value}])
    assert text.startswith("k:")
    return text[2:]


# --- documents and layout ----------------------------------------------------------------------


def test_documents_are_joined_with_separator_lines() -> None:
    assert dump_documents([{"a": 1}, {"b": 2}]) == "a: 1\n---\nb: 2\n"


def test_no_documents_give_empty_output() -> None:
    assert dump_documents([]) == ""


def test_sequences_are_not_indented_and_only_empty_collections_are_flow() -> None:
    doc = {
        "spec": {
            "containers": [{"name": "x", "ports": [{"containerPort": 80}]}],
            "empty": {},
            "none": [],
            "nested": [["a", ["b"]], [], {}],
        }
    }
    assert dump_documents([doc]) == (
        "spec:\n"
        "  containers:\n"
        "  - name: x\n"
        "    ports:\n"
        "    - containerPort: 80\n"
        "  empty: {}\n"
        "  nested:\n"
        "  - - a\n"
        "    - - b\n"
        "  - []\n"
        "  - {}\n"
        "  none: []\n"
    )


def test_root_that_is_not_a_mapping() -> None:
    assert dump_documents([["a", {"b": 1}], "text", None, {}]) == (
        "- a\n- b: 1\n---\ntext\n---\nnull\n---\n{}\n"
    )


# --- key order ---------------------------------------------------------------------------------


def test_keys_sorted_in_natural_order() -> None:
    keys = ["b", "a", "B", "~", "", "a-b", "a.b", "a_b", "item9", "item09", "item10"]
    keys += ["item010", "v2", "v10", "x-1", "x.10", "é", "Z"]
    text = dump_documents([dict.fromkeys(keys, 1)])
    assert [line.split(":")[0] for line in text.splitlines()] == [
        '""',
        '"~"',
        "B",
        "Z",
        "a",
        "a-b",
        "a.b",
        "a_b",
        "b",
        "item9",
        "item09",
        "item10",
        "item010",
        "v2",
        "v10",
        "x-1",
        "x.10",
        "é",
    ]


def test_natural_order_is_not_transitive_but_output_is_deterministic() -> None:
    assert natural_less("v1alpha1", "v2")
    assert natural_less("v2", "v10")
    assert natural_less("v10", "v1alpha1")
    outputs = {
        dump_documents([dict.fromkeys(order, 1)])
        for order in (
            ["v1alpha1", "v2", "v10"],
            ["v10", "v2", "v1alpha1"],
            ["v2", "v10", "v1alpha1"],
        )
    }
    assert len(outputs) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("a", "b"),
        ("B", "a"),  # letters by code point
        ("-", "a"),  # a non-letter before a letter
        ("z", "é"),
        ("a", "ab"),  # a prefix first
        ("item9", "item10"),  # digit runs as numbers
        ("item9", "item09"),  # equal numbers: the shorter run first
        ("item09", "item10"),
        ("x1", "x01"),
        ("a10000000000000000000", "a2"),  # a run beyond int64 wraps negative as in Go
    ],
)
def test_natural_less(a: str, b: str) -> None:
    assert natural_less(a, b)
    assert not natural_less(b, a)


# --- numbers and other scalars -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (1e3, "1000"),
        (-0.0, "0"),
        (1.5, "1.5"),
        (1e21, "1e+21"),
        (1e20, "1e+20"),  # integral, but beyond 64 bits once printed as JSON
        (1e19, "10000000000000000000"),
        (1.5e-7, "1.5e-07"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (100000.5, "100000.5"),
        (1234567.5, "1.2345675e+06"),
        (3.14159265358979323846, "3.141592653589793"),
        (12345678901234567890, "12345678901234567890"),
        (-(2**63), "-9223372036854775808"),
        (2**64, "1.8446744073709552e+19"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
    ],
)
def test_scalars_are_printed_as_go_prints_them(value: Any, text: str) -> None:
    assert one(value) == f" {text}\n"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_render_errors(value: float) -> None:
    with pytest.raises(RenderError, match="unsupported value"):
        dump_documents([{"k": value}])


# --- quoting -----------------------------------------------------------------------------------


RETYPED = ["yes", "no", "on", "Off", "y", "n", "true", "False", "null", "~", ""]
RETYPED += ["0755", "1_000", "12:30", "190:20:30", "0x1F", "0o17", "0b101", "+12", "1e3", ".5"]
RETYPED += ["2024-05-06", "2024-5-6", "2024-05-06T07:08:09Z", "2024-05-06 07:08:09", ".099_9"]


@pytest.mark.parametrize("value", RETYPED)
def test_strings_that_read_as_another_type_are_double_quoted(value: str) -> None:
    assert one(value) == f' "{value}"\n'


PLAIN = ["2024-05-06T07:08:09", "2024-02-30", "1:70", "1e400", "._5", "0x1FFFFFFFFFFFFFFFFF"]
PLAIN += [
    "<<",
    "?x",
    "x#",
    "a\\b",
    "it's",
    "http://x.io/a?b=c#d",
    "-a",
    "a:b",
    "é ✓ 日本",
    "a\u00a0b",
]


@pytest.mark.parametrize("value", PLAIN)
def test_strings_that_stay_plain(value: str) -> None:
    assert one(value) == f" {value}\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("- a", "'- a'"),
        ("-", "'-'"),
        ("? x", "'? x'"),
        ("a: b", "'a: b'"),
        ("x:", "'x:'"),
        ("a #b", "'a #b'"),
        (" a", "' a'"),
        ("a ", "'a '"),
        ("'q", "'''q'"),
        ('"q', "'\"q'"),
        ("&a", "'&a'"),
        ("*a", "'*a'"),
        ("!t", "'!t'"),
        ("|", "'|'"),
        (">", "'>'"),
        ("%", "'%'"),
        ("@", "'@'"),
        ("`", "'`'"),
        ("#x", "'#x'"),
        ("[a]", "'[a]'"),
        ("{a}", "'{a}'"),
        (",a", "',a'"),
        ("---", "'---'"),
        ("...", "'...'"),
        ("a\u2028b", "'a\u2028  b'"),
    ],
)
def test_syntax_sensitive_strings_are_single_quoted(value: str, text: str) -> None:
    assert one(value) == f" {text}\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("a\tb", r'"a\tb"'),
        ("\x07", r'"\a"'),
        ("\x00\x1b\x0b\x0c\x08", r'"\0\e\v\f\b"'),
        ("\x01", r'"\x01"'),
        ("deploy \U0001f680 now", r'"deploy \U0001F680 now"'),
        ("\ufeffbom", r'"\uFEFF\x62\x6F\x6D"'),  # go-yaml v2 escapes all after a leading BOM
        ("a\r", r'"a\r"'),
    ],
)
def test_control_and_non_bmp_characters_are_escaped(value: str, text: str) -> None:
    assert one(value) == f" {text}\n"


def test_quotes_and_backslashes_inside_double_quotes_are_escaped() -> None:
    assert one('\t"\\') == ' "\\t\\"\\\\"\n'
    assert one('1"\\') == ' 1"\\\n'  # plain needs no escapes


def test_non_string_looking_keys_are_quoted() -> None:
    doc = {"1": "one", "true": "t", "y": "yes-key", "null": "nul", "1.5": "f", "normal": "x"}
    assert dump_documents([doc]) == (
        '"1": one\n"1.5": f\nnormal: x\n"null": nul\n"true": t\n"y": yes-key\n'
    )


# --- multi-line strings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("a\nb", "|-\n  a\n  b\n"),
        ("a\n", "|\n  a\n"),
        ("a\n\n", "|+\n  a\n\n"),
        ("\n", "|2+\n\n"),
        (" a\nb", "|2-\n   a\n  b\n"),
        ("\na", "|2-\n\n  a\n"),
        ("a\n\nb\n", "|\n  a\n\n  b\n"),
    ],
)
def test_multi_line_strings_are_literal_blocks(value: str, text: str) -> None:
    assert one(value) == f" {text}"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("a \nb", r'"a \nb"'),  # trailing space on a line
        ("a\n ", r'"a\n "'),  # trailing space at the end
        ("a\tb\nc", r'"a\tb\nc"'),
        ("a\r\nb", r'"a\r\nb"'),
    ],
)
def test_multi_line_strings_fall_back_to_double_quotes(value: str, text: str) -> None:
    assert one(value) == f" {text}\n"


def test_literal_blocks_are_indented_under_sequences_and_nested_keys() -> None:
    doc = {"rules": [{"rego": "package x\n\nviolation[msg] {\n  msg := 1\n}\n"}]}
    assert dump_documents([doc]) == (
        "rules:\n- rego: |\n    package x\n\n    violation[msg] {\n      msg := 1\n    }\n"
    )


def test_a_literal_block_ending_in_a_line_separator_leaves_the_column_at_zero() -> None:
    # go-yaml's write_indent starts no new line after U+2028 (column 0): the next key
    # follows on the same output line.
    assert dump_documents([{"a": "x\n\u2028", "b": 1}]) == "a: |+\n  x\n\u2028b: 1\n"


# --- long lines --------------------------------------------------------------------------------


def test_long_plain_scalars_fold_at_spaces_after_column_80() -> None:
    value = "w" * 10 + " " + "word " * 19 + "end"
    assert one(value) == (
        " wwwwwwwwww word word word word word word word word word word word word word word\n"
        "  word word word word word end\n"
    )


def test_long_words_are_never_split() -> None:
    value = "x" * 100 + " y"
    assert one(value) == f" {'x' * 100}\n  y\n"


def test_long_single_quoted_scalars_fold() -> None:
    value = "'" + "a b " * 30
    assert one(value) == (
        " '''a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b\n"
        "  a b a b a b a b a b a b a b a b a b a b a b '\n"
    )


def test_long_double_quoted_scalars_fold() -> None:
    value = "a b " * 30 + "\t"
    assert one(value) == (
        ' "a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a\n'
        '  b a b a b a b a b a b a b a b a b a b a b \\t"\n'
    )


def test_double_quoted_fold_protects_a_following_space() -> None:
    value = "\t" + "x" * 80 + "  y"
    assert one(value) == f' "\\t{"x" * 80}\n  \\ y"\n'


def test_keys_never_fold() -> None:
    key = "a " * 60 + "b"
    assert dump_documents([{key: 1}]) == f"{key}: 1\n"


# --- complex keys ------------------------------------------------------------------------------


def test_keys_over_128_bytes_and_multi_line_keys_use_question_marks() -> None:
    doc = {"x" * 130: 3, "a\nb": {"x": 1, "y": [1, 2]}, "l": [[1, 2], {"q": 1}]}
    assert dump_documents([{"k": doc}]) == (
        "k:\n"
        "  ? |-\n"
        "    a\n"
        "    b\n"
        "  : x: 1\n"
        '    "y":\n'
        "    - 1\n"
        "    - 2\n"
        "  l:\n"
        "  - - 1\n"
        "    - 2\n"
        "  - q: 1\n"
        f"  ? {'x' * 130}\n"
        "  : 3\n"
    )


def test_a_key_of_128_bytes_is_still_simple() -> None:
    assert dump_documents([{"é" * 64: 1}]) == f"{'é' * 64}: 1\n"


# --- what kustomize cannot print ---------------------------------------------------------------


@pytest.mark.parametrize("key", [1, 1.5, True, None])
def test_non_string_keys_are_render_errors(key: Any) -> None:
    with pytest.raises(RenderError, match="non-string key"):
        dump_documents([{"data": {key: "x"}}])


@pytest.mark.parametrize("value", ["a\x7fb", "\x9f", "a\ufffe"])
def test_characters_go_yaml_refuses_are_render_errors(value: str) -> None:
    with pytest.raises(RenderError, match="control characters are not allowed"):
        dump_documents([{"k": value}])


@pytest.mark.parametrize("key", ["a\x85b", "k" * 1023])
def test_keys_go_yaml_cannot_read_back_are_render_errors(key: str) -> None:
    with pytest.raises(RenderError, match="did not find expected"):
        dump_documents([{key: 1}])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("a\x85b", " a b\n"),
        ("a\x85", " 'a '\n"),
        ("a \x85 b", " a b\n"),
        ("a\x85\x85b", " |-\n  a\n  b\n"),
    ],
)
def test_nel_is_folded_by_the_json_round_trip(value: str, text: str) -> None:
    assert one(value) == text


def test_str_subclasses_are_strings() -> None:
    class Quoted(str):
        __slots__ = ()

    assert dump_documents([{Quoted("k"): Quoted("yes")}]) == 'k: "yes"\n'


@pytest.mark.parametrize("value", ["\x85--- a", "a\x85... b", "\x85---\x85"])
def test_a_document_marker_after_nel_is_a_render_error(value: str) -> None:
    # After a raw NEL go-yaml v2 is at column 0 of a new line, where "--- " ends the document.
    with pytest.raises(RenderError, match="unexpected document indicator"):
        dump_documents([{"k": value}])
    assert one(value.replace("\x85", "\x85x")) != ""  # not a marker once not at column 0


def test_unsupported_types_are_render_errors() -> None:
    with pytest.raises(RenderError, match="unsupported type"):
        dump_documents([{"k": {1, 2}}])


# --- the fast writers agree with the character-by-character port -------------------------------

awkward = st.text(alphabet="ab \t\n'\"\\#:-é\u2028\x07\U0001f680\ufeff", max_size=120)


@settings(max_examples=300, deadline=None)
@given(
    text=awkward | st.lists(st.sampled_from(["ab", "x" * 30, " ", "'"]), max_size=30).map(" ".join),
    column=st.integers(min_value=0, max_value=90),
    indent=st.integers(min_value=0, max_value=12),
)
def test_fast_writers_match_the_reference_port(text: str, column: int, indent: int) -> None:
    if not text:
        return
    style = emit._style(text)
    if style == emit._LITERAL:
        assert emit._write_literal(text, indent) == emit._write_slow(style, text, 0, indent, True)
    elif style != emit._REPARSE:
        fast = emit._scalar(text, style, column, indent)
        assert fast == emit._write_slow(style, text, column, indent, True)


# --- speed -------------------------------------------------------------------------------------


def _policies(count: int) -> list[dict[str, Any]]:
    """Kyverno and Gatekeeper policies with unique messages and Rego, about 2 KB each."""
    words = ["the", "image", "must", "come", "from", "an", "approved", "registry", "and", "not"]
    docs: list[dict[str, Any]] = []
    for i in range(count):
        message = " ".join(words[(i + n) % len(words)] for n in range(30)) + f" ({i})"
        rule = {"name": f"rule-{i}", "validate": {"message": message, "pattern": {"x": "?*"}}}
        docs.append(
            {
                "apiVersion": "kyverno.io/v1",
                "kind": "ClusterPolicy",
                "metadata": {
                    "name": f"p{i}",
                    "annotations": {"policies.kyverno.io/title": message},
                },
                "spec": {"background": True, "rules": [rule, rule, rule]},
            }
        )
        rego = "".join(f'violation[{{"msg": m}}] {{\n  m := "{i}-{k}"\n}}\n' for k in range(12))
        docs.append(
            {
                "apiVersion": "templates.gatekeeper.sh/v1",
                "kind": "ConstraintTemplate",
                "metadata": {"name": f"t{i}"},
                "spec": {"targets": [{"target": "admission.k8s.gatekeeper.sh", "rego": rego}]},
            }
        )
    return docs


def test_three_megabytes_of_policies_in_well_under_a_second() -> None:
    documents = _policies(1600)
    start = time.perf_counter()
    text = dump_documents(documents)
    elapsed = time.perf_counter() - start
    assert len(text.encode()) > 3_000_000
    # Typically 0.2 s; the bound leaves room for a loaded CI machine.
    assert elapsed < 2.0, f"{elapsed:.2f} s"


# --- block scalars of the source ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        ("(\n  x\n)", "(\n\n  x\n)"),  # an empty line before a more-indented line
        (" a\nb\nc\n", " a\nb c\n"),  # a value starting with a blank: breaks fold to spaces
        ("a\nb\n\nc", "a\nb\n\nc"),
        ("a\n\n", "a\n\n\n"),
        ("one line", "one line"),
        ("a \nb", "a \nb"),  # written double-quoted by go-yaml v3: unchanged
        ("x\u2028\n  y", "x\u2028\n  y"),  # other line breaks are not modelled
    ],
)
def test_folded_source_scalars_change_like_kyaml_round_trips_them(value: str, printed: str) -> None:
    assert emit.source_block_scalar(value, ">") == printed
    assert emit.source_block_scalar(value, "|") == value


def test_block_scalars_starting_with_a_tab_are_render_errors() -> None:
    for style in "|>":
        with pytest.raises(RenderError, match="tab character"):
            emit.source_block_scalar("\tx\n", style)
    assert emit.source_block_scalar("\tx \n", ">") == "\tx \n"  # double-quoted: no error
