"""The Kustomize v5.5 build: kustomizations, bases, components, generators, transformers.

The pipeline is kustomize's (``api/internal/target/kusttarget.go``): for one kustomization,
resources are accumulated (files and nested kustomizations, depth first), then generators
run, then components are applied, then this kustomization's transformers in their fixed
order (patchesStrategicMerge, patches, namespace, namePrefix, nameSuffix, labels,
commonLabels, commonAnnotations, patchesJson6902, replicas, images, replacements,
``transformers:``). Name hashes, name back-references and vars are resolved once at the
very end of the top-level build.

Unlike kustomize's resmap (a list scanned on every append), resources are indexed by
name, so a repository with P policies and P patches builds in time close to linear in P.
A :class:`Renderer` keeps parsed files and built kustomizations, so tiers that share a base
build it once; every result it hands out is a private copy.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.errors import GitopspolError, RenderError
from gitopspol.render import merge as smp
from gitopspol.render import specs as S
from gitopspol.render.generators import content_hash, generate
from gitopspol.render.memory import paused_gc
from gitopspol.render.model import Origin, Res, Resource, deep_copy, split_api_version
from gitopspol.render.resmap import (
    CONFIG_KEYS,
    SCOPE,
    Acc,
    Config,
    ResMap,
    effective_ns,
    empty_config,
    id_text,
)
from gitopspol.render.schema import first_error
from gitopspol.render.transformers import (
    apply_json,
    apply_replacement,
    apply_smp,
    fix_name_references,
    label_specs,
    legacy_sort,
    prefix_suffix,
    resolve_vars,
    select,
    set_images,
    set_map,
    set_namespace,
    set_replicas,
)

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

_DEPRECATED = {
    "commonLabels": "'commonLabels' is deprecated. Please use 'labels' instead.",
    "bases": "'bases' is deprecated. Please use 'resources' instead.",
    "patchesStrategicMerge": "'patchesStrategicMerge' is deprecated. Please use 'patches' instead.",
    "patchesJson6902": "'patchesJson6902' is deprecated. Please use 'patches' instead.",
    "vars": "'vars' is deprecated. Please use 'replacements' instead. [EXPERIMENTAL]",
    "imageTags": "'imageTags' is deprecated. Please use 'images' instead.",
}
_FIX = " Run 'kustomize edit fix' to update your Kustomization automatically."

_REMOTE_RE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=|\.git(?:$|/|//)"
)

#: Kustomizations nested deeper than this (overlay -> base -> base ...) are refused.
#: kubectl has no limit (Go stacks grow); gitopspol builds recursively, and real
#: repositories nest a handful of levels. Kept well inside Python's recursion limit
#: (at most four frames per level), so the deepest allowed chain still has room for the
#: YAML and merge work on the deepest (256-level) documents.
MAX_NESTING = 100
#: At most this many resources, and bytes of resource files, in one kustomization's build
#: (each inclusion of a base counts again). kubectl has no limit: a tree where every level
#: includes the level below twice (through two kustomizations with different namePrefix)
#: doubles per level, and kubectl runs for hours. Counted before anything is built, so such
#: a tree is refused at once. The benchmarks' largest tier builds 2,000 resources of 3 MiB.
MAX_RESOURCES = 100_000
MAX_BYTES = 256 * 1024 * 1024

_LOCAL_CONFIG = "config.kubernetes.io/local-config"
_ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
_TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"


# ---------------------------------------------------------------------------------------
# the renderer


@dataclass(slots=True)
class _Kustomization:
    path: Path
    text: str
    data: dict[str, Any]
    lines: dict[tuple[str | int, ...], int] | None = None

    @property
    def dir(self) -> Path:
        return self.path.parent

    def where(self, *keys: str | int) -> tuple[str, int | None]:
        """(file, line) of a field of the kustomization, for error messages."""
        if self.lines is None:
            self.lines = _line_index(self.text)
        line = self.lines.get(keys)
        if line is None:
            found = yamlio.locate(self.text, 0, keys)
            line = found[0] if found else None
        return str(self.path), line


def _line_index(text: str, depth: int = 4) -> dict[tuple[str | int, ...], int]:
    """Line of every key and list item down to ``depth`` levels (one compose per file)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=_positions_loader())
    except yaml.YAMLError:
        return {}
    out: dict[tuple[str | int, ...], int] = {}
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if len(path) >= depth:
            continue
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, str(key.value))
                out[sub] = key.start_mark.line + 1
                stack.append((value, sub))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                sub = (*path, index)
                out[sub] = item.start_mark.line + 1
                stack.append((item, sub))
    return out


@functools.cache
def _positions_loader() -> Any:
    """A YAML loader for node positions only: no tags resolved (a quarter of a compose)."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class PositionsLoader(base):  # type: ignore[misc]
        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            return ""

    return PositionsLoader


class Renderer:
    """Builds kustomizations, caching parsed files and built bases by absolute path.

    One renderer is meant for one consistent state of the files (one command run). Results
    are private copies: mutating them does not affect later builds.
    """

    def __init__(self) -> None:
        self._docs: dict[Path, list[tuple[int, Any]]] = {}
        self._kusts: dict[Path, _Kustomization] = {}
        self._texts: dict[Path, str] = {}
        self._built: dict[tuple[Path, bool], Acc] = {}
        self._sizes: dict[Path, tuple[int, int]] = {}
        self._record = False  # record transformer annotations (top-level buildMetadata)
        self._reals: dict[str, str] = {}
        self._files: dict[tuple[Path, str], Path] = {}  # (kustomization, entry) -> file
        self._nonfinite = False  # a file mentions .inf or .nan: check values before output
        self.warnings: list[str] = []
        self.schema = smp.Schema()

    # -- public ---------------------------------------------------------------------------
    def build(self, path: str | Path) -> list[Resource]:
        """Build the kustomization in ``path`` like ``kubectl kustomize path``."""
        root = Path(os.path.abspath(path))
        # The schema and scope table are per build: a custom openapi schema in one tier
        # must not leak into the next (module state; one build at a time per process).
        self.schema = smp.Schema()
        SCOPE.cluster = set(S.CLUSTER_SCOPED)
        if not root.is_dir():
            raise RenderError("not a directory with a kustomization", root)
        kust = self._kustomization(root)
        self._record = "transformerAnnotations" in (kust.data.get("buildMetadata") or [])
        try:
            with paused_gc():
                self._size(root, ())
                acc = self._accumulate(root, [], top=True)
                self._finish(acc, kust)
        except RecursionError:
            # MAX_NESTING and the YAML depth limit keep builds inside the recursion limit;
            # should some path still recurse too far, it is an input error, not a crash.
            raise RenderError(
                "the build nests too deeply (Python recursion limit)", kust.path
            ) from None
        return [r.to_resource() for r in acc.resources]

    def render(self, path: str | Path) -> str:
        """Build and serialise exactly as ``kubectl kustomize`` prints."""
        resources = self.build(path)
        try:
            return dump([r.data for r in resources])
        except GitopspolError as exc:
            if exc.file is not None:
                raise
            raise RenderError(
                exc.message, self._kustomization(Path(os.path.abspath(path))).path
            ) from None

    # -- files ----------------------------------------------------------------------------
    def _text(self, path: Path) -> str:
        text = self._texts.get(path)
        if text is None:
            text = yamlio.read_text(path)
            self._texts[path] = text
        return text

    def _documents(self, path: Path) -> list[tuple[int, Any]]:
        docs = self._docs.get(path)
        if docs is None:
            text = self._text(path)
            loaded = _load_all(text, path)
            if not self._nonfinite and _NONFINITE_RE.search(text):
                self._nonfinite = True
            docs = [(i, d) for i, d in enumerate(loaded) if d is not None]
            self._docs[path] = docs
        return docs

    def _kustomization(self, directory: Path) -> _Kustomization:
        found = [directory / n for n in KUSTOMIZATION_FILES if (directory / n).is_file()]
        if not found:
            raise RenderError(
                "unable to find one of 'kustomization.yaml', 'kustomization.yml' or "
                f"'Kustomization' in directory '{directory}'",
                directory,
            )
        if len(found) > 1:
            raise RenderError(f"found multiple kustomization files under: {directory}", found[1])
        path = found[0]
        cached = self._kusts.get(path)
        if cached is not None:
            return cached
        text = self._text(path)
        docs = self._documents(path)
        if not docs:
            raise RenderError("kustomization file is empty", path, 1)
        if len(docs) > 1:
            raise RenderError("a kustomization file must hold one YAML document", path)
        data = docs[0][1]
        if not isinstance(data, dict):
            raise RenderError("a kustomization must be a mapping", path, 1)
        kust = _Kustomization(path, text, data)
        problem = first_error(data)
        if problem is not None:
            where, message = problem
            field = ".".join(map(str, where))
            raise RenderError(
                f"invalid Kustomization: {field + ': ' if field else ''}{message}",
                *kust.where(*where),
            )
        _check_yaml11_bools(kust)
        if _ANY_DATE_RE.search(text):
            _raw_timestamps(data, text)
        self._kusts[path] = kust
        return kust

    def _file(self, kust: _Kustomization, rel: Any, *where: str | int) -> Path:
        """Resolve a file named in a kustomization, enforcing the load restrictor."""

        def refuse(message: str) -> RenderError:
            return RenderError(message, *kust.where(*where))

        if not isinstance(rel, str) or not rel:
            raise refuse(f"expected a file path, got {rel!r}")
        known = self._files.get((kust.path, rel))
        if known is not None:  # the size count and the build resolve each entry
            return known
        if _REMOTE_RE.search(rel):
            raise refuse(f"remote resource {rel!r} refused: gitopspol never reaches the network")
        if os.path.isabs(rel):
            raise refuse(f"absolute path {rel!r} refused: files must be in or below {kust.dir}")
        candidate = str(kust.dir / rel)
        if not os.path.lexists(candidate):
            raise refuse(f"no such file or directory: {rel}")
        real = self._realpath(candidate)
        root = self._realpath(str(kust.dir))
        # Both are normalised absolute paths: "below" is a prefix ending at a separator.
        if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
            raise refuse(f"security: file '{real}' is not in or below '{root}' (load restrictor)")
        found = self._files[(kust.path, rel)] = Path(real)
        return found

    def _realpath(self, path: str) -> str:
        """``os.path.realpath``, each folder resolved once (a file then costs one lstat)."""
        found = self._reals.get(path)
        if found is None:
            parent, name = os.path.split(path)
            if name in ("", ".", ".."):
                found = os.path.realpath(path)
            else:
                base = self._reals.get(parent)
                if base is None:
                    base = self._reals[parent] = os.path.realpath(parent)
                joined = os.path.join(base, name)
                found = os.path.realpath(joined) if os.path.islink(joined) else joined
            self._reals[path] = found
        return found

    def _read_bytes(self, kust: _Kustomization, rel: Any, *where: str | int) -> tuple[Path, bytes]:
        path = self._file(kust, rel, *where)
        if path.is_dir():
            raise RenderError(f"{rel} is a directory, expected a file", *kust.where(*where))
        return path, path.read_bytes()

    # -- size bound -------------------------------------------------------------------------
    def _size(self, directory: Path, stack: tuple[Path, ...]) -> tuple[int, int]:
        """(resources, bytes of their files) that building ``directory`` accumulates.

        Counted from the kustomization files alone, before the build, and refused past
        :data:`MAX_RESOURCES` or :data:`MAX_BYTES` naming the entry that crosses the limit.
        An upper bound (a ``$patch: delete`` or a merging generator makes the build
        smaller). Whatever cannot be counted is skipped: the build reports it.
        """
        real = Path(os.path.realpath(directory))
        known = self._sizes.get(real)
        if known is not None:
            return known
        if real in stack or len(stack) >= MAX_NESTING:
            return 0, 0
        try:
            kust = self._kustomization(real if stack else directory)
        except GitopspolError:
            return 0, 0
        data = kust.data
        count = sum(len(data.get(f) or []) for f in ("configMapGenerator", "secretGenerator"))
        size = 0
        for fieldname in ("bases", "resources", "components", "transformers"):
            for index, entry in enumerate(data.get(fieldname) or []):
                if not isinstance(entry, str) or _REMOTE_RE.search(entry) or "\n" in entry:
                    continue
                candidate = kust.dir / entry
                if not os.path.isabs(entry) and _is_dir(candidate):
                    more = self._size(candidate, (*stack, real))
                    if fieldname == "transformers":
                        continue  # configurations, not resources of this build
                elif fieldname in ("bases", "resources"):
                    try:
                        path = self._file(kust, entry, fieldname, index)
                        docs = self._documents(path)
                        more = (sum(len(_items(d)) for _, d in docs), len(self._text(path)))
                    except GitopspolError:
                        continue
                else:
                    continue
                count, size = count + more[0], size + more[1]
                if count > MAX_RESOURCES or size > MAX_BYTES:
                    amount = f"{count} resources" if count > MAX_RESOURCES else f"{size} bytes"
                    limit = (
                        f"{MAX_RESOURCES} resources"
                        if count > MAX_RESOURCES
                        else f"{MAX_BYTES >> 20} MiB"
                    )
                    raise RenderError(
                        f"{entry!r} brings this kustomization's build to {amount}, "
                        f"more than {limit} (gitopspol's limit)",
                        *kust.where(fieldname, index),
                    )
        self._sizes[real] = (count, size)
        return count, size

    # -- accumulation ---------------------------------------------------------------------
    def _accumulate(self, directory: Path, stack: list[Path], top: bool = False) -> Acc:
        real = Path(os.path.realpath(directory))
        if real in stack:
            raise RenderError(f"cycle detected: {real} includes itself through {stack[-1]}", real)
        cached = self._built.get((real, self._record))
        if cached is not None:
            if cached.schema is not None:
                self._use_schema(cached.schema)
            return cached.copy()
        # The resolved folder, as kustomize's loader (a chain of '../x' entries would
        # otherwise grow the path past the system's limit).
        kust = self._kustomization(directory if top else real)
        if kust.data.get("kind") == "Component":
            raise RenderError(
                f"expected kind != 'Component' for path '{directory}': a Component belongs in 'components:'",
                *kust.where("kind"),
            )
        acc = Acc()
        self._target(kust, acc, [*stack, real])
        if not top:
            self._built[(real, self._record)] = acc.copy()
        return acc

    def _target(self, kust: _Kustomization, acc: Acc, stack: list[Path]) -> None:
        data = kust.data
        for key in _DEPRECATED:
            if key in data:
                self.warnings.append(_DEPRECATED[key] + _FIX)
        if data.get("helmCharts") or data.get("helmChartInflationGenerator"):
            key = "helmCharts" if data.get("helmCharts") else "helmChartInflationGenerator"
            raise RenderError(
                "helmCharts are not supported: gitopspol does not run helm", *kust.where(key)
            )
        for key in ("generators", "validators"):
            if data.get(key):
                raise RenderError(
                    f"'{key}:' plugins are not supported by gitopspol", *kust.where(key)
                )
        self._load_openapi(kust, acc)
        entries = [
            (f, i, e) for f in ("bases", "resources") for i, e in enumerate(data.get(f) or [])
        ]
        for fieldname, index, entry in entries:
            self._resource_entry(kust, acc, entry, stack, fieldname, index)
        acc.config.merge(self._configurations(kust), str(kust.path))
        acc.config.merge(self._crds(kust), str(kust.path))
        self._generators(kust, acc)
        for index, comp in enumerate(data.get("components") or []):
            self._component(kust, acc, comp, stack, index)
        self._transformers(kust, acc, stack)
        for index, var in enumerate(data.get("vars") or []):
            if not isinstance(var, dict) or not var.get("name"):
                raise RenderError("a var needs a name and an objref", *kust.where("vars", index))
            if any(v["name"] == var["name"] for v in acc.vars):
                raise RenderError(
                    f"var '{var['name']}' already encountered", *kust.where("vars", index)
                )
            declared = deep_copy(var)
            declared["$where"] = list(kust.where("vars", index))  # for error messages
            acc.vars.append(declared)

    def _resource_entry(
        self,
        kust: _Kustomization,
        acc: Acc,
        entry: Any,
        stack: list[Path],
        fieldname: str,
        index: int,
    ) -> None:
        loc = kust.where(fieldname, index)
        if not isinstance(entry, str) or not entry:
            raise RenderError(f"invalid resource entry {entry!r}", *loc)
        if _REMOTE_RE.search(entry):
            raise RenderError(
                f"remote resource {entry!r} refused: gitopspol never reaches the network", *loc
            )
        if os.path.isabs(entry):
            raise RenderError(
                f"absolute path {entry!r} refused: files must be in or below {kust.dir}", *loc
            )
        candidate = kust.dir / entry
        if candidate.is_dir():
            _check_nesting(entry, stack, loc)
            sub = self._accumulate(candidate, stack)
            acc.resources.extend(sub.resources, loc)
            acc.config.merge(sub.config, str(kust.path))
            for var in sub.vars:
                if any(v["name"] == var["name"] for v in acc.vars):
                    raise RenderError(f"var '{var['name']}' already encountered", *loc)
                acc.vars.append(var)
            return
        path = self._file(kust, entry, fieldname, index)
        acc.resources.extend(self._load_resources(path), loc)

    def _load_resources(self, path: Path) -> list[Res]:
        out: list[Res] = []
        for doc_index, doc in self._documents(path):
            for item in _items(doc):
                line = None
                if not isinstance(item, dict):
                    raise RenderError("a resource must be a mapping", path, line)
                if not item.get("kind"):
                    raise RenderError(
                        "missing kind in object", path, _doc_line(self._text(path), doc_index)
                    )
                meta = item.get("metadata")
                for key in ("labels", "annotations"):
                    if isinstance(meta, dict) and not isinstance(meta.get(key) or {}, dict):
                        raise RenderError(
                            f"metadata.{key} must be a map",
                            path,
                            _doc_line(self._text(path), doc_index),
                        )
                if not isinstance(meta, dict) or not meta.get("name"):
                    raise RenderError(
                        "missing metadata.name in object",
                        path,
                        _doc_line(self._text(path), doc_index),
                    )
                res = Res(deep_copy(item), Origin(str(path), doc_index))
                annotations = res.meta.get("annotations")
                if isinstance(annotations, dict) and not all(
                    isinstance(v, str) and not _DATE_RE.match(v) for v in annotations.values()
                ):
                    _annotation_texts(annotations, self._text(path), doc_index, item is doc)
                out.append(res)
        return out

    def _component(
        self, kust: _Kustomization, acc: Acc, entry: Any, stack: list[Path], index: int
    ) -> None:
        loc = kust.where("components", index)
        if not isinstance(entry, str) or _REMOTE_RE.search(entry) or os.path.isabs(entry):
            raise RenderError(
                f"component {entry!r} refused: only local folders are supported", *loc
            )
        directory = kust.dir / entry
        if not directory.is_dir():
            raise RenderError(f"component {entry!r} is not a directory", *loc)
        real = Path(os.path.realpath(directory))
        if real in stack:
            raise RenderError(f"cycle detected: {real} includes itself", *loc)
        _check_nesting(entry, stack, loc)
        comp = self._kustomization(real)
        if comp.data.get("kind") != "Component":
            raise RenderError(
                f"expected kind 'Component' for path '{directory}' but got "
                f"'{comp.data.get('kind') or 'Kustomization'}'",
                *loc,
            )
        self._target(comp, acc, [*stack, real])

    # -- configuration files ----------------------------------------------------------------
    def _load_openapi(self, kust: _Kustomization, acc: Acc) -> None:
        spec = kust.data.get("openapi")
        if not spec:
            return
        if not isinstance(spec, dict):
            raise RenderError("openapi must be a mapping", *kust.where("openapi"))
        version = spec.get("version")
        if version is not None and version != "v1.21.2":
            raise RenderError(
                "the specified OpenAPI version is not built in", *kust.where("openapi", "version")
            )
        if spec.get("path"):
            path = self._file(kust, spec["path"], "openapi", "path")
            docs = self._documents(path)
            custom = docs[0][1] if docs else {}
            self._use_schema(custom if isinstance(custom, dict) else {})
            acc.schema = self.schema.custom

    def _use_schema(self, custom: dict[str, Any]) -> None:
        """Make a custom OpenAPI schema current for the rest of this build (as kustomize)."""
        self.schema = smp.Schema(custom)
        SCOPE.cluster |= self.schema.cluster_scoped()

    def _configurations(self, kust: _Kustomization) -> Config:
        config = empty_config()
        for index, rel in enumerate(kust.data.get("configurations") or []):
            path = self._file(kust, rel, "configurations", index)
            for _, doc in self._documents(path):
                if not isinstance(doc, dict):
                    continue
                for key, value in doc.items():
                    src = str(path)
                    if key == "nameReference":
                        for ref in value or []:
                            config.add_name_reference(
                                S.NameBackRef(
                                    str(ref.get("kind", "")),
                                    str(ref.get("group", "")),
                                    str(ref.get("version", "")),
                                    tuple(S.parse_specs(ref.get("fieldSpecs"), src)),
                                )
                            )
                    elif key in CONFIG_KEYS:
                        name = CONFIG_KEYS[key]
                        setattr(
                            config,
                            name,
                            S.merge_specs(getattr(config, name), S.parse_specs(value, src), src),
                        )
        return config

    def _crds(self, kust: _Kustomization) -> Config:
        config = empty_config()
        for index, rel in enumerate(kust.data.get("crds") or []):
            path = self._file(kust, rel, "crds", index)
            for _, doc in self._documents(path):
                if isinstance(doc, dict):
                    _crd_config(doc, config)
        return config

    # -- generators ---------------------------------------------------------------------------
    def _generators(self, kust: _Kustomization, acc: Acc) -> None:
        options = kust.data.get("generatorOptions") or {}
        for fieldname, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for index, spec in enumerate(kust.data.get(fieldname) or []):
                loc = kust.where(fieldname, index)
                if not isinstance(spec, dict):
                    raise RenderError(f"invalid {fieldname} entry", *loc)

                def read(rel: Any, _i: int = index, _f: str = fieldname) -> tuple[Path, bytes]:
                    return self._read_bytes(kust, rel, _f, _i)

                try:
                    obj, needs_hash = generate(kind, spec, options, read, loc[0])
                except RenderError as exc:
                    raise RenderError(exc.message, *loc) from None
                behavior = spec.get("behavior") or "create"
                res = Res(obj, Origin(str(kust.path), 0, (fieldname, index), loc[1] or 0))
                res.generated = True
                res.needs_hash = needs_hash
                self._add_generated(acc, res, behavior, loc)

    def _add_generated(
        self, acc: Acc, res: Res, behavior: str, loc: tuple[str, int | None]
    ) -> None:
        matches = [
            r
            for r in acc.resources
            if r.kind == res.kind
            and r.group == res.group
            and any(
                name == res.name
                and effective_ns(r.group, r.kind, ns)
                == effective_ns(res.group, res.kind, res.namespace)
                for _, name, ns in r.ids()
            )
        ]
        if behavior == "create":
            if matches:
                raise RenderError(
                    f"may not add resource with an already registered id: {id_text(res)}", *loc
                )
            acc.resources.add(res)
            return
        if behavior not in ("merge", "replace"):
            raise RenderError(f"unknown generator behavior {behavior!r}", *loc)
        if len(matches) != 1:
            raise RenderError(f"id {id_text(res)} does not exist; cannot merge or replace", *loc)
        old = matches[0]
        if behavior == "replace":
            for key in ("data", "binaryData"):
                old.data.pop(key, None)
                if key in res.data:
                    old.data[key] = res.data[key]
        else:
            for key in ("data", "binaryData"):
                if key in res.data:
                    merged = dict(old.data.get(key) or {})
                    merged.update(res.data[key])
                    old.data[key] = merged
        for key in ("labels", "annotations"):
            extra = res.meta.get(key)
            if extra:
                old.meta[key] = {**(old.meta.get(key) or {}), **extra}
        if "immutable" in res.data:
            old.data["immutable"] = res.data["immutable"]
        if old.generated:
            old.needs_hash = old.needs_hash and res.needs_hash

    # -- transformers ------------------------------------------------------------------------
    def _transformers(self, kust: _Kustomization, acc: Acc, stack: list[Path]) -> None:
        data = kust.data
        where = str(kust.path)

        def mark(kind: str) -> None:
            if "Patch" not in kind:  # patches invalidate the indexes themselves
                acc.resources.invalidate()
            if self._record:  # the top-level buildMetadata asked for transformations
                for res in acc.resources:
                    res.transformations.append((where, kind))

        for index, entry in enumerate(data.get("patchesStrategicMerge") or []):
            self._smp_untargeted(kust, acc, entry, ("patchesStrategicMerge", index))
            mark("PatchStrategicMergeTransformer")
        for index, entry in enumerate(data.get("patches") or []):
            self._patch(kust, acc, entry, ("patches", index))
            mark("PatchTransformer")
        if data.get("namespace"):
            set_namespace(acc, str(data["namespace"]), acc.config.namespace)
            mark("NamespaceTransformer")
        if data.get("namePrefix"):
            prefix_suffix(acc, str(data["namePrefix"]), "", acc.config.name_prefix)
            mark("PrefixTransformer")
        if data.get("nameSuffix"):
            prefix_suffix(acc, "", str(data["nameSuffix"]), acc.config.name_suffix)
            mark("SuffixTransformer")
        for entry in data.get("labels") or []:
            if not entry:
                continue
            set_map(acc, entry.get("pairs") or {}, label_specs(entry, acc.config))
        if data.get("labels"):
            mark("LabelTransformer")
        if data.get("commonLabels"):
            set_map(acc, data["commonLabels"], acc.config.common_labels)
            mark("LabelTransformer")
        if data.get("commonAnnotations"):
            set_map(acc, data["commonAnnotations"], acc.config.common_annotations)
            mark("AnnotationsTransformer")
        for index, entry in enumerate(data.get("patchesJson6902") or []):
            self._patch(kust, acc, entry, ("patchesJson6902", index), json_only=True)
            mark("PatchJson6902Transformer")
        for index, entry in enumerate(data.get("replicas") or []):
            set_replicas(acc, entry, acc.config.replicas, kust.where("replicas", index))
        if data.get("replicas"):
            mark("ReplicaCountTransformer")
        for entry in [*(data.get("images") or []), *(data.get("imageTags") or [])]:
            set_images(acc, entry, acc.config.images)
        if data.get("images"):
            mark("ImageTagTransformer")
        for index, entry in enumerate(data.get("replacements") or []):
            for repl, loc in self._replacement_list(kust, entry, index):
                apply_replacement(acc, repl, loc)
        if data.get("replacements"):
            mark("ReplacementTransformer")
        for index, entry in enumerate(data.get("transformers") or []):
            self._plugin(kust, acc, entry, index, stack)

    def _replacement_list(
        self, kust: _Kustomization, entry: Any, index: int
    ) -> list[tuple[dict[str, Any], tuple[str, int | None]]]:
        loc = kust.where("replacements", index)
        if isinstance(entry, dict) and "path" in entry:
            path = self._file(kust, entry["path"], "replacements", index, "path")
            out = []
            for doc_index, doc in self._documents(path):
                items = doc if isinstance(doc, list) else [doc]
                for item in items:
                    if isinstance(item, dict):
                        out.append((item, (str(path), _doc_line(self._text(path), doc_index))))
            return out
        if not isinstance(entry, dict):
            raise RenderError("invalid replacement", *loc)
        return [(entry, loc)]

    def _patch_docs(
        self, kust: _Kustomization, entry: dict[str, Any], where: tuple[str | int, ...]
    ) -> tuple[list[tuple[Any, Origin]], bool]:
        """The patch documents of a ``patches`` entry and whether it is a JSON 6902 patch."""
        if entry.get("path") is not None and entry.get("patch") is not None:
            raise RenderError("patch and path can't be set at the same time", *kust.where(*where))
        if entry.get("path") is not None:
            path = self._file(kust, entry["path"], *where, "path")
            docs = self._documents(path)
            origins = [(doc, Origin(str(path), i)) for i, doc in docs]
            if len(docs) == 1 and isinstance(docs[0][1], list):
                ops = _yaml11_json_patch(docs[0][1], self._text(path))
                return [(ops, origins[0][1])], True
            return origins, False
        inline = entry.get("patch")
        if not isinstance(inline, str):
            raise RenderError("a patch needs 'path' or 'patch'", *kust.where(*where))
        file, line = kust.where(*where, "patch")
        try:
            # kustomize trims the inline patch text (strings.TrimSpace).
            loaded = [d for d in _load_all(inline.strip(), kust.path) if d is not None]
            self._nonfinite = self._nonfinite or bool(_NONFINITE_RE.search(inline))
        except GitopspolError as exc:
            raise RenderError(f"invalid inline patch: {exc.message}", file, line) from None
        origins = [(doc, Origin(file, 0, (), (line or 0) + 1)) for doc in loaded]
        if len(loaded) == 1 and isinstance(loaded[0], list):
            return [(_yaml11_json_patch(loaded[0], inline.strip()), origins[0][1])], True
        return origins, False

    def _patch(
        self,
        kust: _Kustomization,
        acc: Acc,
        entry: Any,
        where: tuple[str | int, ...],
        json_only: bool = False,
    ) -> None:
        loc = kust.where(*where)
        if not isinstance(entry, dict):
            raise RenderError("a patch must be a mapping", *loc)
        docs, is_json = self._patch_docs(kust, entry, where)
        target = entry.get("target")
        options = entry.get("options") or {}
        if is_json or json_only:
            if not isinstance(target, dict):
                raise RenderError("a JSON 6902 patch needs a target", *loc)
            if not docs:
                raise RenderError("empty patch", *loc)
            ops, origin = docs[0]
            if not isinstance(ops, list):
                raise RenderError("a JSON 6902 patch must be a list of operations", *loc)
            if not ops and not json_only:
                # kustomize: "illegally qualifies as both an SM and JSON patch"
                raise RenderError("an empty list is not a patch", *loc)
            for res in select(acc.resources, target, loc):
                apply_json(res, ops, origin, loc)
            return
        for doc, origin in docs:
            if not isinstance(doc, dict):
                raise RenderError("a strategic merge patch must be a mapping", *loc)
            if target is None:
                self._smp_one(acc, doc, origin, loc, options)
            else:
                for res in select(acc.resources, target, loc):
                    apply_smp(self.schema, acc, res, doc, origin, loc, options)

    def _smp_untargeted(
        self, kust: _Kustomization, acc: Acc, entry: Any, where: tuple[str | int, ...]
    ) -> None:
        loc = kust.where(*where)
        if (
            isinstance(entry, str)
            and "\n" not in entry
            and not entry.lstrip().startswith(("{", "apiVersion"))
        ):
            path = self._file(kust, entry, *where)
            docs = [(doc, Origin(str(path), i)) for i, doc in self._documents(path)]
        elif isinstance(entry, str):
            loaded = [d for d in _load_all(entry, kust.path) if d is not None]
            self._nonfinite = self._nonfinite or bool(_NONFINITE_RE.search(entry))
            docs = [(d, Origin(loc[0], 0, (), loc[1] or 0)) for d in loaded]
        else:
            raise RenderError("invalid patchesStrategicMerge entry", *loc)
        for doc, origin in docs:
            if not isinstance(doc, dict):
                raise RenderError("a strategic merge patch must be a mapping", *loc)
            self._smp_one(acc, doc, origin, loc, {})

    def _smp_one(
        self,
        acc: Acc,
        doc: dict[str, Any],
        origin: Origin,
        loc: tuple[str, int | None],
        options: dict[str, Any],
    ) -> None:
        meta = doc.get("metadata") or {}
        if not isinstance(meta, dict):
            raise RenderError("a strategic merge patch needs metadata.name", origin.file, loc[1])
        group, version = split_api_version(str(doc.get("apiVersion") or ""))
        kind = str(doc.get("kind") or "")
        name = str(meta.get("name") or "")
        ns = effective_ns(group, kind, str(meta.get("namespace") or ""))
        candidates = [
            r
            for r in acc.resources.by_name().get(name, [])
            if r.group == group
            and r.version == version
            and any(
                k == kind and n == name and effective_ns(group, k, s) == ns for k, n, s in r.ids()
            )
        ]
        if len(candidates) != 1:
            ident = f"{kind}.{version or '[noVer]'}.{group or '[noGrp]'}/{name}.{meta.get('namespace') or '[noNs]'}"
            reason = "no matches" if not candidates else "multiple matches"
            raise RenderError(
                f"no resource matches strategic merge patch {ident!r} ({reason}); failed to find unique target",
                *loc,
            )
        apply_smp(self.schema, acc, candidates[0], doc, origin, loc, options)

    def _plugin(
        self, kust: _Kustomization, acc: Acc, entry: Any, index: int, stack: list[Path]
    ) -> None:
        loc = kust.where("transformers", index)
        if not isinstance(entry, str):
            raise RenderError("invalid transformers entry", *loc)
        if "\n" in entry or entry.lstrip().startswith("apiVersion"):
            configs = [d for d in _load_all(entry, kust.path) if d is not None]
        elif not os.path.isabs(entry) and (kust.dir / entry).is_dir():
            # a kustomization whose resources are transformer configurations
            _check_nesting(entry, stack, loc)
            configs = [r.data for r in self._accumulate(kust.dir / entry, stack).resources]
        else:
            path = self._file(kust, entry, "transformers", index)
            configs = [d for _, d in self._documents(path)]
        for config in configs:
            if not isinstance(config, dict):
                raise RenderError("a transformer configuration must be a mapping", *loc)
            self._builtin(kust, acc, config, loc)

    def _builtin(
        self, kust: _Kustomization, acc: Acc, config: dict[str, Any], loc: tuple[str, int | None]
    ) -> None:
        kind = config.get("kind")
        if config.get("apiVersion") != "builtin":
            raise RenderError(
                f"transformer {kind!r} is not a builtin: gitopspol runs no plugins", *loc
            )
        fs = (
            S.parse_specs(config.get("fieldSpecs"), *loc)
            if config.get("fieldSpecs") is not None
            else None
        )
        if kind in ("PrefixSuffixTransformer", "PrefixTransformer", "SuffixTransformer"):
            prefix_suffix(
                acc,
                str(config.get("prefix") or ""),
                str(config.get("suffix") or ""),
                fs or acc.config.name_prefix,
            )
        elif kind == "LabelTransformer":
            set_map(
                acc, config.get("labels") or {}, fs if fs is not None else acc.config.common_labels
            )
        elif kind == "AnnotationsTransformer":
            set_map(
                acc,
                config.get("annotations") or {},
                fs if fs is not None else acc.config.common_annotations,
            )
        elif kind == "NamespaceTransformer":
            ns = (config.get("metadata") or {}).get("namespace") or config.get("namespace") or ""
            set_namespace(
                acc,
                str(ns),
                fs if fs is not None else acc.config.namespace,
                unset_only=bool(config.get("unsetOnly")),
            )
        elif kind == "PatchTransformer":
            self._patch(kust, acc, config, ())
        elif kind == "PatchStrategicMergeTransformer":
            for entry in config.get("paths") or []:
                self._smp_untargeted(kust, acc, entry, ())
        elif kind == "PatchJson6902Transformer":
            self._patch(kust, acc, config, (), json_only=True)
        elif kind == "ImageTagTransformer":
            set_images(
                acc, config.get("imageTag") or {}, fs if fs is not None else acc.config.images
            )
        elif kind == "ReplicaCountTransformer":
            set_replicas(
                acc, config.get("replica") or {}, fs if fs is not None else acc.config.replicas, loc
            )
        elif kind == "ReplacementTransformer":
            for repl in config.get("replacements") or []:
                apply_replacement(acc, repl, loc)
        else:
            raise RenderError(f"builtin transformer {kind!r} is not supported", *loc)

    # -- end of the build -----------------------------------------------------------------------
    def _finish(self, acc: Acc, kust: _Kustomization) -> None:
        resources = acc.resources
        for res in resources:
            if res.needs_hash:
                res.store_previous_id()
                res.name = f"{res.name}-{content_hash(res.data)}"
        fix_name_references(resources, acc.config)
        resolve_vars(resources, acc.vars, acc.config)
        kept = [
            r
            for r in resources
            if not isinstance(r.meta.get("annotations"), dict)
            or str(r.meta["annotations"].get(_LOCAL_CONFIG, "")).lower() != "true"
        ]
        if self._nonfinite:
            for res in kept:
                _check_json(res)
        meta_opts = kust.data.get("buildMetadata") or []
        sort = kust.data.get("sortOptions") or {}
        if sort.get("order") != "fifo":
            legacy = sort.get("legacySortOptions")
            if isinstance(legacy, dict):
                kept = legacy_sort(
                    kept, legacy.get("orderFirst") or [], legacy.get("orderLast") or []
                )
            else:
                kept = legacy_sort(kept)
        for res in kept:
            annotations = res.meta.get("annotations")
            if isinstance(annotations, dict):
                for key, value in annotations.items():
                    if not isinstance(value, str):
                        annotations[key] = _annotation_string(value)
            if "originAnnotations" in meta_opts:
                annotations = res.meta.setdefault("annotations", {})
                annotations[_ORIGIN_ANNOTATION] = _origin_text(res, kust.dir)
            if "transformerAnnotations" in meta_opts and res.transformations:
                annotations = res.meta.setdefault("annotations", {})
                annotations[_TRANSFORMATIONS] = "".join(
                    f"- configuredIn: {os.path.relpath(where, kust.dir)}\n  configuredBy:\n"
                    f"    apiVersion: builtin\n    kind: {kind}\n"
                    for where, kind in res.transformations
                )
            if "managedByLabel" in meta_opts:
                res.meta.setdefault("labels", {})["app.kubernetes.io/managed-by"] = (
                    "kustomize-(devel)"
                )
            if isinstance(annotations, dict) and not annotations:
                del res.meta["annotations"]
        acc.resources = ResMap(kept)


# ---------------------------------------------------------------------------------------
# helpers used by the transformers


def _items(doc: Any) -> list[Any]:
    """The resources of a document: the items of a ``...List`` kind, else the document."""
    if (
        isinstance(doc, dict)
        and str(doc.get("kind", "")).endswith("List")
        and isinstance(doc.get("items"), list)
    ):
        return doc["items"]  # type: ignore[no-any-return]
    return [doc]


def _is_dir(path: Path) -> bool:
    """``path.is_dir()``, False where the system cannot tell (a name too long)."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _check_nesting(entry: str, stack: list[Path], loc: tuple[str, int | None]) -> None:
    """Refuse a kustomization ``entry`` that would be nested deeper than :data:`MAX_NESTING`."""
    if len(stack) >= MAX_NESTING:
        raise RenderError(
            f"{entry!r} nests kustomizations more than {MAX_NESTING} levels deep "
            "(gitopspol's limit)",
            *loc,
        )


def _load_all(text: str, source: Path) -> list[Any]:
    """Every document of a YAML stream; JSON text (most JSON 6902 patches) takes a fast path.

    JSON is YAML, so both paths give the same data; JSON with duplicate keys or other
    surprises falls back to the YAML loader, which reports them.
    """
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        try:
            return [json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)]
        except (ValueError, RecursionError):
            pass
    try:
        return yamlio.load_all(text, source)
    except GitopspolError as exc:
        raise RenderError(exc.message, exc.file, exc.line) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN/Infinity: let the YAML loader decide


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_ANY_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")


_NONFINITE_RE = re.compile(r"\.(?:inf|nan)\b", re.IGNORECASE)


def _check_json(res: Res) -> None:
    """kustomize marshals every resource to JSON: ``.inf`` and ``.nan`` cannot be."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(res.data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
        elif isinstance(node, float) and (math.isinf(node) or math.isnan(node)):
            where = Origin(res.origin.file, res.origin.doc_index, path)
            raise RenderError(
                f"json: unsupported value: {node} at {'.'.join(map(str, path))} of {res.describe()}",
                *where.location(),
            )


def _annotation_string(value: Any) -> str:
    """kustomize keeps annotations as map[string]string: other values become text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return ""


def _annotation_texts(annotations: dict[str, Any], text: str, doc_index: int, whole: bool) -> None:
    """Replace non-string annotation values with their source text (kustomize reads the
    YAML node's text: ``1.0`` stays ``"1.0"``, ``0x1F`` stays ``"0x1F"``, ``~`` ``"~"``)."""
    import yaml

    if not whole:  # an item of a List: no cheap way to its node; format the value
        return
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        nodes = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError:
        return
    if doc_index >= len(nodes):
        return

    def child(node: Any, key: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    return v
        return None

    found = child(child(nodes[doc_index], "metadata"), "annotations")
    if not isinstance(found, yaml.MappingNode):
        return
    for key_node, value_node in found.value:
        key = key_node.value
        if key not in annotations:
            continue
        if isinstance(value_node, yaml.ScalarNode):
            if not value_node.style:  # plain text: what kustomize keeps
                annotations[key] = value_node.value
        elif not isinstance(annotations[key], str):
            annotations[key] = ""


def _doc_line(text: str, doc_index: int) -> int | None:
    lines = yamlio.document_lines(text)
    return lines[doc_index] if doc_index < len(lines) else None


def _origin_text(res: Res, top: Path) -> str:
    if res.generated:
        kind = "ConfigMapGenerator" if res.kind == "ConfigMap" else "SecretGenerator"
        where = os.path.relpath(res.origin.file, top)
        return f"configuredIn: {where}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {kind}\n"
    return f"path: {os.path.relpath(res.origin.file, top)}\n"


_YAML11_BOOL = re.compile(
    r"(?:^|[:\-\[{,]\s*)(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)\s*(?:$|[:,\]}#])",
    re.MULTILINE,
)
_BOOL_FIELDS = frozenset(
    {
        "includeSelectors",
        "includeTemplates",
        "disableNameSuffixHash",
        "immutable",
        "allowNameChange",
        "allowKindChange",
        "create",
    }
)


def _raw_timestamps(data: Any, text: str) -> None:
    """Unquoted dates in a kustomization keep their text, as sigs.k8s.io/yaml reads them
    (``since: 2024-01-01`` is the label value ``"2024-01-01"``, not an RFC 3339 time)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return
    stamp = "tag:yaml.org,2002:timestamp"
    stack: list[tuple[Any, Any]] = [(root, data)]
    while stack:
        node, value = stack.pop()
        if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
            for key_node, value_node in node.value:
                key = key_node.value
                if key not in value:
                    continue
                if isinstance(value_node, yaml.ScalarNode) and value_node.tag == stamp:
                    value[key] = value_node.value
                else:
                    stack.append((value_node, value[key]))
        elif isinstance(node, yaml.SequenceNode) and isinstance(value, list):
            for index, (item_node, item) in enumerate(zip(node.value, value, strict=False)):
                if isinstance(item_node, yaml.ScalarNode) and item_node.tag == stamp:
                    value[index] = item_node.value
                else:
                    stack.append((item_node, item))


_YAML11_BOOLS = frozenset(
    [
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
    ]
)


def _check_yaml11_bools(kust: _Kustomization) -> None:
    """Refuse what kustomize's YAML 1.1 decoding of a kustomization reads as a boolean.

    kustomize decodes kustomization files with sigs.k8s.io/yaml (go-yaml v2, YAML 1.1):
    unquoted ``y``/``n``/``yes``/``no``/``on``/``off`` are booleans there, so
    ``namespace: n`` or ``commonLabels: {a: yes}`` fail ("cannot unmarshal bool into ...
    string"), while resources (kyaml, YAML 1.2) keep them as strings.
    """
    if not _YAML11_BOOL.search(kust.text):
        return
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(kust.text, Loader=loader)
    except yaml.YAMLError:
        return

    def plain_bool(node: Any) -> bool:
        return isinstance(node, yaml.ScalarNode) and not node.style and node.value in _YAML11_BOOLS

    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, field_name = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if plain_bool(key):
                    raise RenderError(
                        f"invalid Kustomization: key {key.value!r} is a boolean in YAML 1.1 "
                        "(kustomize reads kustomizations as YAML 1.1); quote it",
                        kust.path,
                        key.start_mark.line + 1,
                    )
                stack.append((value, str(key.value)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, field_name) for item in node.value)
        elif plain_bool(node) and field_name not in _BOOL_FIELDS:
            raise RenderError(
                f"invalid Kustomization: {field_name}: unquoted {node.value!r} is a boolean in "
                "YAML 1.1 (kustomize reads kustomizations as YAML 1.1), not a string; quote it",
                kust.path,
                node.start_mark.line + 1,
            )


def _yaml11_json_patch(ops: list[Any], text: str) -> list[Any]:
    """A JSON 6902 patch written in YAML, read as kustomize reads it (YAML 1.1).

    kustomize converts such patches with sigs.k8s.io/yaml (go-yaml v2), so an unquoted
    ``y``/``yes``/``on`` is ``true`` and ``n``/``no``/``off`` is ``false`` there.
    """
    if text.lstrip().startswith("[") or not _YAML11_BOOL.search(text):
        return ops
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return ops

    def convert(node: Any, value: Any) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if not node.style and node.value in _YAML11_BOOLS and isinstance(value, str):
                return node.value.lower() in ("y", "yes", "on")
            return value
        if isinstance(node, yaml.SequenceNode) and isinstance(value, list):
            return [convert(n, v) for n, v in zip(node.value, value, strict=False)]
        if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
            out = dict(value)
            for key_node, value_node in node.value:
                if key_node.value in out:
                    out[key_node.value] = convert(value_node, out[key_node.value])
            return out
        return value

    converted = convert(root, ops)
    return converted if isinstance(converted, list) else ops


def _crd_config(doc: dict[str, Any], config: Config) -> None:
    """Field specs from the ``x-kubernetes-*`` extensions of OpenAPI definitions (``crds:``).

    ``object-ref-kind``/``-api-version``/``-name-key`` make name references,
    ``label-selector`` a commonLabels field, ``annotation`` a commonAnnotations field and
    ``identity`` a name prefix/suffix field (kustomize ``LoadConfigFromCRDs``).
    """
    found = doc.get("definitions")
    definitions: dict[str, Any] = found if isinstance(found, dict) else doc

    def props(name: str) -> dict[str, Any]:
        entry = definitions.get(name)
        schema = entry.get("Schema", entry) if isinstance(entry, dict) else None
        found = schema.get("properties") if isinstance(schema, dict) else None
        return found if isinstance(found, dict) else {}

    def walk(gvk: tuple[str, str, str], name: str, path: list[str], depth: int) -> None:
        if depth > 20:
            return
        for prop, value in props(name).items():
            if not isinstance(value, dict):
                continue
            here = S.FieldSpec("/".join([*path, prop]), gvk[0], gvk[1], gvk[2])
            if "x-kubernetes-label-selector" in value:
                config.common_labels = S.merge_specs(config.common_labels, [here])
            if "x-kubernetes-annotation" in value:
                config.common_annotations = S.merge_specs(config.common_annotations, [here])
            if "x-kubernetes-identity" in value:
                config.name_prefix = S.merge_specs(config.name_prefix, [here])
                config.name_suffix = S.merge_specs(config.name_suffix, [here])
            ref_kind = value.get("x-kubernetes-object-ref-kind")
            if ref_kind and "x-kubernetes-object-ref-api-version" in value:
                key = value.get("x-kubernetes-object-ref-name-key") or "name"
                fs = S.FieldSpec("/".join([*path, prop, key]), gvk[0], gvk[1], gvk[2])
                config.add_name_reference(
                    S.NameBackRef(
                        str(ref_kind),
                        "",
                        str(value.get("x-kubernetes-object-ref-api-version") or ""),
                        (fs,),
                    )
                )
            ref = value.get("$ref")
            if isinstance(ref, str) and ref in definitions:
                walk(gvk, ref, [*path, prop], depth + 1)

    for name in definitions:
        p = props(name)
        if {"kind", "apiVersion", "metadata"} <= set(p):
            head, _, kind = name.rpartition(".")
            group, _, version = head.rpartition("/")
            walk((group, version, kind), name, [], 0)


# -- serialisation --------------------------------------------------------------------------------


def dump(documents: list[dict[str, Any]]) -> str:
    """Serialise like ``kubectl kustomize`` (the shared emitter, ``render.emit``)."""
    from gitopspol.render.emit import dump_documents

    return dump_documents(documents)
