"""yamlio's fast paths: parsed texts kept for repeated loads, the depth-only check of
documents without anchors. Both must be invisible: same data, same errors, same lines."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitopspol import yamlio
from gitopspol.errors import InputError
from tests.conftest import need_shared

Tree = tuple[str, list["Tree"]]
LEAF: Tree = ("leaf", [])


def _tree(rng: random.Random, deep: int) -> Tree:
    """Maps and lists ``deep`` levels deep, with shallow side branches; the deep spine is
    doubled at a few levels, so several nodes, on different lines, are the deepest."""
    node = LEAF
    doubled = set(rng.sample(range(deep), 3))
    for level in range(deep - 1):
        spines = [node, node] if level in doubled else [node]
        sides = [LEAF if rng.random() < 0.5 else ("seq", [LEAF]) for _ in range(rng.randint(0, 2))]
        children = sides[: len(sides) // 2] + spines + sides[len(sides) // 2 :]
        node = (rng.choice(["map", "seq"]), children)
    return node


def _flow(node: Tree) -> str:
    kind, children = node
    if kind == "leaf":
        return "x"
    if kind == "seq":
        return "[" + ", ".join(_flow(c) for c in children) + "]"
    return "{" + ", ".join(f"k{i}: {_flow(c)}" for i, c in enumerate(children)) + "}"


def _block(node: Tree, indent: int, out: list[str]) -> list[str]:
    kind, children = node
    pad = " " * indent
    for index, child in enumerate(children):
        head = f"{pad}- " if kind == "seq" else f"{pad}k{index}: "
        if child is LEAF:
            out.append(head + "x")
        else:
            out.append(head.rstrip())
            _block(child, indent + 1, out)
    return out


def _limit_error(check: Any, node: yaml.Node) -> tuple[str, int, int] | None:
    try:
        check(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        assert mark is not None
        return str(exc.problem), mark.line, mark.column
    return None


@pytest.mark.parametrize("seed", range(12))
def test_depth_check_names_the_node_the_full_check_names(seed: int) -> None:
    rng = random.Random(seed)
    deep = yamlio.MAX_DEPTH + rng.choice([-2, -1, 0, 1, 3])
    tree = _tree(rng, deep)
    text = _flow(tree) if seed % 2 else "\n".join(_block(tree, 0, [])) + "\n"
    node = yaml.compose(text, Loader=yamlio._Loader)
    expected = _limit_error(yamlio._check_limits, node)
    assert _limit_error(yamlio._check_depth, node) == expected
    assert (expected is not None) == (deep > yamlio.MAX_DEPTH)


def test_too_deep_document_is_refused_at_the_same_line_by_both_paths() -> None:
    inner = "x"
    for _ in range(yamlio.MAX_DEPTH + 2):
        inner = f"[{inner}, [y]]"
    text = "a: 1\nb:\n  " + inner + "\nc: [[z]]\n"
    assert "&" not in text
    with pytest.raises(InputError) as fast:
        yamlio.load(text, "deep.yaml")
    with pytest.raises(InputError) as full:
        yamlio.load(text + "d: &anchor 1\n", "deep.yaml")  # an anchor: the full check
    assert "nesting deeper" in fast.value.message
    assert (fast.value.message, fast.value.line) == (full.value.message, full.value.line)


def test_a_repeated_load_returns_an_equal_private_copy() -> None:
    text = "a: {b: [1, 2.5, true, null, '0755']}\n---\n---\nc: 2024-05-06\n"
    first = yamlio.load_all(text, "one.yaml")
    first[0]["a"]["b"].append("changed")
    second = yamlio.load_all(text, "two.yaml")
    assert second == [
        {"a": {"b": [1, 2.5, True, None, "0755"]}},
        None,
        {"c": "2024-05-06T00:00:00Z"},
    ]
    assert second[0] is not first[0]
    assert type(second[0]["a"]["b"][2]) is bool
    assert text in yamlio._PARSED.blobs


def test_texts_with_anchors_are_not_kept() -> None:
    text = "a: &x [1]\nb: *x\n"
    data = yamlio.load(text)
    assert data["a"] is data["b"]  # PyYAML shares aliased values
    assert text not in yamlio._PARSED.blobs


def test_errors_are_not_kept_and_name_each_source() -> None:
    text = "a: 1\na: 2\n"
    for source in ("first.yaml", "second.yaml"):
        with pytest.raises(InputError) as info:
            yamlio.load(text, source)
        assert (info.value.file, info.value.line) == (source, 2)
    assert text not in yamlio._PARSED.blobs


def test_kept_texts_are_bounded_oldest_out_first() -> None:
    kept = yamlio._ParsedTexts(limit=400)
    texts = [f"k{i}: {'v' * 40}\n" for i in range(10)]
    for text in texts:
        kept.put(text, [yamlio.load(text)])
    assert 0 < kept.size <= 400
    assert texts[-1] in kept.blobs
    assert texts[0] not in kept.blobs
    assert kept.get(texts[-1]) == [{"k9": "v" * 40}]
    big = "big: " + "x" * 200 + "\n"  # more than an eighth of the limit: never kept
    kept.put(big, [{"big": "x" * 200}])
    assert big not in kept.blobs


def _outcome(text: str, tree: bool) -> str:
    """What loading ``text`` gives with or without the fast paths: the data or the error."""
    try:
        return repr(yamlio._construct_all(text, tree))
    except (yaml.YAMLError, RecursionError, UnicodeEncodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line, mark.column) if mark is not None else None
        return f"{type(exc).__name__}: {getattr(exc, 'problem', exc)} at {line}"


_PIECES = [
    "a: 1",
    "b: 0x1F",
    "1: one",
    "0x1: hex one",
    "~: null key",
    "null: again",
    ".nan: x",
    ".NaN: y",
    "true: t",
    "True: t2",
    "c: !!str 12",
    "d: !!int '7'",
    "e: !!int seven",
    "f: !!float 1_0.5",
    "g: !!binary aGVsbG8=",
    "h: !!set {x, y}",
    "i: !custom thing",
    "j: 2024-05-06",
    "k: !!timestamp 2024-13-40",
    "l: [1, {m: n}, [o]]",
    "p: {q: [], r: {}}",
    "? [complex]\n: key",
    "<<: {s: 1}",
    "t: !!map {u: 1}",
    "v: !!seq [w]",
    "x: !!str [y]",
    "a: duplicate",
    "z: |\n  block\n  text",
    "'quoted': \"double\"",
    "yes: no",
    "- item",
    "---",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=8))
def test_fast_construction_matches_pyyaml(pieces: list[str]) -> None:
    text = "\n".join(pieces) + "\n"
    assert _outcome(text, tree=True) == _outcome(text, tree=False)


@pytest.mark.parametrize("corpus", ["kustomize", "gatekeeper", "kyverno", "psa"])
def test_fast_construction_matches_pyyaml_on_the_corpus(corpus: str) -> None:
    root = need_shared("corpus", corpus)
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        assert _outcome(text, tree=True) == _outcome(text, tree=False), path


def test_plain_documents_take_the_fast_construction() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {a: 'yes', b: 0755}\n"
        "spec:\n  containers:\n  - name: c\n    image: nginx\n    ports: [80, 0x1F]\n"
        "  x: [1.5, .inf, ~, true, 2024-05-06]\n"
    )
    node = yaml.compose(text, Loader=yamlio._Loader)
    assert yamlio._construct_tree(node) == yamlio._construct_all(text, tree=False)[0]
    with pytest.raises(yamlio._Unusual):
        yamlio._construct_tree(yaml.compose("a: 1\na: 2\n", Loader=yamlio._Loader))
