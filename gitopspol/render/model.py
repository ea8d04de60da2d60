"""The resource model of the Kustomize build: public results and the mutable working copy.

:class:`Resource` is what :func:`gitopspol.render.build` hands out: the rendered data plus
where it came from (the file and document that declared it, and for every field a patch
set, the patch file and line). :class:`Res` is the working copy the build mutates; it keeps
the bookkeeping kustomize keeps in build annotations (previous ids, hash needs, behaviour).
"""

from __future__ import annotations

import functools
import marshal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitopspol import yamlio


@functools.lru_cache(maxsize=256)
def _file_text(path: str) -> str:
    return yamlio.read_text(path)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a value was written: a file, the document index in it, and a path inside it.

    ``line`` is resolved lazily (only findings that are reported need it). ``base_line``
    shifts positions of inline patches, whose text is a block scalar inside a
    kustomization file.
    """

    file: str
    doc_index: int = 0
    path: tuple[str | int, ...] = ()
    base_line: int = 0

    @property
    def line(self) -> int:
        """1-based line of the value (0 when the file cannot be read any more)."""
        if self.base_line:
            return self.base_line
        try:
            found = yamlio.locate(_file_text(self.file), self.doc_index, self.path)
        except Exception:  # the file changed or vanished since the build: no line
            return 0
        return found[0] if found else 0

    def location(self) -> tuple[str, int]:
        """``(file, line)`` for findings."""
        return self.file, self.line


@dataclass(frozen=True, slots=True)
class Resource:
    """One rendered resource with its provenance.

    ``data`` is JSON-compatible. ``origin`` is the document that declared the resource
    (a generator entry for generated objects). ``field_origins`` maps a JSON pointer
    (``/spec/rules/0/validate``) of a field set by a patch to the patch text that set it.
    """

    data: dict[str, Any]
    origin: Origin
    field_origins: Mapping[str, Origin] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The resource kind."""
        return str(self.data.get("kind", ""))

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return str((self.data.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        """``metadata.namespace`` or the empty string."""
        return str((self.data.get("metadata") or {}).get("namespace") or "")

    def patched_fields(self) -> dict[str, tuple[str, int]]:
        """JSON pointer -> ``(file, line)`` of every field a patch set (lines resolved now)."""
        return {pointer: origin.location() for pointer, origin in self.field_origins.items()}

    def field_location(self, pointer: str) -> tuple[str, int]:
        """``(file, line)`` that set the field at ``pointer`` or its closest patched parent.

        Fields no patch set are looked up in the resource's own document.
        """
        probe = pointer
        while probe:
            found = self.field_origins.get(probe)
            if found is not None:
                return found.location()
            probe = probe.rsplit("/", 1)[0]
        if self.origin.base_line or self.origin.path:
            return self.origin.location()
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
        path = tuple(int(p) if p.isascii() and p.isdigit() else p for p in parts)
        return Origin(self.origin.file, self.origin.doc_index, path).location()


def deep_copy(data: Any) -> Any:
    """A fast deep copy of JSON-compatible data (marshal round trip)."""
    return marshal.loads(marshal.dumps(data))


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> ``("apps", "v1")``; ``v1`` -> ``("", "v1")``."""
    if "/" in api_version:
        group, _, version = api_version.rpartition("/")
        return group, version
    return "", api_version


class Res:
    """A resource while it is being built (mutable; kustomize's build annotations as fields)."""

    __slots__ = (
        "behavior",
        "data",
        "field_origins",
        "generated",
        "needs_hash",
        "origin",
        "prefixes",
        "prev",
        "suffixes",
        "transformations",
    )

    def __init__(self, data: dict[str, Any], origin: Origin) -> None:
        self.data = data
        self.origin = origin
        #: previous (kind, name, namespace) ids, oldest first (kustomize's previousNames...).
        self.prev: list[tuple[str, str, str]] = []
        self.field_origins: dict[str, Origin] = {}
        self.generated = False
        self.needs_hash = False
        self.behavior = ""
        self.transformations: list[tuple[str, str]] = []
        #: name prefixes and suffixes applied, innermost first (kustomize build annotations)
        self.prefixes: list[str] = []
        self.suffixes: list[str] = []

    def copy(self) -> Res:
        """A deep copy (the data is copied; provenance records are immutable and shared)."""
        other = Res(deep_copy(self.data), self.origin)
        other.prev = list(self.prev)
        other.field_origins = dict(self.field_origins)
        other.generated = self.generated
        other.needs_hash = self.needs_hash
        other.behavior = self.behavior
        other.transformations = list(self.transformations)
        other.prefixes = list(self.prefixes)
        other.suffixes = list(self.suffixes)
        return other

    # -- identity ------------------------------------------------------------------------
    @property
    def meta(self) -> dict[str, Any]:
        """``metadata`` (created when missing)."""
        meta = self.data.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
            self.data["metadata"] = meta
        return meta

    @property
    def api_version(self) -> str:
        """``apiVersion`` as a string."""
        value = self.data.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        """API group (empty for the core group)."""
        return split_api_version(self.api_version)[0]

    @property
    def version(self) -> str:
        """API version."""
        return split_api_version(self.api_version)[1]

    @property
    def kind(self) -> str:
        """Kind."""
        value = self.data.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def name(self) -> str:
        """Current ``metadata.name``."""
        value = self.meta.get("name")
        return value if isinstance(value, str) else ""

    @name.setter
    def name(self, value: str) -> None:
        self.meta["name"] = value

    @property
    def namespace(self) -> str:
        """Current ``metadata.namespace`` (empty when unset)."""
        value = self.meta.get("namespace")
        return value if isinstance(value, str) else ""

    def store_previous_id(self) -> None:
        """Record the current id before a rename (kustomize's ``StorePreviousId``)."""
        self.prev.append((self.kind, self.name, self.namespace))

    def ids(self) -> list[tuple[str, str, str]]:
        """Previous ids then the current one, as ``(kind, name, namespace)``."""
        return [*self.prev, (self.kind, self.name, self.namespace)]

    def org_id(self) -> tuple[str, str, str]:
        """The original id (before any rename)."""
        return self.prev[0] if self.prev else (self.kind, self.name, self.namespace)

    def describe(self) -> str:
        """``group/version, Kind=..., name ns`` for messages."""
        ns = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.api_version} {self.kind} {self.name!r}{ns}"

    def to_resource(self) -> Resource:
        """The immutable public result (data is not copied: the build is finished)."""
        return Resource(self.data, self.origin, dict(self.field_origins))


def file_origin(path: Path, doc_index: int) -> Origin:
    """Origin of a whole document of a file."""
    return Origin(str(path), doc_index)
