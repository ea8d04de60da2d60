"""``gitopspol check``: would an application team's manifests be admitted in a tier, and why not.

:func:`load_manifests` reads files, folders (every ``*.yaml``/``*.yml``/``*.json`` below,
sorted) and folders with a kustomization (rendered by :mod:`gitopspol.render`; the objects
point at the file that declared them). :func:`check_objects` evaluates each object as a
CREATE in the tier; workloads whose Pods Pod Security would reject are denied (gitopspol's
pre-merge mode), since the team cannot run them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitopspol.behaviour.cases import Verdict, resource_id, with_namespace
from gitopspol.behaviour.tier import Admission, PreparedTier, evaluate_tier
from gitopspol.engines.admission import AdmissionRequest
from gitopspol.errors import InputError

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True, slots=True)
class Manifest:
    """One object to check and where it was written."""

    file: str
    line: int
    object: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ObjectVerdict:
    """What the tier does with one object."""

    manifest: Manifest
    admission: Admission

    @property
    def resource(self) -> str:
        """``Kind/namespace/name``."""
        return resource_id(self.manifest.object)

    @property
    def answer(self) -> str:
        """``admitted``, ``admitted with warnings`` or ``denied``."""
        if self.admission.verdict is Verdict.DENY:
            return "denied"
        if self.admission.verdict is Verdict.ALLOW:
            return "admitted"
        return "admitted with warnings"


def _checked(manifest: Manifest) -> Manifest:
    """``manifest`` when its object has the shape the API server guarantees, else InputError."""
    from gitopspol.behaviour.cases import OBJECT_SCHEMA
    from gitopspol.repo.schemas import dotted_path, first_error

    problem = first_error(manifest.object, OBJECT_SCHEMA, defs=False)
    if problem is None:
        return manifest
    at, message = problem
    dotted = dotted_path(at)
    raise InputError(
        f"not a valid Kubernetes object: {dotted + ': ' if dotted else ''}{message}",
        manifest.file,
        manifest.line,
    )


def _file_objects(path: Path) -> list[Manifest]:
    from gitopspol import yamlio

    text = yamlio.read_text(path)
    docs = yamlio.load_all(text, path)
    lines = yamlio.document_lines(text)
    out: list[Manifest] = []
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        line = lines[index] if index < len(lines) else 1
        if not isinstance(doc, dict) or "kind" not in doc:
            raise InputError("expected a Kubernetes object (a mapping with a kind)", path, line)
        items = doc.get("items")
        if str(doc.get("kind", "")).endswith("List") and isinstance(items, list):
            for item in items:
                if not isinstance(item, dict):
                    raise InputError("List item is not a Kubernetes object", path, line)
                out.append(Manifest(str(path), line, item))
        else:
            out.append(Manifest(str(path), line, doc))
    return out


def _display(file: str) -> str:
    """``file`` relative to the current folder when it is below it (as the user wrote it)."""
    try:
        return str(Path(file).relative_to(Path.cwd()))
    except ValueError:
        return file


def _rendered(folder: Path) -> list[Manifest]:
    from gitopspol.render import build

    return [
        Manifest(_display(res.origin.file), res.origin.line, res.data)
        for res in build(folder)
        if isinstance(res.data, dict)
    ]


def load_manifests(paths: Iterable[str | Path]) -> list[Manifest]:
    """Every object of ``paths`` in order; a kustomization folder is rendered first.

    A missing path or an unreadable file is an :class:`InputError`.
    """
    out: list[Manifest] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            if any((path / name).is_file() for name in KUSTOMIZATION_FILES):
                out.extend(_rendered(path))
                continue
            files = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix in MANIFEST_SUFFIXES
            )
            for file in files:
                out.extend(_file_objects(file))
        elif path.is_file():
            out.extend(_file_objects(path))
        else:
            raise InputError("no such file or folder", path)
    return [_checked(m) for m in out]


def check_objects(
    tier: PreparedTier, manifests: Sequence[Manifest], namespace: str = "default"
) -> list[ObjectVerdict]:
    """Evaluate every manifest as a CREATE in ``tier``; ``namespace`` for objects without one."""
    return [
        ObjectVerdict(
            manifest,
            evaluate_tier(
                tier,
                AdmissionRequest(object=with_namespace(manifest.object, namespace)),
                enforce_templates=True,
            ),
        )
        for manifest in manifests
    ]
