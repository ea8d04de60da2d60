"""Strategic merge (kyaml semantics), JSON 6902 patches and patch target selectors.

Strategic merge follows kustomize v5.5 (kyaml ``merge2`` with the built-in Kubernetes
v1.21.2 schema), not apimachinery:

* merge keys are known only for built-in kinds; every list of an unknown kind (all CRDs,
  e.g. Kyverno ``rules``) is replaced, unless a custom ``openapi:`` schema adds keys;
* merged lists put the patch items first (in patch order), then the untouched originals;
* ``$patch: delete|replace`` work; ``$setElementOrder``, ``$retainKeys`` and
  ``$deleteFromPrimitiveList`` are not implemented and stay in the output as plain keys;
* with a two-key merge (container ports: containerPort + protocol) a key the original item
  lacks is dropped from the merged item.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from gitopspol.errors import RenderError
from gitopspol.render.model import deep_copy
from gitopspol.render.specs import BUILTIN_GROUPS

#: Marker returned when a ``$patch: delete`` removes the node.
DELETE = object()

Recorder = Callable[[str, tuple[str | int, ...]], None]

_CONTAINER_LISTS = {"containers", "initContainers", "ephemeralContainers"}

# Field name -> merge keys, for lists of the built-in schema (v1.21.2 patchMergeKey and
# listMapKeys). Lists not named here are atomic (replaced).
_BUILTIN_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "volumes": ("name",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
    "ownerReferences": ("uid",),
    "conditions": ("type",),
    "webhooks": ("name",),
    "taints": ("key", "effect"),
}


class Schema:
    """Merge keys per resource type: the built-in table plus an optional custom schema.

    A custom ``openapi: path:`` document (swagger ``definitions``) contributes the merge
    keys and scope of the kinds it defines.
    """

    def __init__(self, custom: dict[str, Any] | None = None) -> None:
        self.custom = custom or {}
        found = self.custom.get("definitions")
        self.definitions: dict[str, Any] = found if isinstance(found, dict) else {}
        self._by_gvk: dict[tuple[str, str, str], str] = {}
        for name, definition in self.definitions.items():
            if not isinstance(definition, dict):
                continue
            gvks = definition.get("x-kubernetes-group-version-kind")
            for gvk in gvks if isinstance(gvks, list) else []:
                if isinstance(gvk, dict):
                    key = (
                        str(gvk.get("group", "")),
                        str(gvk.get("version", "")),
                        str(gvk.get("kind", "")),
                    )
                    self._by_gvk[key] = name

    def cluster_scoped(self) -> set[tuple[str, str]]:
        """(group, kind) the custom schema's ``paths`` declare cluster-scoped."""
        out: set[tuple[str, str]] = set()
        namespaced: set[tuple[str, str]] = set()
        paths = self.custom.get("paths")
        for path, item in (paths if isinstance(paths, dict) else {}).items():
            if not isinstance(item, dict):
                continue
            for op in item.values():
                gvk = op.get("x-kubernetes-group-version-kind") if isinstance(op, dict) else None
                if not isinstance(gvk, dict):
                    continue
                key = (str(gvk.get("group", "")), str(gvk.get("kind", "")))
                (namespaced if "{namespace}" in path else out).add(key)
        return out - namespaced

    def list_keys(
        self, group: str, version: str, kind: str, path: tuple[str, ...]
    ) -> tuple[str, ...] | None:
        """Merge keys of the list at ``path`` (field names only) in a resource, or None."""
        definition = self._by_gvk.get((group, version, kind))
        if definition is not None:
            return self._custom_keys(definition, path)
        if group not in BUILTIN_GROUPS:
            return None
        name = path[-1]
        if name == "ports":
            if len(path) >= 2 and path[-2] in _CONTAINER_LISTS:
                return ("containerPort", "protocol")
            if kind == "Service" and path == ("spec", "ports"):
                return ("port", "protocol")
            return None
        if name == "finalizers" and path == ("metadata", "finalizers"):
            return ("",)
        keys = _BUILTIN_KEYS.get(name)
        if (
            keys
            and name in ("env", "volumeMounts", "volumeDevices")
            and (len(path) < 2 or path[-2] not in _CONTAINER_LISTS)
        ):
            return None
        return keys

    def _custom_keys(self, definition: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        node: Any = self.definitions.get(definition)
        prop: Any = None
        for part in path:
            node = self._deref(node)
            if isinstance(node, dict) and (node.get("type") == "array" or "items" in node):
                node = self._deref(node.get("items"))
            if not isinstance(node, dict):
                return None
            prop = (node.get("properties") or {}).get(part)
            if prop is None:
                return None
            node = prop
        if not isinstance(prop, dict):
            return None
        key = prop.get("x-kubernetes-patch-merge-key")
        if key and prop.get("x-kubernetes-patch-strategy", "").startswith("merge"):
            return (str(key),)
        return None

    def _deref(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            ref = str(node["$ref"]).rsplit("/", 1)[-1]
            node = self.definitions.get(ref)
        return node


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


class StrategicMerge:
    """Apply one strategic-merge patch to resources of one schema."""

    def __init__(
        self, schema: Schema, group: str, version: str, kind: str, record: Recorder | None
    ) -> None:
        self.schema = schema
        self.gvk = (group, version, kind)
        self.record = record

    def merge(self, dest: dict[str, Any], patch: dict[str, Any]) -> Any:
        """Merge ``patch`` into ``dest`` (mutated); DELETE when the patch deletes it all."""
        return self._map(dest, patch, (), (), "")

    def _note(self, pointer: str, ppath: tuple[str | int, ...]) -> None:
        if self.record is not None:
            self.record(pointer, ppath)

    def _map(
        self,
        dest: dict[str, Any],
        patch: dict[str, Any],
        names: tuple[str, ...],
        ppath: tuple[str | int, ...],
        pointer: str,
    ) -> Any:
        directive = patch.get("$patch")
        if directive == "delete":
            return DELETE
        if directive == "replace":
            self._note(pointer, ppath)
            return self._clean({k: v for k, v in patch.items() if k != "$patch"})
        for key, value in patch.items():
            if key == "$patch":
                continue
            sub = f"{pointer}/{_escape(key)}"
            sub_names = (*names, str(key))
            sub_ppath = (*ppath, key)
            if value is None:
                dest.pop(key, None)
                self._note(sub, sub_ppath)
                continue
            current = dest.get(key)
            if isinstance(value, dict):
                base = current if isinstance(current, dict) else {}
                merged = self._map(base, value, sub_names, sub_ppath, sub)
                if merged is DELETE:
                    dest.pop(key, None)
                else:
                    dest[key] = merged
                if not isinstance(current, dict):
                    self._note(sub, sub_ppath)
            elif isinstance(value, list):
                keys = self.schema.list_keys(*self.gvk, sub_names)
                if keys and isinstance(current, list):
                    dest[key] = self._list(current, value, keys, sub_names, sub_ppath, sub)
                elif keys:
                    dest[key] = self._replace_list(value)
                    self._note(sub, sub_ppath)
                else:  # an atomic list is replaced verbatim, directives included (kyaml)
                    dest[key] = value
                    self._note(sub, sub_ppath)
            else:
                dest[key] = value
                self._note(sub, sub_ppath)
        return dest

    def _replace_list(self, items: list[Any]) -> list[Any]:
        out = []
        for item in items:
            if (
                isinstance(item, dict)
                and item.get("$patch") in ("replace", "delete")
                and len(item) == 1
            ):
                continue
            out.append(self._clean(item))
        return out

    def _clean(self, value: Any) -> Any:
        """Patch content that lands in the output as is (directives on maps removed)."""
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items() if k != "$patch"}
        if isinstance(value, list):
            return [self._clean(v) for v in value]
        return value

    def _list(
        self,
        dest: list[Any],
        patch: list[Any],
        keys: tuple[str, ...],
        names: tuple[str, ...],
        ppath: tuple[str | int, ...],
        pointer: str,
    ) -> list[Any]:
        if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
            self._note(pointer, ppath)
            return self._replace_list(patch)
        if keys == ("",):  # a merged list of scalars (metadata.finalizers)
            self._note(pointer, ppath)
            return [*patch, *(v for v in dest if v not in patch)]
        secondary = keys[1:]
        if secondary and any(
            isinstance(i, dict) and any(k in i for k in secondary) for i in (*patch, *dest)
        ):
            return self._multi_key_list(dest, patch, keys, names, ppath, pointer)
        used: set[int] = set()
        head: list[Any] = []
        primary = keys[0]
        for index, item in enumerate(patch):
            if isinstance(item, dict) and primary not in item:
                # kyaml looks the item up by an empty key, finds nothing, and its delete of
                # that empty key matches every original item that has the key: they go.
                used.update(j for j, d in enumerate(dest) if isinstance(d, dict) and primary in d)
                continue
            if not isinstance(item, dict):
                head.append(self._clean(item))
                continue
            found = None
            for j, candidate in enumerate(dest):
                if j in used or not isinstance(candidate, dict):
                    continue
                if candidate.get(primary) != item.get(primary):
                    continue
                if all(
                    k not in candidate or k not in item or candidate[k] == item[k] for k in keys[1:]
                ):
                    found = j
                    break
            if item.get("$patch") == "delete":
                if found is not None:
                    used.add(found)
                continue
            position = len(head)
            sub = f"{pointer}/{position}"
            if found is None:
                merged = self._map({}, item, names, (*ppath, index), sub)
                self._note(sub, (*ppath, index))
            else:
                used.add(found)
                original = dest[found]
                had = set(original)
                merged = self._map(original, item, names, (*ppath, index), sub)
                if merged is not DELETE:
                    # kyaml keeps the original's key set for secondary merge keys.
                    for extra in keys[1:]:
                        if extra not in had:
                            merged.pop(extra, None)
            if merged is DELETE:
                continue
            head.append(merged)
        return head + [item for j, item in enumerate(dest) if j not in used]

    def _multi_key_list(
        self,
        dest: list[Any],
        patch: list[Any],
        keys: tuple[str, ...],
        names: tuple[str, ...],
        ppath: tuple[str | int, ...],
        pointer: str,
    ) -> list[Any]:
        """A list with several merge keys (``ports``: containerPort/port + protocol).

        kyaml then matches an item on every key both sides have: equal keys merge, a key
        only one side has leaves the original unchanged and drops the patch item, a
        different value is another item. New items come first (patch order), then the
        original items in their order (observed with kubectl; see kubectl_cases.yaml).
        """
        primary, secondary = keys[0], keys[1:]

        def relation(item: dict[str, Any], candidate: Any) -> str | None:
            if not isinstance(candidate, dict) or candidate.get(primary) != item.get(primary):
                return None
            partial = False
            for key in secondary:
                if key in item and key in candidate:
                    if item[key] != candidate[key]:
                        return None
                elif key in item or key in candidate:
                    partial = True
            return "partial" if partial else "full"

        plan: list[tuple[str, int, int]] = []  # (action, patch index, dest index)
        for index, item in enumerate(patch):
            if not isinstance(item, dict) or primary not in item:
                plan.append(("new", index, -1))
                continue
            relations = [relation(item, candidate) for candidate in dest]
            full = relations.index("full") if "full" in relations else -1
            if item.get("$patch") == "delete":
                if full >= 0:
                    plan.append(("delete", index, full))
            elif full >= 0:
                plan.append(("merge", index, full))
            elif "partial" not in relations:
                plan.append(("new", index, -1))
        deleted = {j for action, _, j in plan if action == "delete"}
        new = [i for action, i, _ in plan if action == "new"]
        kept = [j for j in range(len(dest)) if j not in deleted]
        position = {j: len(new) + rank for rank, j in enumerate(kept)}
        out: list[Any] = []
        for rank, index in enumerate(new):
            item = patch[index]
            sub = f"{pointer}/{rank}"
            if isinstance(item, dict):
                out.append(self._map({}, item, names, (*ppath, index), sub))
            else:
                out.append(self._clean(item))
            self._note(sub, (*ppath, index))
        merged = {j: dest[j] for j in kept}
        for action, index, j in plan:
            if action == "merge" and j in merged:
                result = self._map(
                    merged[j], patch[index], names, (*ppath, index), f"{pointer}/{position[j]}"
                )
                if result is DELETE:
                    deleted.add(j)
                else:
                    merged[j] = result
        return out + [merged[j] for j in kept if j not in deleted]


def strategic_merge(
    schema: Schema,
    resource: dict[str, Any],
    patch: dict[str, Any],
    record: Recorder | None = None,
) -> Any:
    """Merge ``patch`` into ``resource`` in place; DELETE when the whole resource goes."""
    from gitopspol.render.model import split_api_version

    group, version = split_api_version(str(resource.get("apiVersion") or ""))
    merger = StrategicMerge(schema, group, version, str(resource.get("kind") or ""), record)
    return merger.merge(resource, deep_copy(patch))


# -- JSON 6902 -------------------------------------------------------------------------


class PatchError(RenderError):
    """A JSON 6902 operation that does not apply."""


def _kubectl_path(path: Any) -> Any:
    """A path as kubectl's evanphx/json-patch reads it: split at ``/``, first segment
    dropped, so ``spec/replicas`` is ``/replicas`` (not an error, as RFC 6901 would have it)."""
    if isinstance(path, str) and not path.startswith("/") and "/" in path:
        return path[path.index("/") :]
    return path


def _pointer(path: Any, op: str) -> list[str]:
    if not isinstance(path, str):
        raise PatchError(f"invalid JSON pointer {path!r}")
    if path == "":
        return []
    if not path.startswith("/"):  # no '/' at all: evanphx/json-patch finds no parent
        shown = f'"{path}"' if op in ("add", "remove") else path  # its wording, per op
        raise PatchError(f"{op} operation does not apply: doc is missing path: {shown}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], op: str, path: str) -> Any:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict):
            if part not in node:
                raise PatchError(f"{op} operation does not apply: doc is missing path: {path}")
            node = node[part]
        elif isinstance(node, list):
            index = _index(part, len(node) - 1, op, path)
            node = node[index]
        else:
            raise PatchError(f"{op} operation does not apply: doc is missing path: {path}")
    return node


def _index(part: str, upper: int, op: str, path: str) -> int:
    """An array index at most ``upper``, read as evanphx/json-patch reads it (kubectl): Go's
    ``strconv.Atoi`` (``01`` and ``+1`` are 1), and a negative index counts from the end
    (``-1`` is the last item; for ``add``, which may insert after it, the new last)."""
    if not re.fullmatch(r"[+-]?[0-9]+", part, flags=re.ASCII):
        raise PatchError(f"{op} operation does not apply: invalid array index {part!r} in {path}")
    index = int(part)
    if index < 0:
        index += upper + 1
    if not 0 <= index <= upper:
        raise PatchError(f"{op} operation does not apply: index out of range in {path}")
    return index


def _get(doc: Any, path: str, op: str) -> Any:
    parts = _pointer(path, op)
    if not parts:
        return doc
    parent = _parent(doc, parts, op, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{op} operation does not apply: doc is missing key: {path}")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(last, len(parent) - 1, op, path)]
    raise PatchError(f"{op} operation does not apply: doc is missing path: {path}")


def _remove(doc: Any, path: str, op: str) -> Any:
    parts = _pointer(path, op)
    if not parts:  # kubectl: 'doc is missing path: "": missing value'
        raise PatchError(f'{op} operation does not apply: doc is missing path: ""')
    parent = _parent(doc, parts, op, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{op} operation does not apply: doc is missing key: {path}")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(last, len(parent) - 1, op, path))
    raise PatchError(f"{op} operation does not apply: doc is missing path: {path}")


def _add(doc: Any, path: str, value: Any, op: str, replace: bool = False) -> Any:
    parts = _pointer(path, op)
    if not parts:
        # kubectl replaces the whole document only for 'replace'; add, move and copy to ""
        # find no parent ('add operation does not apply: doc is missing path: ""').
        if replace:
            return value
        raise PatchError(f'{op} operation does not apply: doc is missing path: ""')
    parent = _parent(doc, parts, op, path)
    last = parts[-1]
    if isinstance(parent, dict):
        # evanphx/json-patch (kustomize's): replace of a missing key in an existing map adds it
        parent[last] = value
    elif isinstance(parent, list):
        if replace:
            parent[_index(last, len(parent) - 1, op, path)] = value
        elif last == "-":
            parent.append(value)
        else:
            parent.insert(_index(last, len(parent), op, path), value)
    else:
        raise PatchError(f"{op} operation does not apply: doc is missing path: {path}")
    return doc


def json_patch(
    doc: dict[str, Any], ops: list[Any], record: Recorder | None = None
) -> dict[str, Any]:
    """Apply RFC 6902 operations to ``doc`` (mutated) and return it."""
    for index, op in enumerate(ops):
        if not isinstance(op, dict):
            raise PatchError(f"JSON patch operation {index} is not an object")
        name = op.get("op")
        path = _kubectl_path(str(op.get("path", "")))
        source = _kubectl_path(str(op.get("from", "")))
        if name == "add":
            doc = _add(doc, path, deep_copy(op.get("value")), "add")
        elif name == "remove":
            _remove(doc, path, "remove")
        elif name == "replace":
            doc = _add(doc, path, deep_copy(op.get("value")), "replace", replace=True)
        elif name == "move":
            value = _remove(doc, source, "move")
            doc = _add(doc, path, value, "move")
        elif name == "copy":
            value = deep_copy(_get(doc, source, "copy"))
            doc = _add(doc, path, value, "copy")
        elif name == "test":
            if _get(doc, path, "test") != op.get("value"):
                raise PatchError(f"testing value {path} failed")
        else:
            raise PatchError(f"Unexpected kind: {name}")
        if record is not None and name != "test":
            if path.endswith("/-"):  # appended: the new last item
                parent = _get(doc, path[:-2], name)
                path = f"{path[:-2]}/{len(parent) - 1}" if isinstance(parent, list) else path
            record(path, (index,))
    return doc


# -- selectors -------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def go_regex(text: str) -> Any | None:
    """Compile ``text`` with RE2 (Go regexp semantics, linear-time matching); None if refused."""
    import os

    import re2

    # RE2 logs its own parse errors on fd 2 (absl); keep stderr to our one-line error.
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        return re2.compile(text)
    except Exception:
        return None
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@functools.lru_cache(maxsize=16384)
def anchored(pattern: str) -> Any:
    """RE2 regex anchored as kustomize anchors selector fields: ``^(?:...)$``.

    Cached: every patch target names its kind and name, and with thousands of distinct
    names Python's own ``re`` cache (512 entries) would recompile the syntax check each time.
    """
    anchored_text = f"^(?:{pattern})$"
    literal = not _REGEX_META & set(pattern)
    try:
        if not literal:  # a literal is always valid Python regex syntax
            re.compile(anchored_text)
    except re.error as exc:
        raise RenderError(f"invalid regex {pattern!r} in target selector: {exc}") from None
    compiled = go_regex(anchored_text)
    if compiled is None:
        raise RenderError(f"invalid regex {pattern!r} in target selector (RE2)")
    if literal:
        return _Literal(pattern)  # most targets: a string comparison instead of an RE2 call
    return compiled


#: Characters with a meaning in RE2 syntax; a pattern without them matches only itself.
_REGEX_META = frozenset("\\.+*?()|[]{}^$")


class _Literal:
    """An anchored pattern without metacharacters: matches exactly its own text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def match(self, value: str) -> bool:
        """Whether ``value`` is the text (what the anchored RE2 pattern matches)."""
        return value == self.text


_REQ_RE = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9_.\-/]+)\s*"
    r"(?:(?P<op>==|!=|=|\s+in\s+|\s+notin\s+)\s*(?P<val>\([^)]*\)|[^,]*))?\s*$"
)


def split_outside(text: str, sep: str, brackets: str) -> list[str]:
    """Split ``text`` at ``sep`` where it is not inside a ``brackets`` pair (e.g. ``"()"``)."""
    opening, closing = brackets[0], brackets[1]
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _split_selector(text: str) -> list[str]:
    return [p for p in split_outside(text, ",", "()") if p.strip()]


def label_selector_matches(selector: str, labels: dict[str, Any]) -> bool:
    """Kubernetes label-selector syntax (equality- and set-based) against ``labels``."""
    for requirement in _split_selector(selector):
        m = _REQ_RE.match(requirement)
        if m is None:
            raise RenderError(f"invalid label selector {selector!r}")
        key = m["key"]
        op = (m["op"] or "").strip()
        if m["neg"]:
            if key in labels:
                return False
            continue
        if not op:
            if key not in labels:
                return False
            continue
        raw = (m["val"] or "").strip()
        if op in ("in", "notin") and not (raw.startswith("(") and raw.endswith(")")):
            raise RenderError(f"invalid label selector {selector!r}: expected '(' after {op}")
        if op in ("in", "notin"):
            values = {v.strip() for v in raw.strip("()").split(",") if v.strip()}
            present = key in labels and str(labels[key]) in values
            if (op == "in") != present:
                return False
        elif op in ("=", "=="):
            if key not in labels or str(labels[key]) != raw:
                return False
        elif key in labels and str(labels[key]) == raw:
            return False
    return True
