"""docs/rules.md is generated from the rule docstrings (golden file; ``make golden`` rewrites it)."""

from __future__ import annotations

import os

from gitopspol.checks.docs import rules_markdown
from tests.conftest import ROOT


def test_rules_doc_golden() -> None:
    path = ROOT / "docs" / "rules.md"
    text = rules_markdown()
    if os.environ.get("GITOPSPOL_REGEN_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, "docs/rules.md is stale: run `make golden`"
    assert "### GP301 schema-violation" in text
