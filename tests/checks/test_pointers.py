"""JSON pointers of findings: RFC 6901 escaping, and the inverse."""

from __future__ import annotations

import pytest

from gitopspol.checks import path_to_pointer, pointer_to_path


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        ((), ""),
        (("spec",), "/spec"),
        (("spec", "rules", 0, "validate"), "/spec/rules/0/validate"),
        (
            ("metadata", "annotations", "gitopspol.io/tier"),
            "/metadata/annotations/gitopspol.io~1tier",
        ),
        (("a~b", "c/~d"), "/a~0b/c~1~0d"),
        (("", 1), "//1"),
    ],
)
def test_path_to_pointer_escapes_and_inverts(path: tuple[str | int, ...], pointer: str) -> None:
    assert path_to_pointer(path) == pointer
    assert path_to_pointer(list(path)) == pointer
    if "" not in path:
        assert pointer_to_path(pointer) == path
