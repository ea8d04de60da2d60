"""``gitopspol psa FILE...``: evaluate Pod Security Standards for each object."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopspol.cli.common import add_format_option
from gitopspol.errors import InputError

if TYPE_CHECKING:
    from gitopspol.engines.psa import PsaResult

HELP = "evaluate Pod Security Standards for each object in the files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", metavar="FILE", nargs="+", type=Path)
    parser.add_argument("--level", choices=("baseline", "restricted"), required=True)
    parser.add_argument("--version", default="latest", metavar="v1.N|latest")
    add_format_option(parser, ("text", "json"))


@dataclass(frozen=True, slots=True)
class Entry:
    """One evaluated object and where it was read."""

    file: str
    line: int
    kind: str
    name: str
    result: PsaResult


def _objects(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """``(line, object)`` for every object of a YAML file; ``kind: List`` items are expanded."""
    from gitopspol import yamlio

    text = yamlio.read_text(path)
    docs = yamlio.load_all(text, path)
    lines = yamlio.document_lines(text)
    objects: list[tuple[int, dict[str, Any]]] = []
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        line = lines[index] if index < len(lines) else 1
        if not isinstance(doc, dict):
            raise InputError("expected a Kubernetes object (a mapping)", path, line)
        items = doc.get("items")
        if str(doc.get("kind", "")).endswith("List") and isinstance(items, list):
            for item in items:
                if not isinstance(item, dict):
                    raise InputError("List item is not a Kubernetes object", path, line)
                objects.append((line, item))
        else:
            objects.append((line, doc))
    return objects


def evaluate_files(files: list[Path], level: str, version: str) -> list[Entry]:
    """Evaluate every object of ``files`` in input order."""
    # Imported here so that ``gitopspol --help`` does not load the engine.
    from gitopspol.engines.psa import evaluate, parse_version

    parse_version(version)  # an invalid version is an input error before any file is read
    entries: list[Entry] = []
    for path in files:
        for line, obj in _objects(path):
            metadata = obj.get("metadata")
            name = metadata.get("name", "") if isinstance(metadata, dict) else ""
            entries.append(
                Entry(
                    str(path),
                    line,
                    str(obj.get("kind", "")),
                    str(name or ""),
                    evaluate(obj, level, version),
                )
            )
    return entries


def to_json(entries: list[Entry]) -> str:
    """The contract's JSON: one entry per object, violations with their field paths."""
    return json.dumps(
        [
            {
                "file": e.file,
                "kind": e.kind,
                "name": e.name,
                "allowed": e.result.allowed,
                "violations": [
                    {"check": v.check, "message": v.message, "fields": list(v.fields)}
                    for v in e.result.violations
                ],
            }
            for e in entries
        ],
        indent=2,
    )


def to_text(entries: list[Entry], level: str, version: str) -> str:
    """One line per object: ``file:line: Kind/name: allowed`` or the violated checks."""
    lines: list[str] = []
    for e in entries:
        head = f"{e.file}:{e.line}: {e.kind}/{e.name}"
        if not e.result.applicable:
            lines.append(f"{head}: allowed (not a Pod or pod template)")
        elif e.result.allowed:
            lines.append(f"{head}: allowed at {level}:{version}")
        else:
            checks = "; ".join(f"[{v.check}] {v.message}" for v in e.result.violations)
            lines.append(f"{head}: violates {level}:{version}: {checks}")
    return "".join(line + "\n" for line in lines)


def run(args: argparse.Namespace) -> int:
    entries = evaluate_files(args.files, args.level, args.version)
    if args.format == "json":
        sys.stdout.write(to_json(entries) + "\n")
    else:
        sys.stdout.write(to_text(entries, args.level, args.version))
    return 0 if all(e.result.allowed for e in entries) else 1
