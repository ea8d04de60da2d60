"""configMapGenerator / secretGenerator and the content hash kustomize appends to names."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from gitopspol.errors import RenderError

_HASH_MAP = str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"})


def _go_json(value: Any) -> str:
    """JSON as Go's ``encoding/json`` writes it (sorted keys, compact, HTML-escaped)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def content_hash(data: dict[str, Any]) -> str:
    """The 10-character suffix kustomize computes for a ConfigMap or Secret."""
    kind = data.get("kind")
    # kustomize v5 hashes with an empty name (observed: the suffix does not depend on it).
    name = ""
    if kind == "ConfigMap":
        encoded: dict[str, Any] = {
            "kind": "ConfigMap",
            "name": name,
            "data": data.get("data") or "",  # an empty map hashes as "" (observed)
        }
        if data.get("binaryData"):
            encoded["binaryData"] = data["binaryData"]
    else:
        encoded = {
            "kind": "Secret",
            "type": data.get("type", ""),
            "name": name,
            "data": data.get("data") or {},
        }
    digest = hashlib.sha256(_go_json(encoded).encode("utf-8")).hexdigest()
    return digest[:10].translate(_HASH_MAP)


def _strip_quotes(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _literal(entry: Any, source: str) -> tuple[str, str]:
    if not isinstance(entry, str) or "=" not in entry:
        raise RenderError(f"invalid literal {entry!r}: expected KEY=VALUE", source)
    key, _, value = entry.partition("=")
    return key, _strip_quotes(value)


def _env_pairs(path: Path, text: str, source: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            # kustomize would read the process environment; gitopspol never does.
            raise RenderError(f"{path.name}:{number}: env line {raw!r} has no '='", source)
        key, _, value = line.partition("=")
        pairs.append((key, value))
    return pairs


def generate(
    kind: str,
    spec: dict[str, Any],
    options: dict[str, Any],
    read: Any,
    source: str,
) -> tuple[dict[str, Any], bool]:
    """Build the generated object and say whether it needs a hash suffix.

    ``read(path) -> (Path, bytes)`` loads a file through the load restrictor.
    """
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise RenderError(f"a {kind} generator needs a name", source)
    items: list[tuple[str, str | bytes]] = []
    for entry in spec.get("literals") or []:
        items.append(_literal(entry, source))
    env_files = list(spec.get("envs") or [])
    if spec.get("env"):
        env_files.append(spec["env"])
    for env in env_files:
        path, raw = read(env)
        text = raw.decode("utf-8", "replace")
        items.extend(_env_pairs(path, text[1:] if text.startswith("\ufeff") else text, source))
    for entry in spec.get("files") or []:
        if not isinstance(entry, str):
            raise RenderError(f"invalid file entry {entry!r}", source)
        key, sep, rel = entry.partition("=")
        if not sep:
            rel, key = entry, Path(entry).name
        path, raw = read(rel)
        items.append((key, raw))
    data: dict[str, str] = {}
    binary: dict[str, str] = {}
    for key, value in items:
        if key in data or key in binary:
            raise RenderError(f"configmap {name} illegally repeats the key `{key}`", source)
        if kind == "Secret":
            raw_bytes = value if isinstance(value, bytes) else value.encode("utf-8")
            data[key] = _wrapped_base64(raw_bytes)
        elif isinstance(value, bytes):
            try:
                data[key] = value.decode("utf-8")
            except UnicodeDecodeError:
                binary[key] = base64.b64encode(value).decode("ascii")
        else:
            data[key] = value
    meta: dict[str, Any] = {"name": name}
    if spec.get("namespace"):
        meta["namespace"] = spec["namespace"]
    merged = merge_options(options, spec.get("options") or {})
    if merged.get("labels"):
        meta["labels"] = dict(merged["labels"])
    if merged.get("annotations"):
        meta["annotations"] = dict(merged["annotations"])
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": meta}
    if kind == "Secret":
        obj["type"] = spec.get("type") or "Opaque"
    if data or kind == "Secret":  # an empty generated Secret keeps data: {} (observed)
        obj["data"] = data
    if binary:
        obj["binaryData"] = binary
    if merged.get("immutable"):
        obj["immutable"] = True
    return obj, not merged.get("disableNameSuffixHash", False)


def _wrapped_base64(raw: bytes) -> str:
    """Secret data as kustomize writes it: base64 in 70-character lines once it is longer.

    Each line then ends with a newline (observed with kubectl v1.32 / Kustomize v5.5).
    """
    text = base64.b64encode(raw).decode("ascii")
    if len(text) <= 70:
        return text
    return "".join(text[i : i + 70] + "\n" for i in range(0, len(text), 70))


def merge_options(global_opts: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
    """generatorOptions merged with a generator's own options (the local value wins)."""
    out = dict(global_opts)
    for key in ("labels", "annotations"):
        if local.get(key) or global_opts.get(key):
            out[key] = {**(global_opts.get(key) or {}), **(local.get(key) or {})}
    for key in ("disableNameSuffixHash", "immutable"):
        if key in local:
            out[key] = local[key]
    return out
