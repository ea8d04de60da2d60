"""Editing YAML files for promotion without disturbing what is not promoted.

Multi-document files are split into the text of each document, so a document can be
moved or removed while the others keep their exact bytes; a document is edited with
ruamel.yaml round-trip (:func:`gitopspol.yamlio.rt_load`) and only the fields that a staged
change touched are rewritten (:func:`apply_delta`), so comments, key order and quoting of
every other line survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.errors import InputError

_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$")


@dataclass(frozen=True, slots=True)
class Documents:
    """A YAML stream as text: a comment-only preamble, then one text chunk per document.

    ``"".join((preamble, *chunks))`` is the original text; ``chunks[i]`` is document ``i``
    as :func:`gitopspol.yamlio.load_all` counts them (its ``---`` line included).
    """

    preamble: str
    chunks: tuple[str, ...]
    #: 1-based first line of each chunk.
    lines: tuple[int, ...]

    def text(self, keep: set[int] | None = None) -> str:
        """The stream with only the documents in ``keep`` (all when None)."""
        chosen = [c for i, c in enumerate(self.chunks) if keep is None or i in keep]
        return self.preamble + "".join(chosen)

    def replace(self, index: int, chunk: str) -> Documents:
        """The stream with document ``index`` replaced by ``chunk``."""
        chunks = list(self.chunks)
        chunks[index] = chunk
        return Documents(self.preamble, tuple(chunks), self.lines)


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def split_documents(text: str, source: str | Path) -> Documents:
    """Split ``text`` into its documents; a layout this cannot follow is an :class:`InputError`."""
    pieces: list[list[str]] = [[]]
    starts = [1]
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if _SEPARATOR.match(line.rstrip("\r\n")):
            pieces.append([])
            starts.append(number)
        pieces[-1].append(line)
    first = "".join(pieces[0])
    chunks = ["".join(p) for p in pieces[1:]]
    lines = starts[1:]
    preamble = first
    if any(_is_content(line) for line in pieces[0]):
        chunks.insert(0, first)
        lines.insert(0, 1)
        preamble = ""
    expected = len(yamlio.load_all(text, source))
    if expected != len(chunks):
        raise InputError(
            f"cannot split this file into its {expected} YAML documents for editing "
            "(document end markers or '---' inside a value?)",
            source,
        )
    return Documents(preamble, tuple(chunks), tuple(lines))


def _head(chunk: str) -> tuple[str, str]:
    """``(separator line, body)`` of a document chunk."""
    first, _, rest = chunk.partition("\n")
    if _SEPARATOR.match(first.rstrip("\r")):
        return first + "\n", rest
    return "", chunk


def edit_document(chunk: str, old: Any, new: Any, source: str | Path) -> str:
    """The document ``chunk`` with the fields where ``old`` and ``new`` differ set as in
    ``new`` (``old``/``new``: plain data, as rendered before and after)."""
    head, body = _head(chunk)
    node = yamlio.rt_load(body, source)
    node = apply_delta(node, old, new)
    return head + yamlio.rt_dump(node)


def apply_delta(node: Any, old: Any, new: Any) -> Any:
    """Edit the round-trip ``node`` where ``old`` differs from ``new``; returns the node to
    keep (the same object when edited in place).

    Mappings and lists are edited in place, key by key and item by item, so untouched
    entries keep their comments; a list that changed length keeps the nodes of the items it
    still holds and its flow or block style.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if old == new:
        return node
    if isinstance(node, CommentedMap) and isinstance(old, dict) and isinstance(new, dict):
        for key in [k for k in node if k in old and k not in new]:
            del node[key]
        for key, value in new.items():
            if key in node and key in old:
                edited = apply_delta(node[key], old[key], value)
                if edited is not node[key]:
                    node[key] = edited
            elif key not in old or key not in node:
                node[key] = _styled(value, None)
        return node
    if isinstance(node, CommentedSeq) and isinstance(old, list) and isinstance(new, list):
        if len(node) == len(old) == len(new):
            for index, value in enumerate(new):
                edited = apply_delta(node[index], old[index], value)
                if edited is not node[index]:
                    node[index] = edited
            return node
        if len(node) == len(old):
            return _rebuilt_list(node, old, new)
    return _styled(new, node)


def _rebuilt_list(node: Any, old: list[Any], new: list[Any]) -> Any:
    """A list holding ``new``'s items, reusing the nodes of ``old``'s items it keeps."""
    from ruamel.yaml.comments import CommentedSeq

    unused = list(range(len(old)))
    out = CommentedSeq()
    quoted = [item for item in node if type(item) is not str and isinstance(item, str)]
    for value in new:
        match = next((i for i in unused if old[i] == value), None)
        if match is not None:
            unused.remove(match)
            out.append(node[match])
        elif isinstance(value, str) and quoted:
            out.append(type(quoted[0])(value))  # quote like the siblings
        else:
            out.append(_styled(value, None))
    if node.fa.flow_style():
        out.fa.set_flow_style()
    return out


def _styled(value: Any, like: Any) -> Any:
    """``value`` as a node, quoted like the scalar ``like`` it replaces."""
    if isinstance(value, str) and isinstance(like, str) and type(like) is not str:
        return type(like)(value)
    return value
