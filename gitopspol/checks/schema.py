"""Schema problems of a document, computed once per rule context and document.

GP301 and GP302 read the same validation of each document. It is cached by the document's
identity, not its content: the tiers render each policy with their own labels and
annotations, so equal contents are rare, and serialising every document to compare them
cost as much as validating it (the fast check of :mod:`gitopspol.schema.fastcheck`).
"""

from __future__ import annotations

from gitopspol.checks.base import RuleContext, Subject
from gitopspol.schema import SchemaProblem, validate_manifest


def schema_problems(ctx: RuleContext, doc: Subject) -> list[SchemaProblem]:
    """``validate_manifest(doc.data, crds=ctx.crds)``, once per document of the context."""
    cache: dict[int, tuple[Subject, list[SchemaProblem]]] = ctx.cached("schema-problems", dict)
    found = cache.get(id(doc))
    if found is None:
        # The document is kept with its problems, so its id is not reused while cached.
        found = cache[id(doc)] = (doc, validate_manifest(doc.data, crds=ctx.crds))
    return found[1]
