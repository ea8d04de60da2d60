"""The YAML module: go-yaml v3 scalars, safety limits, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopspol import yamlio
from gitopspol.errors import InputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("", None),
        ("0755", 493),
        ("0o17", 15),
        ("0x1F", 31),
        ("0b101", 5),
        ("1_000", 1000),
        ("+12", 12),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("12345678901234567890", 12345678901234567890),
        ("2024-05-06", "2024-05-06T00:00:00Z"),
        ("2024-05-06T07:08:09Z", "2024-05-06T07:08:09Z"),
        ("2024-05-06T07:08:09.500+02:00", "2024-05-06T07:08:09.5+02:00"),
        ("12:30", "12:30"),
        ("0.1.2", "0.1.2"),
        ("'0755'", "0755"),
        # Checked against kubectl kustomize v5.5 (go-yaml v3).
        ("._5", "._5"),
        (".5", 0.5),
        ("1_0.5", 10.5),
        ("+inf", "+inf"),
        ("0x_1F", 31),
        ("1_", 1),
        ("_1", "_1"),
    ],
)
def test_scalars_resolve_like_go_yaml_v3(text: str, expected: object) -> None:
    assert yamlio.load(f"k: {text}\n") == {"k": expected}


def test_merge_keys_and_anchors_expand() -> None:
    data = yamlio.load("a: &x {p: 1, q: 2}\nb:\n  <<: *x\n  q: 3\n")
    assert data["b"] == {"p": 1, "q": 3}


def test_duplicate_key_is_an_error_with_line() -> None:
    with pytest.raises(InputError) as info:
        yamlio.load("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert info.value.line == 3
    assert "duplicate key 'a'" in info.value.message
    assert info.value.located().startswith("f.yaml:3: ")


def test_unknown_tag_is_refused() -> None:
    with pytest.raises(InputError, match="unknown tag"):
        yamlio.load("a: !!python/object:os.system {}\n", "f.yaml")


def test_custom_tag_is_refused() -> None:
    with pytest.raises(InputError, match="unknown tag"):
        yamlio.load("a: !Ref thing\n", "f.yaml")


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    with pytest.raises(InputError, match="aliases"):
        yamlio.load("\n".join(lines) + "\n", "bomb.yaml")


def test_deep_nesting_is_refused() -> None:
    text = "a: " + "[" * (yamlio.MAX_DEPTH + 5) + "]" * (yamlio.MAX_DEPTH + 5) + "\n"
    with pytest.raises(InputError, match="nesting deeper"):
        yamlio.load(text, "deep.yaml")


def test_tab_indentation_error_names_line() -> None:
    with pytest.raises(InputError) as info:
        yamlio.load("a:\n\tb: 1\n", "tabs.yaml")
    assert info.value.line == 2


def test_non_utf8_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"a: 1\nb: \xff\xfe\n")
    with pytest.raises(InputError) as info:
        yamlio.load_file(path)
    assert info.value.line == 2
    assert "UTF-8" in info.value.message


def test_large_file_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 200 + "\n")
    with pytest.raises(InputError, match="larger than"):
        yamlio.load_file(path)


def test_locate_finds_nested_value() -> None:
    text = "a: 1\n---\nspec:\n  rules:\n  - name: x\n    validate: {}\n"
    assert yamlio.locate(text, 1, ["spec", "rules", 0, "validate"]) == (6, 15)
    # Missing tail: the longest existing prefix.
    assert yamlio.locate(text, 1, ["spec", "nope"]) == (4, 3)
    assert yamlio.locate(text, 5, ["spec"]) is None


def test_document_lines() -> None:
    assert yamlio.document_lines("a: 1\n---\n# c\nb: 2\n") == [1, 4]


def test_dump_quotes_ambiguous_strings() -> None:
    text = yamlio.dump({"a": "yes", "b": "0755", "c": "plain", "d": ["x"]})
    assert text == 'a: "yes"\nb: "0755"\nc: plain\nd:\n- x\n'
    assert yamlio.load(text) == {"a": "yes", "b": "0755", "c": "plain", "d": ["x"]}


def test_round_trip_keeps_comments() -> None:
    text = "# top\na: 1  # why\nb:\n- x\n"
    data = yamlio.rt_load(text)
    data["a"] = 2
    assert yamlio.rt_dump(data) == "# top\na: 2  # why\nb:\n- x\n"


def test_explicit_timestamp_that_is_no_date_is_an_input_error() -> None:
    with pytest.raises(InputError, match="invalid timestamp") as info:
        yamlio.load("a: 1\nk: !!timestamp 2024-13-40\n", "f.yaml")
    assert info.value.line == 2
