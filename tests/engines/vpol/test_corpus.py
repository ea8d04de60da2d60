"""Conformance: the ``*-cel`` and ``*-vpol`` cases of the Kyverno corpus, through the vpol API.

Totals are pinned so that a shrunken corpus, or a regression, fails. Each expected result
line is counted once per object it selects (a name may select objects of several kinds).
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import need_shared
from tests.engines.vpol.harness import run_corpus

pytestmark = pytest.mark.corpus

#: Expected result lines (per selected object) in the -cel and -vpol categories.
TOTAL = 1826
#: Distinct (case, policy, rule, resource) keys among them.
KEYS = 1804
#: How many of them gitopspol reproduces; docs/cel.md lists the others.
REPRODUCED = 1826


def test_corpus_cel_and_vpol_results() -> None:
    root = need_shared("corpus", "kyverno")
    lines = run_corpus(root)
    assert len(lines) == TOTAL
    assert len({(x.case, x.policy, x.rule, x.resource) for x in lines}) == KEYS
    by_engine = Counter(x.case.split("/")[0].rsplit("-", 1)[1] for x in lines)
    assert by_engine == {"cel": 934, "vpol": 892}
    expected = Counter(x.expected for x in lines)
    assert expected == {"fail": 915, "pass": 902, "skip": 9}
    wrong = [x for x in lines if not x.ok]
    assert len(lines) - len(wrong) == REPRODUCED, "\n".join(
        f"{x.case} {x.policy} {x.rule} {x.resource}: expected {x.expected}, got {x.actual}: {x.detail}"
        for x in wrong
    )
    # A policy that does not apply is reported as "not applicable", never as a pass.
    assert not [x for x in lines if x.detail == "not applicable" and x.actual == "pass"]
