"""The one YAML module: every load and dump in gitopspol goes through here.

Loading is safe and bounded:

* only the standard tags (no ``!!python/...``, no custom tags): an unknown tag is an input error;
* duplicate mapping keys are an input error (as in go-yaml v3, which kustomize and gator use);
* alias expansion, nesting depth and file size are bounded, so a "billion laughs" document or
  a 50 MB file is refused quickly with a clear message;
* bytes that are not UTF-8 are refused with the line they are on.

Scalars are resolved the way go-yaml v3 resolves them (what ``kubectl kustomize``, gator and
Kyverno's kyaml read): ``yes``/``no``/``on``/``off`` are strings, ``true``/``false`` booleans,
``0755``/``0o17``/``0x1F``/``0b101``/``1_000`` integers, unquoted dates become RFC 3339
strings as Go's ``time.Time`` marshals them to JSON. Loaded data is therefore JSON-compatible
(dict, list, str, int, float, bool, None), apart from non-string mapping keys.

Loads use PyYAML's C parser; source positions are not kept on the data. :func:`locate` finds
the line of a value lazily, only for the findings that are reported. Round-trip editing
(promote) uses ruamel.yaml through :func:`rt_load` / :func:`rt_dump`.

A text loaded again (the renderer and the rules read each tier's kustomization; twenty tiers
hold the same patch file) is not parsed again: :func:`load_all` keeps the documents of
recent texts as marshal blobs and hands out a fresh copy, which costs a twentieth of a parse.
"""

from __future__ import annotations

import datetime as _dt
import io
import marshal
import math
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitopspol.errors import InputError

#: Largest file gitopspol reads, in bytes. A policy repository's files are far smaller.
MAX_FILE_BYTES = 32 * 1024 * 1024
#: Largest number of nodes a document may expand to through aliases.
MAX_EXPANDED_NODES = 2_000_000
#: Deepest nesting accepted. Kubernetes manifests rarely exceed 30 levels.
MAX_DEPTH = 256

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

# go-yaml v3 resolve.go: the fixed table of special plain scalars.
_SPECIAL: dict[str, tuple[str, Any]] = {
    "": (_NULL, None),
    "~": (_NULL, None),
    "null": (_NULL, None),
    "Null": (_NULL, None),
    "NULL": (_NULL, None),
    "true": (_BOOL, True),
    "True": (_BOOL, True),
    "TRUE": (_BOOL, True),
    "false": (_BOOL, False),
    "False": (_BOOL, False),
    "FALSE": (_BOOL, False),
    ".nan": (_FLOAT, math.nan),
    ".NaN": (_FLOAT, math.nan),
    ".NAN": (_FLOAT, math.nan),
    ".inf": (_FLOAT, math.inf),
    ".Inf": (_FLOAT, math.inf),
    ".INF": (_FLOAT, math.inf),
    "+.inf": (_FLOAT, math.inf),
    "+.Inf": (_FLOAT, math.inf),
    "+.INF": (_FLOAT, math.inf),
    "-.inf": (_FLOAT, -math.inf),
    "-.Inf": (_FLOAT, -math.inf),
    "-.INF": (_FLOAT, -math.inf),
    "<<": (_MERGE, "<<"),
}

_TIMESTAMP_RE = re.compile(
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2}):(?P<S>[0-9]{1,2})"
    r"(?:\.(?P<f>[0-9]+))?(?P<z>Z|[-+][0-9]{2}:[0-9]{2})?)?$"
)
_GO_INT_RE = re.compile(r"^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
# go-yaml v3 resolve.go: yamlStyleFloat, tried on the text without underscores for values
# that start with a digit or a sign; a value starting with "." goes to ParseFloat as written.
_GO_FLOAT_RE = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_GO_DOT_FLOAT_RE = re.compile(r"^\.[0-9]+(?:[eE][-+]?[0-9]+)?$")


def parse_go_int(text: str) -> int | None:
    """Parse an integer as Go's ``strconv.ParseInt(s, 0, 64)`` after removing underscores.

    Returns None when the text is not an integer. Values beyond int64 are accepted up to
    uint64, as go-yaml v3 does.
    """
    plain = text.replace("_", "")
    if not _GO_INT_RE.match(plain):
        return None
    sign = -1 if plain.startswith("-") else 1
    body = plain.lstrip("+-")
    low = body[:2].lower()
    if low in ("0x", "0o", "0b"):
        value = int(body[2:], {"0x": 16, "0o": 8, "0b": 2}[low])
    elif len(body) > 1 and body.startswith("0"):
        value = int(body, 8)
    else:
        value = int(body)
    value *= sign
    if value < -(2**63) or value >= 2**64:
        return None
    return value


def _format_go_time(match: re.Match[str]) -> str:
    """Format a timestamp as Go's ``time.Time.MarshalJSON`` (RFC 3339 with nanoseconds)."""
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    hour = int(match["H"] or 0)
    minute = int(match["M"] or 0)
    second = int(match["S"] or 0)
    _dt.datetime(year, month, day, hour, minute, second)  # raises ValueError when invalid
    frac = (match["f"] or "")[:9].rstrip("0")
    zone = match["z"] or "Z"
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if frac:
        text += "." + frac
    return text + zone


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """A safe loader with go-yaml v3 scalar resolution, duplicate-key and alias checks."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return _resolve_plain(value)[0]
        if kind is ScalarNode:
            return _STR
        if kind is SequenceNode:
            return _SEQ
        return _MAP

    #: The text has no anchor, hence no alias (set by :func:`load_all`): documents are trees
    #: no larger than their text, and only their depth needs checking.
    tree = False

    def construct_document(self, node: Node) -> Any:
        if self.tree:
            _check_depth(node)
            try:
                return _construct_tree(node)
            except (_Unusual, yaml.YAMLError):
                pass  # PyYAML's constructor decides, and reports the first error it meets
        else:
            _check_limits(node)
        return super().construct_document(node)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            if isinstance(key_node, ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {key_node.value!r} (first defined on line {seen[key]})",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def _resolve_plain(value: str) -> tuple[str, Any]:
    """Resolve a plain scalar to ``(tag, python value)`` the way go-yaml v3 does."""
    special = _SPECIAL.get(value)
    if special is not None:
        return special
    if value.startswith("."):
        if _GO_DOT_FLOAT_RE.match(value):
            return _FLOAT, float(value)
        return _STR, value
    if value and (value[0].isdigit() or value[0] in "+-"):
        if value[0].isdigit():
            ts = _TIMESTAMP_RE.match(value)
            if ts is not None:
                try:
                    return _TIMESTAMP, _format_go_time(ts)
                except ValueError:
                    pass
        integer = parse_go_int(value)
        if integer is not None:
            return _INT, integer
        plain = value.replace("_", "")
        if _GO_FLOAT_RE.match(plain):
            return _FLOAT, float(plain)
    return _STR, value


def _construct_int(loader: Any, node: ScalarNode) -> int:
    value = parse_go_int(node.value)
    if value is None:
        raise yaml.constructor.ConstructorError(
            None, None, f"invalid integer {node.value!r}", node.start_mark
        )
    return value


def _construct_float(loader: Any, node: ScalarNode) -> float:
    special = _SPECIAL.get(node.value)
    if special is not None and special[0] == _FLOAT:
        return float(special[1])
    try:
        return float(node.value.replace("_", ""))
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"invalid float {node.value!r}", node.start_mark
        ) from None


def _construct_bool(loader: Any, node: ScalarNode) -> bool:
    special = _SPECIAL.get(node.value)
    if special is None or special[0] != _BOOL:
        raise yaml.constructor.ConstructorError(
            None, None, f"invalid boolean {node.value!r}", node.start_mark
        )
    return bool(special[1])


def _construct_timestamp(loader: Any, node: ScalarNode) -> str:
    match = _TIMESTAMP_RE.match(node.value)
    try:
        if match is not None:
            return _format_go_time(match)
    except ValueError:  # "!!timestamp 2024-13-40": no such date
        pass
    raise yaml.constructor.ConstructorError(
        None, None, f"invalid timestamp {node.value!r}", node.start_mark
    )


_Loader.add_constructor(_INT, _construct_int)
_Loader.add_constructor(_FLOAT, _construct_float)
_Loader.add_constructor(_BOOL, _construct_bool)
_Loader.add_constructor(_TIMESTAMP, _construct_timestamp)
_SCALARS: dict[str, Any] = {
    _INT: _construct_int,
    _FLOAT: _construct_float,
    _BOOL: _construct_bool,
    _TIMESTAMP: _construct_timestamp,
}
# Everything SafeLoader does not know (python/object, custom tags) falls through to
# construct_undefined, which raises: unknown tags are input errors.


def _check_limits(root: Node) -> None:
    """Refuse documents that nest too deeply or expand too far through aliases.

    Sizes are memoised per node, so a billion-laughs document is measured in time linear in
    its written size, and refused before anything is expanded.
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if id(node) in sizes:
            continue
        if depth > MAX_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"nesting deeper than {MAX_DEPTH} levels", node.start_mark
            )
        if isinstance(node, ScalarNode):
            sizes[id(node)] = 1
            continue
        children: list[Node]
        if isinstance(node, SequenceNode):
            children = list(node.value)
        else:
            children = [part for pair in node.value for part in pair]
        if done:
            total = 1 + sum(sizes[id(child)] for child in children)
            if total > MAX_EXPANDED_NODES:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"document expands to more than {MAX_EXPANDED_NODES} nodes through aliases",
                    node.start_mark,
                )
            sizes[id(node)] = total
            continue
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in sizes)


class _Unusual(Exception):
    """A document :func:`_construct_tree` leaves to PyYAML's constructor."""


def _construct_tree(root: Node) -> Any:
    """Construct a document without aliases exactly as the loader's constructor does.

    PyYAML's generic constructor costs several Python calls per node; this loop handles the
    plain case (standard tags, scalar keys, no merge keys, no duplicate keys) and raises
    :class:`_Unusual` for anything else.
    """
    result: list[Any] = [None]
    # (node, the container its value goes in, the key or index there)
    work: list[tuple[Node, Any, Any]] = [(root, result, 0)]
    while work:
        node, parent, slot = work.pop()
        tag = node.tag
        value: Any
        if tag == _MAP and isinstance(node, MappingNode):
            value = {}
            seen: set[tuple[str, str]] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE:
                    raise _Unusual
                seen.add((key_node.tag, key_node.value))
                key = _scalar(key_node)
                value[key] = None
                work.append((value_node, value, key))
            if len(seen) != len(node.value) or len(value) != len(node.value):
                # A duplicate key (the constructor reports it), or two keys with one value
                # (``1`` and ``0x1``: the later one wins there).
                raise _Unusual
        elif tag == _SEQ and isinstance(node, SequenceNode):
            value = [None] * len(node.value)
            work.extend((item, value, index) for index, item in enumerate(node.value))
        elif isinstance(node, ScalarNode):
            value = _scalar(node)
        else:
            raise _Unusual
        parent[slot] = value
    return result[0]


def _scalar(node: ScalarNode) -> Any:
    """A scalar node's value, as the loader's registered constructors make it."""
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _NULL:
        return None
    constructor = _SCALARS.get(tag)
    if constructor is None:
        raise _Unusual
    return constructor(None, node)


def _check_depth(root: Node) -> None:
    """:func:`_check_limits` for a document without aliases, level by level.

    The error names the node :func:`_check_limits` names: the last one, in document order,
    at the first level too deep.
    """
    level = [root]
    for _ in range(MAX_DEPTH):
        deeper: list[Node] = []
        for node in level:
            if isinstance(node, MappingNode):
                for pair in node.value:
                    deeper.extend(pair)
            elif isinstance(node, SequenceNode):
                deeper.extend(node.value)
        if not deeper:
            return
        level = deeper
    raise yaml.constructor.ConstructorError(
        None, None, f"nesting deeper than {MAX_DEPTH} levels", level[-1].start_mark
    )


class _ParsedTexts:
    """The documents of recently loaded texts, as marshal blobs (bytes give the garbage
    collector nothing to scan); at most ``limit`` characters and bytes, oldest out first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.blobs: dict[str, bytes] = {}
        self.lock = threading.Lock()

    def get(self, text: str) -> list[Any] | None:
        """A fresh copy of the documents of ``text``, or None."""
        blob = self.blobs.get(text)
        if blob is None:
            return None
        documents: list[Any] = marshal.loads(blob)
        return documents

    def put(self, text: str, documents: list[Any]) -> None:
        """Keep the documents of ``text`` (not when it is large: one would fill the cache)."""
        if len(text) > self.limit // 8:
            return
        blob = marshal.dumps(documents)
        cost = len(text) + len(blob)
        with self.lock:
            if text in self.blobs:
                return
            self.blobs[text] = blob
            self.size += cost
            while self.size > self.limit:
                oldest = next(iter(self.blobs))
                self.size -= len(oldest) + len(self.blobs.pop(oldest))


_PARSED = _ParsedTexts(64 * 1024 * 1024)


def read_text(path: str | Path) -> str:
    """Read a text file as UTF-8, bounded in size; errors name the file and line."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"file is {size} bytes, larger than the {MAX_FILE_BYTES} bytes gitopspol reads",
                p,
                1,
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", p) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", p) from None
    except PermissionError:
        raise InputError("permission denied", p) from None
    except OSError as exc:  # a name too long, a loop of symlinks, an I/O error ...
        raise InputError(f"cannot read: {exc.strerror or exc}", p) from None
    except ValueError:  # a NUL byte in the name
        raise InputError("cannot read: the file name contains a NUL byte", repr(str(p))) from None
    return decode(raw, p)


def decode(raw: bytes, source: str | Path) -> str:
    """Decode UTF-8 bytes (a leading BOM is dropped); invalid bytes are an input error."""
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(
            f"document is {len(raw)} bytes, larger than the {MAX_FILE_BYTES} bytes gitopspol reads",
            source,
            1,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", source, line
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _input_error(exc: yaml.YAMLError, source: str | Path, text: str = "") -> InputError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor for the tag" in problem:
            problem = "unknown tag " + problem.rsplit(" ", 1)[-1].strip("'")
        elif (
            "cannot start any token" in problem
            and mark is not None
            and _char_at(text, mark) == "\t"
        ):
            # libyaml does not name the character; a tab is by far the most common one.
            problem = "found a tab character where indentation is expected"
        line = mark.line + 1 if mark is not None else None
        return InputError(f"invalid YAML: {problem}", source, line)
    if isinstance(exc, yaml.reader.ReaderError):
        # Its text spans two lines and gives an offset; say it in one, with the line.
        line = text.count("\n", 0, exc.position) + 1 if text else None
        return InputError(
            f"invalid YAML: control character U+{exc.character:04X} is not allowed", source, line
        )
    return InputError(f"invalid YAML: {exc}", source)


def _char_at(text: str, mark: Any) -> str:
    """The character at a libyaml mark (line and column count characters), or ``""``."""
    lines = text.split("\n")
    line: int = mark.line
    column: int = mark.column
    if 0 <= line < len(lines) and 0 <= column < len(lines[line]):
        return lines[line][column]
    return ""


def load_all(text: str, source: str | Path = "<string>") -> list[Any]:
    """Load every document of a YAML stream. Empty documents are kept as None."""
    if len(text) > MAX_FILE_BYTES:
        raise InputError(
            f"document is larger than the {MAX_FILE_BYTES} bytes gitopspol reads", source, 1
        )
    cached = _PARSED.get(text)
    if cached is not None:
        return cached
    # Without "&" there is no anchor, so no alias: a document has at most about two nodes
    # per character of text, far below MAX_EXPANDED_NODES for texts this short.
    tree = "&" not in text and len(text) <= MAX_EXPANDED_NODES // 4
    try:
        documents = _construct_all(text, tree)
    except yaml.YAMLError as exc:
        raise _input_error(exc, source, text) from None
    except UnicodeEncodeError as exc:
        # A lone surrogate: text decoded with errors="surrogateescape" (command-line
        # arguments) from bytes that are not UTF-8.
        line = text.count("\n", 0, exc.start) + 1
        raise InputError("not valid UTF-8 (a lone surrogate)", source, line) from None
    except RecursionError:
        raise InputError(f"invalid YAML: nesting deeper than {MAX_DEPTH} levels", source) from None
    if tree:  # documents with aliases may share or contain themselves: not kept
        _PARSED.put(text, documents)
    return documents


def _construct_all(text: str, tree: bool) -> list[Any]:
    """Every document of ``text`` (``yaml.load_all`` with the tree flag set)."""
    loader = _Loader(text)
    loader.tree = tree
    try:
        documents = []
        while loader.check_data():
            documents.append(loader.get_data())
        return documents
    finally:
        loader.dispose()


def load(text: str, source: str | Path = "<string>") -> Any:
    """Load a single-document YAML text (a second document is an input error)."""
    docs = load_all(text, source)
    if len(docs) > 1:
        raise InputError("expected one YAML document, found several", source)
    return docs[0] if docs else None


def load_file(path: str | Path) -> Any:
    """Load a single-document YAML file."""
    return load(read_text(path), path)


def load_all_file(path: str | Path) -> list[Any]:
    """Load every document of a YAML file."""
    return load_all(read_text(path), path)


def document_lines(text: str) -> list[int]:
    """The 1-based line where each document of ``text`` starts (its first content line)."""
    lines: list[int] = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            lines.append(node.start_mark.line + 1 if node is not None else 1)
    except yaml.YAMLError:
        pass
    return lines


def locate(text: str, doc_index: int, path: Sequence[str | int]) -> tuple[int, int] | None:
    """Find the 1-based (line, column) of the value at ``path`` in document ``doc_index``.

    The path is a list of mapping keys and sequence indexes. When the full path does not
    exist, the position of its longest existing prefix is returned; None when the document
    does not exist. Composes nodes only (no construction): used lazily for findings.
    """
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if index == doc_index:
                return _walk(node, path) if node is not None else (1, 1)
    except yaml.YAMLError:
        return None
    return None


def _walk(node: Node, path: Sequence[str | int]) -> tuple[int, int]:
    current = node
    for part in path:
        nxt: Node | None = None
        if isinstance(current, MappingNode):
            for key_node, value_node in current.value:
                if isinstance(key_node, ScalarNode) and key_node.value == str(part):
                    nxt = value_node
                    break
        elif (
            isinstance(current, SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(current.value)
        ):
            nxt = current.value[part]
        if nxt is None:
            break
        current = nxt
    return current.start_mark.line + 1, current.start_mark.column + 1


def iter_documents(paths: Sequence[str | Path]) -> Iterator[tuple[Path, int, Any]]:
    """Yield ``(path, index, document)`` for every non-empty document of every file."""
    for path in paths:
        p = Path(path)
        for index, doc in enumerate(load_all_file(p)):
            if doc is not None:
                yield p, index, doc


def dump(data: Any) -> str:
    """Dump plain data as block-style YAML, keys in insertion order (for people and files)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1000,
    )


def dump_all(documents: Sequence[Any]) -> str:
    """Dump several documents separated by ``---``."""
    return "---\n".join(dump(doc) for doc in documents)


class _Dumper(yaml.SafeDumper):
    """SafeDumper that quotes strings go-yaml v3 or YAML 1.1 would read as another type.

    PyYAML's default layout already matches Kubernetes style (list items not indented under
    their key).
    """


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style: str | None = None
    if "\n" in data:
        style = "|"
    elif _resolve_plain(data)[0] != _STR or data.lower() in (
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
    ):
        style = '"'
    return dumper.represent_scalar(_STR, data, style=style)


_Dumper.add_representer(str, _represent_str)


def rt_load(text: str, source: str | Path = "<string>") -> Any:
    """Load YAML for round-trip editing (ruamel.yaml): comments, order and quoting survive."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    try:
        return rt.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"invalid YAML: {getattr(exc, 'problem', exc)}", source, line) from None


def rt_dump(data: Any) -> str:
    """Dump data loaded with :func:`rt_load`, keeping its comments and layout."""
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=2, offset=0)
    rt.width = 4096
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()
