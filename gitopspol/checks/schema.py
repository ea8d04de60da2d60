"""Schema problems of a document, computed once per rule context and document content.

GP301, GP302 and GP303 read the same validation; the tiers of a repository mostly render
identical documents, so results are shared by content (canonical JSON) within a context.
"""

from __future__ import annotations

import json

from gitopspol.checks.base import RuleContext, Subject
from gitopspol.schema import SchemaProblem, validate_manifest


def schema_problems(ctx: RuleContext, doc: Subject) -> list[SchemaProblem]:
    """``validate_manifest(doc.data, crds=ctx.crds)``, cached by document content."""
    key = "schema:" + json.dumps(doc.data, sort_keys=True, default=str)
    problems: list[SchemaProblem] = ctx.cached(
        key, lambda: validate_manifest(doc.data, crds=ctx.crds)
    )
    return problems
