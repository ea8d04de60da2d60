"""Where a person edits a rendered value: the patch operation or base line that set it."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from gitopspol import yamlio
from gitopspol.findings import Location

if TYPE_CHECKING:
    from gitopspol.checks.base import Subject


_OP_PATH = re.compile(r"""^\s*-?\s*path:\s*["']?([^"'\s]+)["']?\s*$""")
_OP_START = re.compile(r"^\s*-\s")
_PATCH_ENTRY = re.compile(r"^\s*-\s+target:")
#: An operation written on one line: ``- {op: add, path: /spec/a, value: 1}`` (or JSON).
_FLOW_PATH = re.compile(r"""["']?path["']?\s*:\s*["']?([^"'\s,}]+)["']?\s*[,}]""")


def _pointer_variants(pointer: str) -> list[str]:
    """``pointer``, then its ancestors; a trailing index also as ``-`` (JSON patch append)."""
    out: list[str] = []
    probe = pointer
    while probe:
        out.append(probe)
        head, _, last = probe.rpartition("/")
        if last.isascii() and last.isdigit():
            out.append(f"{head}/-")
        probe = head
    return out


@functools.lru_cache(maxsize=64)
def _lines(file: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    """The lines of a file, cached while it is unchanged (keyed by mtime and size)."""
    del mtime_ns, size
    return tuple(yamlio.read_text(file).splitlines())


def refine(file: str, line: int, pointer: str) -> tuple[str, int]:
    """The exact line of an inline JSON 6902 operation that set ``pointer``.

    The renderer locates fields set by an inline patch at the patch's first line; a person
    edits the ``value:`` of the operation whose ``path`` is the field (or an ancestor).
    Anything else is returned unchanged.
    """
    if not line or not pointer:
        return file, line
    try:
        stat = os.stat(file)
        lines = _lines(file, stat.st_mtime_ns, stat.st_size)
    except Exception:  # the file vanished since the build: keep what we have
        return file, line
    start = line - 1
    if start >= len(lines):
        return file, line
    indent = len(lines[start]) - len(lines[start].lstrip())
    entry = _PATCH_ENTRY.match(lines[start]) is not None
    block: list[tuple[int, str]] = []
    for number in range(start, len(lines)):
        text = lines[number]
        depth = len(text) - len(text.lstrip())
        if text.strip() and depth < indent:
            break
        # A ``patches:`` entry (``- target:``) ends at its next sibling: without this every
        # finding scanned the rest of a long ``patches:`` list (quadratic in its length).
        if entry and number > start and depth == indent and _OP_START.match(text):
            break
        block.append((number + 1, text))
    for candidate in _pointer_variants(pointer):
        for i, (number, text) in enumerate(block):
            found = _OP_PATH.match(text)
            if not found or found.group(1) != candidate:
                flow = _FLOW_PATH.search(text)
                if flow and flow.group(1) == candidate:
                    return file, number
                continue
            # The operation's value line (before the next operation starts), else the path.
            for later_number, later in block[i + 1 :]:
                if _OP_START.match(later):
                    break
                if later.strip().startswith("value:"):
                    return file, later_number
            return file, number
    return file, line


def locate(subject: Subject, pointer: str) -> Location:
    """Where a person edits the field at ``pointer`` of a rendered document.

    When a patch set something below the field (an item appended to a list) and nothing
    set the field itself, that patch is where the field changed.
    """
    origins = getattr(subject, "field_origins", None)
    if isinstance(origins, Mapping) and pointer:
        ancestors = [p for p in _pointer_variants(pointer) if not p.endswith("/-")]
        if not any(p in origins for p in ancestors):
            below = sorted(k for k in origins if k.startswith(pointer + "/"))
            pointer = below[0] if below else pointer
    file, line = subject.field_location(pointer)
    # Files reached through ../ (a component of an overlay) are reported by their real path.
    return Location(*refine(os.path.normpath(file) if file else file, line, pointer))
