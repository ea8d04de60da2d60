"""The rule framework: rules as data plus a generator, the context they run in, the documents they see.

A rule is a module under :mod:`gitopspol.checks.rules` whose docstring is its user
documentation (with a passing and a failing example that the tests run) and which defines
``RULE = Rule(...)``. Rules are listed in one explicit registry
(:data:`gitopspol.checks.registry.RULES`).

Every rule has one signature, ``check(ctx) -> Iterable[Finding]``: rules about one document
at a time wrap a per-document generator with :func:`for_each_document`; rules about the
repository as a whole (consistency between tiers, tier strictness) read ``ctx.tiers``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from gitopspol import yamlio
from gitopspol.findings import Finding, Location, Severity
from gitopspol.schema.crds import CrdRegistry

PathParts = tuple[str | int, ...]


class Subject(Protocol):
    """A rendered document as rules see it: its data, and where each of its fields was written.

    :class:`gitopspol.render.model.Resource` satisfies this protocol, and so does
    :class:`SourceDocument` (a document read straight from a file).
    """

    @property
    def data(self) -> dict[str, Any]: ...

    def field_location(self, pointer: str) -> tuple[str, int]:
        """``(file, line)`` of the source that set the field at this JSON pointer."""
        ...


if TYPE_CHECKING:
    from gitopspol.render.model import Resource

    def _rendered_resources_are_subjects(resource: Resource) -> Subject:
        """mypy proves here that the renderer's output is what rules accept."""
        return resource


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """A document read from a file (not rendered): its fields are located in that file."""

    data: dict[str, Any]
    file: str
    doc_index: int = 0
    text: str | None = field(default=None, repr=False, compare=False)

    def field_location(self, pointer: str) -> tuple[str, int]:
        """``(file, line)`` of the value at ``pointer`` (or of its closest existing parent)."""
        file, line, _ = self.field_position(pointer)
        return file, line

    def field_position(self, pointer: str) -> tuple[str, int, int]:
        """``(file, line, column)`` of the value at ``pointer`` (0 when unknown)."""
        text = self.text if self.text is not None else yamlio.read_text(self.file)
        found = yamlio.locate(text, self.doc_index, pointer_to_path(pointer))
        return (self.file, *found) if found else (self.file, 0, 0)

    @classmethod
    def from_text(cls, text: str, file: str) -> list[SourceDocument]:
        """Every mapping document of a YAML text (other documents are skipped)."""
        return [
            cls(doc, file, index, text)
            for index, doc in enumerate(yamlio.load_all(text, file))
            if isinstance(doc, dict)
        ]


def path_to_pointer(path: Sequence[str | int]) -> str:
    """``("spec", "rules", 0)`` as the JSON pointer ``/spec/rules/0`` (RFC 6901 escaping)."""
    parts = []
    for part in path:  # policy views make tens of thousands of pointers: escape only if needed
        text = str(part)
        if "~" in text or "/" in text:
            text = text.replace("~", "~0").replace("/", "~1")
        parts.append(text)
    return "/" + "/".join(parts) if parts else ""


def pointer_to_path(pointer: str) -> PathParts:
    """The inverse of :func:`path_to_pointer`; all-digit segments become indexes."""
    if not pointer:
        return ()
    parts: list[str | int] = []
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isascii() and part.isdigit() else part)
    return tuple(parts)


def field_at(data: Any, *path: str) -> Any:
    """The value at ``path`` of nested mappings, None where a step is missing or not a mapping
    (rules read untrusted documents: ``spec`` may be a list, ``metadata`` a string)."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def resource_id(data: Mapping[str, Any]) -> str:
    """``Kind/name`` or ``Kind/namespace/name``: how findings name a resource."""
    meta = data.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    parts = [
        str(data.get("kind") or "?"),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or "?"),
    ]
    return "/".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may read, and nothing more.

    ``tiers`` maps each tier name to its rendered documents, lowest rank (least strict)
    first: per-document rules iterate it, cross-tier rules compare adjacent entries.
    ``crds`` holds the CRDs given with ``--crd``. ``settings`` is for repository-level data
    later rules need (the parsed gitopspol.yaml, waivers); rules must not assume any key.
    """

    tiers: Mapping[str, Sequence[Subject]]
    crds: CrdRegistry | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    _templates: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per context: rules share derived data (tier diffs, views)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def documents(self) -> Iterator[tuple[str, Subject]]:
        """``(tier, document)`` for every document of every tier, in order.

        With ``settings['only']`` (resource ids, ``validate --changed-since``), only those
        documents: per-document rules then do work proportional to the change.
        """
        only = self.settings.get("only")
        for tier, docs in self.tiers.items():
            for doc in docs:
                if only is None or resource_id(doc.data) in only:
                    yield tier, doc

    def template_for(self, tier: str, kind: str) -> dict[str, Any] | None:
        """The ConstraintTemplate in ``tier`` that defines constraint ``kind`` (else a --crd one)."""
        if tier not in self._templates:
            found: dict[str, dict[str, Any]] = {}
            for doc in self.tiers.get(tier, ()):
                data = doc.data
                if data.get("kind") == "ConstraintTemplate" and str(
                    data.get("apiVersion", "")
                ).startswith("templates.gatekeeper.sh/"):
                    defined = field_at(data, "spec", "crd", "spec", "names", "kind")
                    if isinstance(defined, str):
                        found[defined] = data
            self._templates[tier] = found
        template = self._templates[tier].get(kind)
        if template is None and self.crds is not None:
            template = self.crds.template(kind)
        return template


class Scope(StrEnum):
    """What a rule looks at: one document at a time, or the whole repository."""

    DOCUMENT = "document"
    REPOSITORY = "repository"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule's public description (``validate --list-rules``, SARIF ``tool.driver.rules``)."""

    id: str
    name: str
    severity: Severity
    scope: Scope
    summary: str
    description: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: its identity, default severity, documentation and generator."""

    id: str
    name: str
    severity: Severity
    scope: Scope
    doc: str
    check: Callable[[RuleContext], Iterable[Finding]]

    @property
    def info(self) -> RuleInfo:
        """The public description; the summary is the docstring's first line."""
        lines = (self.doc or "").strip().splitlines()
        summary = lines[0].strip() if lines else ""
        description = "\n".join(lines[1:]).strip()
        return RuleInfo(self.id, self.name, self.severity, self.scope, summary, description)

    def finding(
        self,
        message: str,
        *,
        doc: Subject | None = None,
        tier: str | None = None,
        path: Sequence[str | int] = (),
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of this rule, located at ``path`` of ``doc`` in its source file."""
        location = None
        resource = None
        if doc is not None:
            pointer = path_to_pointer(path)
            # Subjects that know columns (SourceDocument) say so through field_position.
            position = getattr(doc, "field_position", None)
            if callable(position):
                location = Location(*position(pointer))
            else:
                location = Location(*doc.field_location(pointer))
            resource = resource_id(doc.data)
        return Finding(
            rule_id=self.id,
            severity=severity or self.severity,
            message=message,
            location=location,
            tier=tier,
            resource=resource,
        )


def for_each_document(
    check: Callable[[Subject, str, RuleContext], Iterable[Finding]],
) -> Callable[[RuleContext], Iterable[Finding]]:
    """Turn a per-document generator ``check(doc, tier, ctx)`` into a rule's ``check(ctx)``."""

    def run(ctx: RuleContext) -> Iterator[Finding]:
        for tier, doc in ctx.documents():
            yield from check(doc, tier, ctx)

    run.__doc__ = check.__doc__
    return run
