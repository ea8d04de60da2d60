"""The Kubernetes and Kyverno CEL libraries, as custom functions for ``cel-expr-python``.

The runtime brings the CEL standard library and the optional-types, strings v2, math,
encoders and bindings extensions. :mod:`.k8s` adds the Kubernetes libraries (and cel-go's
lists), :mod:`.kyverno` the Kyverno ones; :func:`function_decls` collects their
declarations for the environment.

The runtime cannot hold opaque Python objects, so a Quantity, URL, IP, CIDR, semver,
format, authorizer or image value is a CEL map with one marker key (``{"@quantity":
"1Gi"}``), and their methods are overloads on maps. :func:`plain` turns them back into
their text.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from gitopspol.engines.cel import k8s, kyverno
from gitopspol.engines.cel.decl import Decls
from gitopspol.engines.cel.k8s import AUTHORIZER, parse_quantity
from gitopspol.engines.cel.kyverno import IMAGES, RESOURCES, parse_image

__all__ = [
    "AUTHORIZER",
    "IMAGES",
    "MARKERS",
    "RESOURCES",
    "function_decls",
    "parse_image",
    "parse_quantity",
    "plain",
]

#: Marker keys of the values the libraries build.
MARKERS = k8s.MARKERS + kyverno.MARKERS


def function_decls(cel: Any) -> list[Any]:
    """The ``cel.FunctionDecl`` list of the libraries, for ``cel.NewEnv(functions=...)``."""
    decls = Decls(cel)
    return k8s.declarations(decls) + kyverno.declarations(decls)


def plain(value: Any) -> Any:
    """A value read back from the runtime as plain JSON-like Python data.

    Timestamps become RFC 3339 text, durations Go duration text (``"3600s"``), bytes text,
    and the marker maps of this library their text (``"1Gi"``).
    """
    if isinstance(value, dict):
        if len(value) == 1:
            (key,) = value
            if key in MARKERS:
                return value[key]
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, _dt.timedelta):
        return f"{value.total_seconds():g}s"
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
