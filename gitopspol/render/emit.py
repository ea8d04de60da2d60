"""Print resources exactly as ``kubectl kustomize`` (Kustomize v5.5) prints them.

Upstream, every resource goes ``MarshalJSON`` (Go ``encoding/json``) →
``sigs.k8s.io/yaml.JSONToYAML`` (which re-reads the JSON with go-yaml v2 and marshals it again)
→ the go-yaml v2 emitter, and the documents are joined with ``---``. This module reproduces
that pipeline's bytes directly, without building events or calling a YAML library:

* keys sorted at every level in go-yaml v2's "natural" order (``sorter.go``);
* two-space indentation, sequences not indented under their key, only empty collections in
  flow style (``{}``, ``[]``);
* numbers as Go prints them after the JSON round trip (``1.0`` → ``1``, ``1e21`` → ``1e+21``);
* go-yaml v2's scalar style choice (``encode.go`` ``stringv`` and ``emitterc.go``
  ``yaml_emitter_analyze_scalar`` / ``select_scalar_style``): plain, single-quoted,
  double-quoted with escapes, or literal block with chomping and indentation indicators;
* folding of long plain, single- and double-quoted scalars at go-yaml's ``best_width`` (80);
* what the JSON round trip does to strings (NEL folding, refused control characters), raised
  as :class:`~gitopspol.errors.RenderError` where kustomize fails.

:func:`source_block_scalar` covers the one step before: kyaml's go-yaml v3 round trip, which
changes scalars written as folded blocks (``>``) in the source.

The references are go-yaml v2.4.0 (``gopkg.in/yaml.v2``, the copy that ``sigs.k8s.io/yaml``
v1.4 vendors as ``goyaml.v2``): ``emitterc.go``, ``encode.go``, ``resolve.go``, ``sorter.go``.
Function names below point at the Go function each one mirrors. Quirks are documented in
``docs/render-output.md``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

from gitopspol.errors import RenderError

__all__ = ["dump_documents", "natural_less", "source_block_scalar"]

#: go-yaml's ``best_width``: a space after this column may become a line break.
BEST_WIDTH = 80
#: go-yaml's ``best_indent``; also the literal block indentation indicator (``|2``).
BEST_INDENT = 2
#: ``yaml_emitter_check_simple_key``: longer keys (in UTF-8 bytes) are written as ``? key``.
MAX_SIMPLE_KEY_BYTES = 128

_PLAIN, _SINGLE, _DOUBLE, _LITERAL = range(4)
#: Pseudo-style: the string changes on its way through JSON and go-yaml v2 (see _json_round_trip).
_REPARSE = 4

_BREAKS = "\n\r\x85\u2028\u2029"
#: Marks "the next line break is not written"; NUL never appears raw in the output.
_NO_BREAK = "\x00"

# --- scalar analysis (emitterc.go: yaml_emitter_analyze_scalar) -------------------------------

# is_printable: \n, 0x20-0x7E, 0xA0-0xD7FF, 0xE000-0xFFFD without the BOM. Tabs, \r, C1
# controls and everything outside the BMP are "special" and force double quotes.
_NOT_PRINTABLE = re.compile(r"[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_LINE_BREAK = re.compile(r"[\n\r\x85\u2028\u2029]")
_SPACE_NEXT_TO_BREAK = re.compile(r"[\n\r\x85\u2028\u2029] | [\n\r\x85\u2028\u2029]")
_SPACE_BEFORE_BREAK = re.compile(r" [\n\r\x85\u2028\u2029]")
# Indicators that make a plain scalar ambiguous in block context.
_BLOCK_INDICATOR = re.compile(
    r"""\A(?:---|\.\.\.|[#,\[\]{}&*!|>'"%@`]|[?:-](?:[ \t]|\Z))"""
    r"|:(?:[ \t]|\Z)"
    r"|[ \t\n\r\x85\u2028\u2029\x00]#"
)
# A string that certainly resolves to !!str and needs no quoting (the common case).
_SIMPLE_PLAIN = re.compile(r"[A-Za-z_/][-A-Za-z0-9_./=+$(),@]*\Z")

# --- go-yaml v2 resolve (resolve.go), used by encode.go stringv to decide on quotes ------------

# resolveMap: the plain words go-yaml v2 reads as booleans (YAML 1.1), nulls and special floats.
_RESOLVE_WORDS = frozenset(
    [
        *("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"),
        *("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"),
        *("~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF"),
        *("+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"),
    ]
)
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
# strconv.ParseFloat on the raw text (hint '.'): underscores allowed between digits.
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+(?:_[0-9]+)*)?\Z")
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
# parseTimestamp's layouts: "2006-1-2T15:4:5.999999999Z07:00" (T or t), "2006-1-2 15:4:5.999999999"
# and "2006-1-2", as Go's time.Parse reads them (1-2 digit fields, optional fraction).
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(?:Z|[-+]([0-9]{2}):([0-9]{2}))"
    r"| ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?)?\Z"
)


def _is_go_int(plain: str) -> bool:
    """Whether ``strconv.ParseInt(plain, 0, 64)`` or ``ParseUint(plain, 0, 64)`` succeeds."""
    match = _GO_INT.match(plain)
    if match is None:
        return False
    sign, body = match.groups()
    prefix = body[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        value = int(body[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix])
    elif body[0] == "0":
        value = int(body, 8)
    else:
        value = int(body)
    if sign == "-":
        return value <= 2**63
    return value < 2**64 if not sign else value < 2**63


def _is_go_float(text: str) -> bool:
    """Whether ``strconv.ParseFloat(text, 64)`` succeeds (syntax already checked): no overflow."""
    return not math.isinf(float(text))


def _is_timestamp(text: str) -> bool:
    """resolve.go parseTimestamp: one of the layouts, with Go's range checks."""
    match = _TIMESTAMP.match(text)
    if match is None:
        return False
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if year == 0 and month == 2 and day == 29:
        return True  # Go's proleptic calendar has year 0 (a leap year); Python's does not
    try:
        _dt.date(max(year, 1), month, day)
    except ValueError:
        return False
    hour, minute, second = match[4] or match[9], match[5] or match[10], match[6] or match[11]
    if hour is not None and (int(hour) > 23 or int(minute) > 59 or int(second) > 59):
        return False
    return match[7] is None or (int(match[7]) <= 24 and int(match[8]) <= 60)


def _resolves_to_str(text: str) -> bool:
    """Whether go-yaml v2 reads ``text`` unquoted back as the same string (encode.go stringv).

    False for booleans (including YAML 1.1 ``yes``/``on``/``y``), nulls, ints, floats,
    timestamps and base-60 numbers (``12:30``), which must therefore be quoted.
    """
    if text in _RESOLVE_WORDS or not text:
        return False
    first = text[0]
    if first == ".":
        return not (_DOT_FLOAT.match(text) and _is_go_float(text))
    if first not in "+-0123456789":
        return True
    if first.isdigit() and _is_timestamp(text):
        return False
    plain = text.replace("_", "")
    if _is_go_int(plain):
        return False
    if _YAML_STYLE_FLOAT.match(plain) and _is_go_float(plain):
        return False
    return _BASE60_FLOAT.match(text) is None


def _style(text: str) -> int:
    """The style go-yaml v2 gives a string outside a simple key (encode.go + emitterc.go)."""
    if not text:
        return _DOUBLE
    if _JSON_RAW_TROUBLE.search(text):
        return _REPARSE
    if "\n" in text:
        style = _LITERAL
    elif _resolves_to_str(text):
        style = _PLAIN
    else:
        return _DOUBLE
    special = _NOT_PRINTABLE.search(text) is not None
    if style == _LITERAL:
        if special or text[-1] == " " or _SPACE_BEFORE_BREAK.search(text):
            return _DOUBLE
        return _LITERAL
    if (
        special
        or text[0] == " "
        or text[-1] == " "
        or _LINE_BREAK.search(text)
        or _BLOCK_INDICATOR.search(text)
    ):
        if _SPACE_NEXT_TO_BREAK.search(text) or special:
            return _DOUBLE
        return _SINGLE
    return _PLAIN


# Go's encoding/json writes these characters raw; JSONToYAML's go-yaml v2 reader then refuses
# DEL, the C1 controls and U+FFFE/U+FFFF ("yaml: control characters are not allowed") and
# reads NEL (U+0085) inside the double-quoted JSON string as a line break, which YAML folds.
_JSON_RAW_TROUBLE = re.compile("[\x7f-\x9f\ufffe\uffff]")
_YAML_REFUSED = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")
_NEL_RUN = re.compile(" *\x85[ \x85]*")


def _fold_nel(match: re.Match[str]) -> str:
    # Spaces before the first break are dropped, blanks after it skipped; one break folds
    # to a space, n breaks to n-1 newlines (libyaml yaml_parser_scan_flow_scalar).
    breaks = match.group().count("\x85")
    return " " if breaks == 1 else "\n" * (breaks - 1)


# After a NEL the JSON text is at column 0, where "--- " or "... " is a document marker.
_NEL_DOCUMENT_MARKER = re.compile("\x85(?:---|\\.\\.\\.)[ \x85]")


def _json_round_trip(text: str) -> str:
    """The string kustomize prints for ``text`` after its JSON → go-yaml v2 round trip."""
    refused = _YAML_REFUSED.search(text)
    if refused is not None:
        raise RenderError(
            f"yaml: control characters are not allowed (U+{ord(refused.group()):04X} in {text!r})"
        )
    if _NEL_DOCUMENT_MARKER.search(text):
        raise RenderError(f"yaml: found unexpected document indicator (in {text!r})")
    return _NEL_RUN.sub(_fold_nel, text)


def _string(text: str) -> tuple[str, int]:
    """``text`` as kustomize prints it, and its style."""
    style = _cached_style(text)
    if style == _REPARSE:
        text = _json_round_trip(text)
        style = _cached_style(text)
    return text, style


_STYLE_CACHE: dict[str, int] = {}


def _cached_style(text: str) -> int:
    style = _STYLE_CACHE.get(text)
    if style is None:
        simple = _SIMPLE_PLAIN.match(text) and text not in _RESOLVE_WORDS
        style = _PLAIN if simple else _style(text)
        if len(_STYLE_CACHE) > 100_000:
            _STYLE_CACHE.clear()
        _STYLE_CACHE[text] = style
    return style


# --- scalar writers (emitterc.go yaml_emitter_write_*_scalar) ---------------------------------

_NAMED_ESCAPES = {
    "\x00": "\\0",
    "\x07": "\\a",
    "\x08": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\xa0": "\\_",  # only reached after a leading BOM (see _escape)
    "\u2028": "\\L",
    "\u2029": "\\P",
}
# Characters the double-quoted writer escapes: not printable, BOM, breaks, '"' and '\'.
_NEEDS_ESCAPE = re.compile(
    r"[^\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]"
)


def _escape_char(char: str) -> str:
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _escape(text: str) -> str:
    """The body of a double-quoted scalar (without folding)."""
    if text.startswith("\ufeff"):
        # go-yaml v2's is_bom(b, i) tests b[0:3], not b[i:i+3]: after a leading BOM every
        # character is escaped ("\uFEFF\x62\x6F\x6D").
        return "".join(map(_escape_char, text))
    return _escape_part(text)


def _escape_part(text: str) -> str:
    """Escape the characters of ``text`` that a double-quoted scalar cannot hold raw."""
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _NEEDS_ESCAPE.sub(lambda m: _escape_char(m.group()), text)


def _write_plain(text: str, column: int, indent: int, allow_breaks: bool) -> str:
    """yaml_emitter_write_plain_scalar; ``column`` is where the text starts.

    A space becomes a line break when the column before it is past ``best_width``, the
    previous character is not a space and the next one is not either. Plain scalars never
    contain line breaks, so the loop works on words.
    """
    if not allow_breaks or column + text.rfind(" ") <= BEST_WIDTH or " " not in text:
        return text
    words = text.split(" ")
    out = [words[0]]
    column += len(words[0])
    spaces = False
    newline = "\n" + " " * indent
    for word in words[1:]:
        if not spaces and column > BEST_WIDTH and word:
            out.append(newline)
            column = indent
        else:
            out.append(" ")
            column += 1
        spaces = True
        if word:
            out.append(word)
            column += len(word)
            spaces = False
    return "".join(out)


def _write_single(text: str, column: int, indent: int, allow_breaks: bool) -> str:
    """yaml_emitter_write_single_quoted_scalar; ``column`` is where the opening quote goes."""
    if _LINE_BREAK.search(text):
        return _write_slow(_SINGLE, text, column, indent, allow_breaks)
    quoted = text.replace("'", "''")
    if not allow_breaks or column + len(quoted) + 1 <= BEST_WIDTH or " " not in text:
        return "'" + quoted + "'"
    words = text.split(" ")
    out = ["'"]
    first = words[0].replace("'", "''")
    out.append(first)
    column += 1 + len(first)
    spaces = False
    newline = "\n" + " " * indent
    for index, word in enumerate(words[1:], 1):
        # The space is at neither end of the value and the next character is not a space.
        inner = word != "" and not (index == 1 and words[0] == "")
        if not spaces and column > BEST_WIDTH and inner:
            out.append(newline)
            column = indent
        else:
            out.append(" ")
            column += 1
        spaces = True
        if word:
            escaped = word.replace("'", "''")
            out.append(escaped)
            column += len(escaped)
            spaces = False
    out.append("'")
    return "".join(out)


def _write_double(text: str, column: int, indent: int, allow_breaks: bool) -> str:
    """yaml_emitter_write_double_quoted_scalar; ``column`` is where the opening quote goes.

    Breaks are escaped, so a double-quoted scalar has no raw line breaks except the folds:
    a space past ``best_width`` (not first or last) becomes a break, and a following space is
    protected with a backslash.
    """
    escaped = _escape(text)
    if (
        not allow_breaks
        or column + len(escaped) + 1 <= BEST_WIDTH
        or " " not in text
        or text[0] == "\ufeff"  # every character escaped, spaces too: nothing to fold
    ):
        return '"' + escaped + '"'
    words = text.split(" ")
    last = len(words) - 1
    out = ['"']
    first = _escape_part(words[0])
    out.append(first)
    column += 1 + len(first)
    spaces = False
    newline = "\n" + " " * indent
    for index, word in enumerate(words[1:], 1):
        inner = not (index == 1 and words[0] == "") and not (index == last and word == "")
        if not spaces and column > BEST_WIDTH and inner:
            out.append(newline)
            column = indent
            if word == "":
                out.append("\\")
                column += 1
        else:
            out.append(" ")
            column += 1
        spaces = True
        if word:
            escaped_word = _escape_part(word)
            out.append(escaped_word)
            column += len(escaped_word)
            spaces = False
    out.append('"')
    return "".join(out)


def _block_hints(text: str) -> str:
    """yaml_emitter_write_block_scalar_hints: indentation and chomping indicators."""
    hints = str(BEST_INDENT) if text[0] == " " or text[0] in _BREAKS else ""
    if text[-1] not in _BREAKS:
        return hints + "-"
    if len(text) == 1 or text[-2] in _BREAKS:
        return hints + "+"
    return hints


def _write_literal(text: str, indent: int) -> str:
    """yaml_emitter_write_literal_scalar, without the final line break.

    The caller's next line break stands for the value's last ``\\n`` (go-yaml's write_indent
    does not add a break when the column is already 0), so one trailing ``\\n`` is left off.
    """
    if "\u2028" in text or "\u2029" in text:
        return _write_slow(_LITERAL, text, 0, indent, True)
    pad = " " * indent
    body = "\n".join(pad + line if line else "" for line in text.split("\n"))
    out = "|" + _block_hints(text) + "\n" + body
    return out[:-1] if text[-1] == "\n" else out


def _write_slow(style: int, text: str, column: int, indent: int, allow_breaks: bool) -> str:
    """A character-by-character port of go-yaml v2's scalar writers.

    Used for the rare values with line breaks other than ``\\n`` (U+2028, U+2029) in single
    quotes or literal blocks; the tests also check the fast writers against it. ``column`` is
    where the scalar's first character (or quote/indicator) goes. Literal output leaves off the
    final line break as :func:`_write_literal` does.
    """
    out: list[str] = []
    col = column
    indention = False
    whitespace = False

    def write_indent() -> None:
        nonlocal col, indention, whitespace
        if not indention or col > indent or (col == indent and not whitespace):
            out.append("\n")
            col = 0
        out.append(" " * (indent - col))
        col = indent
        whitespace = True
        indention = True

    def write_break(char: str) -> None:
        nonlocal col
        out.append(char)
        col = 0

    spaces = breaks = False
    size = len(text)
    if style == _LITERAL:
        out.append("|" + _block_hints(text) + "\n")
        col, indention, whitespace, breaks = 0, True, True, True
        for char in text:
            if char in _BREAKS:
                write_break(char)
                indention = breaks = True
            else:
                if breaks:
                    write_indent()
                out.append(char)
                col += 1
                indention = breaks = False
        result = "".join(out)
        if result.endswith("\n"):
            return result[:-1]
        if result[-1] in _BREAKS:
            # Ends at column 0 after U+2028/U+2029: go-yaml's next write_indent starts no new
            # line. The marker cancels the caller's next line break (see dump_documents).
            return result + _NO_BREAK
        return result
    quote = "'" if style == _SINGLE else '"' if style == _DOUBLE else ""
    out.append(quote)
    col += len(quote)
    escape_all = style == _DOUBLE and text.startswith("\ufeff")  # see _escape
    for index, char in enumerate(text):
        nxt = text[index + 1] if index + 1 < size else ""
        if style == _DOUBLE and (escape_all or _NEEDS_ESCAPE.match(char) is not None):
            escaped = _escape_char(char)
            out.append(escaped)
            col += len(escaped)
            spaces = False
        elif char == " ":
            if style == _PLAIN:
                fold = allow_breaks and not spaces and col > BEST_WIDTH and nxt != " "
            elif style == _SINGLE:
                fold = (
                    allow_breaks
                    and not spaces
                    and col > BEST_WIDTH
                    and 0 < index < size - 1
                    and nxt != " "
                )
            else:
                fold = allow_breaks and not spaces and col > BEST_WIDTH and 0 < index < size - 1
            if fold:
                write_indent()
                if style == _DOUBLE and nxt == " ":
                    out.append("\\")
                    col += 1
            else:
                out.append(char)
                col += 1
            spaces = True
        elif char in _BREAKS:  # plain and single-quoted only (double quotes escape breaks)
            if not breaks and char == "\n":
                out.append("\n")
                col = 0
            write_break(char)
            indention = breaks = True
        else:
            if breaks:
                write_indent()
            if style == _SINGLE and char == "'":
                out.append("'")
                col += 1
            out.append(char)
            col += 1
            indention = spaces = breaks = False
    out.append(quote)
    return "".join(out)


def _scalar(text: str, style: int, column: int, indent: int, allow_breaks: bool = True) -> str:
    """Write a string in ``style`` starting at ``column``; continuation lines at ``indent``."""
    if style == _PLAIN:
        return _write_plain(text, column, indent, allow_breaks)
    if style == _DOUBLE:
        return _write_double(text, column, indent, allow_breaks)
    if style == _SINGLE:
        return _write_single(text, column, indent, allow_breaks)
    return _write_literal(text, indent)


# --- numbers (encoding/json, then go-yaml v2 resolve + encode.go floatv) ----------------------


def _go_float(value: float) -> str:
    """A float as it comes out of Go's JSON encoder, go-yaml v2's resolver and ``floatv``.

    ``encoding/json`` prints integral floats below 1e21 without exponent or point, go-yaml v2
    reads those back as integers when they fit 64 bits; every other float is printed with
    ``strconv.FormatFloat(f, 'g', -1, 64)``: shortest digits, exponent form when the decimal
    exponent is below -4 or at least 21 for the JSON step and 6 for ``%g`` (``1e+06``).
    """
    if math.isnan(value) or math.isinf(value):
        raise RenderError(f"json: unsupported value: {_go_special(value)}")
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0") or "0"
    exponent += len(digits) - len(text)  # drop trailing zeros: value = text * 10**exponent
    point = len(text) + exponent  # digits before the decimal point (Go's digs.dp)
    if exponent >= 0 and point <= 21:  # integral and below 1e21: JSON prints it as an integer
        integer = int(text) * 10**exponent
        if integer <= 2**63 if sign else integer < 2**64:
            return str(-integer if sign else integer)
    minus = "-" if sign else ""
    if text == "0":
        return "0"
    decimal_exponent = point - 1
    if decimal_exponent < -4 or decimal_exponent >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return (
            f"{minus}{mantissa}e{'-' if decimal_exponent < 0 else '+'}{abs(decimal_exponent):02d}"
        )
    if point <= 0:
        return f"{minus}0.{'0' * -point}{text}"
    return f"{minus}{text[:point]}.{text[point:]}"


def _go_special(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def _int(value: int) -> str:
    if -(2**63) <= value < 2**64:
        return str(value)
    try:
        return _go_float(float(value))  # beyond 64 bits go-yaml reads the number as a float
    except OverflowError:
        raise RenderError(f"json: unsupported value: integer {value} is too large") from None


def _non_string(value: Any) -> str | None:
    """The plain text of a non-string scalar, or None when ``value`` is not one."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, float):
        return _go_float(value)
    return None


# --- key order (sorter.go keyList.Less) -------------------------------------------------------


def natural_less(a: str, b: str) -> bool:
    """go-yaml v2's map key order for two strings (``keyList.Less``).

    At the first differing character: two letters compare by code point, a non-letter sorts
    before a letter, and otherwise the digit runs starting there compare as numbers (then by
    run length, then by code point). A prefix sorts first. This order is not transitive
    (``v1alpha1 < v2 < v10 < v1alpha1``); Go's unstable sort then depends on map order.
    """
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = _is_letter(ca), _is_letter(cb)
        if al and bl:
            return ca < cb
        if al or bl:
            return bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():
            an = an * 10 + ord(a[ai]) - 48  # Go: int64(r - '0'), also for non-ASCII digits
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn = bn * 10 + ord(b[bi]) - 48
            bi += 1
        an, bn = _int64(an), _int64(bn)
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _is_letter(char: str) -> bool:
    """Go's unicode.IsLetter (Unicode 15.0 in Go 1.23).

    Python 3.11's tables are Unicode 14.0; CJK Extension H (U+31350-U+323AF), the bulk of the
    letters 15.0 added, is filled in here.
    """
    return char.isalpha() or "\U00031350" <= char <= "\U000323af"


def _int64(value: int) -> int:
    """Wrap like Go's int64 arithmetic (a run of more than 18 digits overflows)."""
    return ((value + 2**63) % 2**64) - 2**63


def _natural_cmp(a: str, b: str) -> int:
    if natural_less(a, b):
        return -1
    return 1 if natural_less(b, a) else 0


_NATURAL_KEY: Callable[[str], Any] = cmp_to_key(_natural_cmp)
_ORDER_CACHE: dict[tuple[str, ...], list[str]] = {}


def _sorted_keys(mapping: dict[Any, Any]) -> list[str]:
    """The keys in natural order; keys that are all letters sort by code point (fast path).

    For non-transitive key sets the result is deterministic: the keys are first put in code
    point order, then merge-sorted with the natural comparison.
    """
    keys = tuple(mapping)
    cached = _ORDER_CACHE.get(keys)
    if cached is not None:
        return cached
    for key in keys:
        if not isinstance(key, str):
            raise RenderError(
                f"json: unsupported type: map with non-string key {key!r}"
                " (kustomize cannot serialise it)"
            )
    ordered = sorted(keys)
    if not all(key.isalpha() for key in keys):
        # Go sorts the keys as they come out of the JSON round trip.
        ordered.sort(key=lambda key: _NATURAL_KEY(_string(key)[0]))
    if len(_ORDER_CACHE) > 20_000:
        _ORDER_CACHE.clear()
    _ORDER_CACHE[keys] = ordered
    return ordered


# --- structure (emitterc.go block states) -----------------------------------------------------

_KEY_CACHE: dict[str, tuple[str, bool]] = {}


def _json_length(text: str) -> int:
    """Characters in Go's ``encoding/json`` form of ``text``, quotes included."""
    length = len(text) + 2
    for char in _JSON_ESCAPED.findall(text):
        length += 1 if char in '\\"\b\f\n\r\t' else 5
    return length


# Characters encoding/json escapes: \uXXXX for controls, <, >, &, U+2028 and U+2029.
_JSON_ESCAPED = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029]')


def _check_json_key(key: str) -> None:
    """Refuse keys that JSONToYAML's go-yaml v2 parser cannot read back as a flow-mapping key.

    A simple key must stay on one line and within 1024 characters (yaml_parser_stale_simple_keys):
    a raw NEL (which encoding/json does not escape) or a long JSON key makes kustomize fail.
    """
    if "\x85" in key or (len(key) > 170 and _json_length(key) > 1024):
        raise RenderError(f"yaml: did not find expected ',' or '}}' (mapping key {key[:40]!r}...)")


def _key_text(key: str) -> tuple[str, bool]:
    """A simple key's text (``key:``) and True, or the key for ``? key`` and False.

    yaml_emitter_check_simple_key: multi-line keys and keys over 128 bytes are not simple.
    """
    cached = _KEY_CACHE.get(key)
    if cached is not None:
        return cached
    original = key
    _check_json_key(key)
    key, style = _string(key)
    multiline = _LINE_BREAK.search(key) is not None
    long = len(key) > MAX_SIMPLE_KEY_BYTES // 4 and len(key.encode("utf-8", "surrogatepass")) > (
        MAX_SIMPLE_KEY_BYTES
    )
    if multiline or long:
        result = (key, False)
    else:
        result = (_scalar(key, style, 0, 0, allow_breaks=False), True)
    if len(_KEY_CACHE) > 50_000:
        _KEY_CACHE.clear()
    _KEY_CACHE[original] = result
    return result


class _Emitter:
    """Appends one document's text to ``out``; every line after the first starts with ``\\n``."""

    __slots__ = ("out",)

    def __init__(self) -> None:
        self.out: list[str] = []

    def value(self, value: Any, column: int, indent: int) -> None:
        """A scalar or empty collection after ``key:`` / ``-`` / ``:``, at ``column``."""
        out = self.out
        if type(value) is str:
            value, style = _string(value)
            if style == _PLAIN and len(value) + column < BEST_WIDTH:
                out.append(" " + value)
            else:
                out.append(" " + _scalar(value, style, column + 1, indent))
            return
        text = _non_string(value)
        if text is not None:
            out.append(" " + text)
        elif isinstance(value, dict):
            out.append(" {}")
        elif isinstance(value, (list, tuple)):
            out.append(" []")
        elif isinstance(value, str):  # a str subclass, such as ruamel.yaml's scalar strings
            self.value(str(value), column, indent)
        else:
            raise RenderError(f"json: unsupported type: {type(value).__name__}")

    def mapping(self, mapping: dict[Any, Any], indent: int, inline: bool) -> None:
        """A non-empty block mapping with keys at ``indent``; ``inline``: first key in place."""
        out = self.out
        newline = "\n" + " " * indent
        first = True
        for key in _sorted_keys(mapping):
            if first and inline:
                first = False
            else:
                out.append(newline)
            text, simple = _key_text(key)
            value = mapping[key]
            if simple:
                out.append(text + ":")
                column = indent + len(text) + 1
            else:
                # yaml_emitter_emit_block_mapping_key: "? key", then ":" on its own line.
                out.append("? " + _scalar(text, _cached_style(text), indent + 2, indent + 2))
                out.append(newline + ":")
                column = indent + 1
            if isinstance(value, dict) and value:
                if simple:
                    self.mapping(value, indent + 2, False)
                else:
                    out.append(" ")
                    self.mapping(value, indent + 2, True)
            elif isinstance(value, (list, tuple)) and value:
                if simple:  # indentless: "key:\n- item"
                    self.sequence(value, indent, False)
                else:
                    out.append(" ")
                    self.sequence(value, indent + 2, True)
            else:
                self.value(value, column, indent + 2)

    def sequence(self, items: Sequence[Any], indent: int, inline: bool) -> None:
        """A non-empty block sequence with ``-`` at ``indent``; ``inline``: first item in place."""
        out = self.out
        newline = "\n" + " " * indent + "-"
        first = True
        for item in items:
            if first and inline:
                out.append("-")
                first = False
            else:
                out.append(newline)
            if isinstance(item, dict) and item:
                out.append(" ")
                self.mapping(item, indent + 2, True)
            elif isinstance(item, (list, tuple)) and item:
                out.append(" ")
                self.sequence(item, indent + 2, True)
            else:
                self.value(item, indent + 1, indent + 2)

    def document(self, document: Any) -> None:
        """A whole document (normally a mapping), without the final line break."""
        if isinstance(document, dict) and document:
            self.mapping(document, 0, True)
        elif isinstance(document, (list, tuple)) and document:
            self.sequence(document, 0, True)
        else:
            # A root scalar: no leading space, continuation lines at best_indent.
            self.value(document, -1, BEST_INDENT)
            self.out[-1] = self.out[-1][1:]


# --- block scalars of the source (kyaml's go-yaml v3 round trip) -------------------------------

# go-yaml v3's analysis: tabs no longer rule out a block scalar, other non-printables do.
_V3_SPECIAL = re.compile(r"[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")


def source_block_scalar(value: str, style: str) -> str:
    """The string kustomize prints for a scalar written as a block (``|`` or ``>``) in the source.

    Before the JSON step, kyaml encodes each resource with go-yaml v3, keeping every scalar's
    source style, and parses the text again (``RNode.MarshalJSON``). That is lossless for
    literal blocks but not for folded ones: go-yaml v3's ``yaml_emitter_write_folded_scalar``
    looks at the start of the *value* (``k := 0``) instead of the next line to decide whether a
    line break needs a second one. So a line break before a more-indented line gains an empty
    line (``"(\\n  x"`` → ``"(\\n\\n  x"``), and when the value starts with a space or tab the
    breaks it should double are folded into spaces instead. A block value that starts with a tab
    has no indentation indicator and cannot be read back: kustomize fails, so this raises
    :class:`~gitopspol.errors.RenderError`.

    The renderer calls this for the scalars whose source style was ``|`` or ``>``; yamlio's
    loaded data does not carry the style. Line breaks other than ``\\n`` are left as they are.
    """
    if (
        not value
        or value[-1] == " "
        or _SPACE_BEFORE_BREAK.search(value)
        or _V3_SPECIAL.search(value) is not None
    ):
        return value  # go-yaml v3 writes these double-quoted, which reads back unchanged
    if value[0] == "\t":
        raise RenderError(
            "yaml: found a tab character where an indentation space is expected"
            f" (a block scalar that starts with a tab: {value[:40]!r})"
        )
    if style != ">" or "\u2028" in value or "\u2029" in value:
        return value
    return _read_folded(_write_folded(value), _block_hints(value)[-1:])


def _write_folded(value: str) -> str:
    """go-yaml v3's folded writer (without indentation, which the reader strips again)."""
    first = value.lstrip("\n")[:1]
    doubles = first not in ("", " ", "\t", "\x00")  # the k := 0 test, made once
    out: list[str] = []
    breaks = leading_spaces = True
    for char in value:
        if char == "\n":
            if doubles and not breaks and not leading_spaces:
                out.append("\n")
            out.append("\n")
            breaks = True
        else:
            if breaks:
                leading_spaces = char in " \t"
            out.append(char)
            breaks = False
    return "".join(out)


def _read_folded(body: str, chomping: str) -> str:
    """go-yaml v3's scanner on a folded block scalar (yaml_parser_scan_block_scalar)."""
    lines = body.split("\n")
    final_break = lines[-1] == ""
    if final_break:
        lines.pop()
    out: list[str] = []
    leading_break = ""
    leading_blank = False
    index = 0
    empty = 0
    while index < len(lines) and lines[index] == "":
        empty += 1
        index += 1
    while index < len(lines):
        line = lines[index]
        trailing_blank = line[0] in " \t"
        if leading_break and not leading_blank and not trailing_blank:
            if empty == 0:
                out.append(" ")  # a single line break folds into a space
        else:
            out.append(leading_break)
        out.append("\n" * empty)
        leading_blank = trailing_blank
        out.append(line)
        index += 1
        leading_break = "\n" if index < len(lines) or final_break else ""
        empty = 0
        while index < len(lines) and lines[index] == "":
            empty += 1
            index += 1
    if chomping != "-":
        out.append(leading_break)
    if chomping == "+":
        out.append("\n" * empty)
    return "".join(out)


def dump_documents(documents: Sequence[Any]) -> str:
    """The exact text ``kubectl kustomize`` prints for ``documents`` (Kustomize v5.5).

    Each document is JSON-compatible data (dict, list, str, int, float, bool, None) as
    :func:`gitopspol.yamlio.load_all` returns it. Documents are joined with ``---``; an empty
    list gives an empty string. Raises :class:`~gitopspol.errors.RenderError` for values
    kustomize cannot serialise either: NaN or infinite floats, non-string mapping keys and
    non-JSON types.
    """
    parts: list[str] = []
    for document in documents:
        emitter = _Emitter()
        emitter.document(document)
        emitter.out.append("\n")
        text = "".join(emitter.out)
        if _NO_BREAK in text:
            text = text.replace(_NO_BREAK + "\n", "")
        parts.append(text)
    return "---\n".join(parts)
