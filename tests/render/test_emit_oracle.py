"""Differential test: :func:`dump_documents` against the real ``kubectl kustomize`` (v5.5).

Hypothesis generates batches of resources whose ``spec`` and ``data`` hold random
JSON-compatible values: strings with awkward characters (YAML indicators, quotes, control
characters, non-BMP, BOM, line separators, long words for folding, multi-line text), numbers of
every size, nested maps and lists, and keys made of digit runs, punctuation and letters. Each
batch goes through one ``kubectl kustomize`` call (about 50 ms), so a run compares thousands
of resources.

Key sets whose go-yaml v2 natural order is not transitive (``{v1alpha1, v2, v10}``) are left
out: for those, Go's unstable ``sort.Sort`` over a randomly ordered map gives a different
order from run to run, so there is no single right answer to compare with.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gitopspol import yamlio
from gitopspol.errors import RenderError
from gitopspol.render.emit import dump_documents, natural_less, source_block_scalar
from tests.conftest import need_kubectl

BATCH = 20

TOKENS = [
    *("yes", "no", "on", "off", "y", "n", "Y", "NO", "true", "False", "null", "Null", "~", ""),
    *("0755", "08", "1_000", "12:30", "1:70", "190:20:30", "1e3", "1e400", ".5", "._5", "-.inf"),
    *("+12", "-0", "1.0", "0x1F", "0o17", "0b101", "-0b101", "0x1FFFFFFFFFFFFFFFFF", "1e+21"),
    *("2024-05-06", "2024-5-6", "2024-02-30", "2024-05-06T07:08:09Z", "2024-05-06T07:08:09"),
    *("2024-05-06 07:08:09.5", "2024-05-06t07:08:09+05:30", "2001-12-14 21:59:43.10 -5"),
    *("-", "- a", "-a", "? x", "?x", ":x", "x:", "a: b", "a:b", "a #b", "a#b", "#x", "&a", "*a"),
    *("!t", "|", ">", "'q", '"q', "%", "@", "`", "---", "...", "--- a", "[a]", "{a}", ",a", "a,b"),
    *("<<", "=", "it's", "a\\b", "http://x.io/a?b=c#d", "a  b", " a", "a ", "\t", "é", "✓"),
    *("\u00a0", "\ufeff", "\ufeffbom", "\u2028", "\u2029", "\x85", "\x07", "\x00", "\x7f", "\x1b"),
    *("\U0001f680", "\r", "\r\n", "\n", "\n\n", " \n", "\n ", "a\n", "a\n\n", "\na", "\\"),
]
CHARS = "ab Z9 0_-./:#'\"\\\t\n,[]{}?&*!|>%@`~é\u00a0\u2028\U0001f680\x01"
WORDS = ["a", "bb", "ccc", "dddd", "eeeee", "x" * 12, "y" * 30, "'q'", "#", ":", "-", "é✓", "\t"]


def _transitive(keys: list[str]) -> bool:
    """Whether natural order is a strict total order on ``keys`` (see the module docstring)."""
    for a, b, c in itertools.permutations(keys, 3):
        if natural_less(a, b) and natural_less(b, c) and not natural_less(a, c):
            return False
    return True


# Go's JSON encoder leaves these raw and kustomize's go-yaml v2 reader refuses them, so the
# build fails ("control characters are not allowed"; test_emit.py checks RenderError).
_REFUSED = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _REFUSED.sub("", text)


def _clean_key(text: str) -> str:
    # A raw NEL in a JSON key breaks the flow mapping go-yaml v2 reads (test_emit.py). A key
    # "<<" is dropped by kustomize's reader (kyaml's merge-key handling), not by the output
    # path, so it is no emitter matter.
    # Key order depends on which characters are letters: keep to characters assigned in
    # Python's Unicode tables, which may be older than Go's.
    key = "".join(c for c in _clean(text) if c != "\x85" and unicodedata.category(c) != "Cn")
    return "<<<" if key == "<<" else key


texts = st.one_of(
    st.sampled_from(TOKENS),
    st.text(alphabet=CHARS, max_size=12),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=4).map("".join),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=40).map(" ".join),
    st.lists(st.sampled_from([*WORDS, "", " "]), min_size=2, max_size=30).map("  ".join),
    st.lists(st.sampled_from([*TOKENS, *WORDS]), min_size=2, max_size=8).map("\n".join),
    st.text(max_size=10),
).map(_clean)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-1000, max_value=1000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e20, 1e21, 1.5e-7, 1234567.5, 100000.5, 1e-5, 0.1, -0.0, 2.0**64, 1e19]),
)
scalars = st.one_of(texts, numbers, st.booleans(), st.none())
key_texts = st.one_of(
    st.text(alphabet="ab9Z0_-./é~1 ", min_size=0, max_size=6),
    st.sampled_from(TOKENS),
    st.sampled_from(["item9", "item09", "item10", "v2", "v10", "x" * 130, "a\nb", "é" * 70]),
    st.text(max_size=4),
).map(_clean_key)


def _maps(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    pairs = st.lists(st.tuples(key_texts, values), max_size=5, unique_by=lambda pair: pair[0])
    return pairs.filter(lambda items: _transitive([key for key, _ in items])).map(dict)


values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=4) | _maps(children), max_leaves=12
)


@st.composite
def _batches(draw: st.DrawFn) -> list[tuple[Any, Any]]:
    """BATCH (spec, data) pairs (a composite keeps the strategy's repr short)."""
    return [(draw(values), draw(values)) for _ in range(BATCH)]


# go-yaml (which kustomize reads its input with) refuses raw control characters and treats
# NEL, LS and PS as line breaks inside quoted scalars: write those as JSON escapes.
_RAW_UNSAFE = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def _as_json(document: dict[str, Any]) -> str:
    text = json.dumps(document, ensure_ascii=False)
    return _RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _kustomize(
    kubectl: str, root: Path, documents: list[dict[str, Any]]
) -> subprocess.CompletedProcess[str]:
    (root / "kustomization.yaml").write_text("resources:\n- r.json\n", encoding="utf-8")
    stream = "".join("---\n" + _as_json(doc) + "\n" for doc in documents)
    (root / "r.json").write_text(stream, encoding="utf-8")
    return subprocess.run(
        [kubectl, "kustomize", str(root)], capture_output=True, text=True, check=False
    )


def _first_difference(expected: str, actual: str, documents: list[dict[str, Any]]) -> str:
    pairs = zip(expected.split("\n---\n"), actual.split("\n---\n"), strict=False)
    for index, (want, got) in enumerate(pairs):
        if want != got:
            return f"document {documents[index]!r}\nkubectl:\n{want}\n\ngitopspol:\n{got}"
    return "document counts differ"


@pytest.mark.kubectl
@pytest.mark.slow
# A failing batch is large; the assertion message shows the differing document instead.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(
    max_examples=150,
    deadline=None,
    # Shrinking would call kubectl thousands of times; the assertion message shows the
    # first differing document instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=_batches())
def test_matches_kubectl_kustomize(
    tmp_path_factory: pytest.TempPathFactory, batch: list[tuple[Any, Any]]
) -> None:
    kubectl = need_kubectl()
    documents = [
        {
            "apiVersion": "example.com/v1",
            "kind": "Blob",
            "metadata": {"name": f"b{index:03d}"},
            "spec": spec,
            "data": data,
        }
        for index, (spec, data) in enumerate(batch)
    ]
    result = _kustomize(kubectl, tmp_path_factory.mktemp("emit"), documents)
    if result.returncode != 0:
        # kustomize could not print the batch (e.g. "--- " after a NEL): neither may we.
        with pytest.raises(RenderError):
            dump_documents(documents)
        return
    actual = dump_documents(documents)
    assert actual == result.stdout, _first_difference(result.stdout, actual, documents)


# Folded block scalars of the source go through kyaml's go-yaml v3 round trip
# (source_block_scalar). Lines chosen for the cases that change: more-indented lines, values
# starting with a blank, empty lines, tabs inside, long lines, every chomping indicator.
FOLDED_LINES = ["", "", "a b", "  x", "\tq", "y\tz", "word", "a  b", "   deep", "z:", "#c"]
FOLDED_LINES += [
    "- it",
    "q 'x'",
    "é",
    " ",
    "tail ",
    "  " + "word " * 20 + "end",
    "word " * 25 + "x",
]


@pytest.mark.kubectl
def test_folded_source_scalars_match_kubectl(tmp_path: Path) -> None:
    kubectl = need_kubectl()
    rng = random.Random(20261126)
    sources, documents = [], []
    for index in range(150):
        lines = [rng.choice(FOLDED_LINES) for _ in range(rng.randint(1, 6))]
        if lines[0].startswith("\t"):
            lines[0] = "w"  # would make kustomize fail (test_emit.py covers the error)
        body = "".join(f"  {line}\n" if line else "\n" for line in lines)
        body += "\n" * rng.choice([0, 0, 1, 2])
        chomping = rng.choice(["", "-", "+"])
        name = f"n{index:03d}"
        sources.append(
            f"apiVersion: v1\nkind: X\nmetadata:\n  name: {name}\nk: >{chomping}2\n{body}"
        )
        value = yamlio.load(sources[-1])["k"]
        documents.append({"apiVersion": "v1", "kind": "X", "metadata": {"name": name}, "k": value})
    (tmp_path / "kustomization.yaml").write_text("resources:\n- r.yaml\n", encoding="utf-8")
    (tmp_path / "r.yaml").write_text("---\n".join(sources), encoding="utf-8")
    result = subprocess.run(
        [kubectl, "kustomize", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    for document in documents:
        document["k"] = source_block_scalar(document["k"], ">")
    assert dump_documents(documents) == result.stdout
