"""The emitter reproduces every ``expected.yaml`` of the kustomize corpus byte for byte.

Each ``expected.yaml`` is ``kubectl kustomize`` output; loading it with :mod:`gitopspol.yamlio`
and emitting it again must give the same bytes (a round trip of kubectl's own output).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopspol import yamlio
from gitopspol.render.emit import dump_documents
from tests.conftest import need_shared

#: ok cases in ../shared/corpus/kustomize/cases (README: 150 cases = 118 ok + 32 error).
OK_CASES = 118
#: Cases whose expected output cannot be reproduced, with the reason. None so far.
UNMATCHABLE: dict[str, str] = {}


def _ok_cases() -> list[Path]:
    cases = need_shared("corpus", "kustomize", "cases")
    return sorted(path.parent for path in cases.glob("*/expected.yaml"))


@pytest.mark.corpus
def test_corpus_size_is_pinned() -> None:
    assert len(_ok_cases()) == OK_CASES


@pytest.mark.corpus
def test_every_ok_case_round_trips_byte_for_byte() -> None:
    mismatched = []
    for case in _ok_cases():
        if case.name in UNMATCHABLE:
            continue
        expected = (case / "expected.yaml").read_text(encoding="utf-8")
        documents = [doc for doc in yamlio.load_all(expected, case) if doc is not None]
        if dump_documents(documents) != expected:
            mismatched.append(case.name)
    assert mismatched == []
    assert len(_ok_cases()) - len(UNMATCHABLE) == OK_CASES
