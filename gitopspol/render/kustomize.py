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

import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.errors import GitopspolError, RenderError
from gitopspol.render import merge as smp
from gitopspol.render import specs as S
from gitopspol.render.generators import content_hash, generate
from gitopspol.render.model import Origin, Res, Resource, deep_copy, split_api_version
from gitopspol.render.schema import first_error

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

_LOCAL_CONFIG = "config.kubernetes.io/local-config"
_ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
_TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"


# ---------------------------------------------------------------------------------------
# transformer configuration (field specs), merged across the whole build


@dataclass(slots=True)
class Config:
    """kustomize's TransformerConfig: the field specs every builtin transformer uses."""

    name_prefix: list[S.FieldSpec] = field(default_factory=lambda: list(S.NAME_PREFIX))
    name_suffix: list[S.FieldSpec] = field(default_factory=lambda: list(S.NAME_SUFFIX))
    common_labels: list[S.FieldSpec] = field(default_factory=lambda: list(S.COMMON_LABELS))
    template_labels: list[S.FieldSpec] = field(default_factory=lambda: list(S.TEMPLATE_LABELS))
    common_annotations: list[S.FieldSpec] = field(
        default_factory=lambda: list(S.COMMON_ANNOTATIONS)
    )
    namespace: list[S.FieldSpec] = field(default_factory=lambda: list(S.NAMESPACE))
    var_reference: list[S.FieldSpec] = field(default_factory=lambda: list(S.VAR_REFERENCE))
    name_reference: list[S.NameBackRef] = field(default_factory=lambda: list(S.NAME_REFERENCES))
    images: list[S.FieldSpec] = field(default_factory=lambda: list(S.IMAGES))
    replicas: list[S.FieldSpec] = field(default_factory=lambda: list(S.REPLICAS))

    _LISTS = (
        "name_prefix",
        "name_suffix",
        "common_labels",
        "template_labels",
        "common_annotations",
        "namespace",
        "var_reference",
        "images",
        "replicas",
    )

    def copy(self) -> Config:
        """A shallow copy (field specs are immutable)."""
        out = Config()
        for name in self._LISTS:
            setattr(out, name, list(getattr(self, name)))
        out.name_reference = list(self.name_reference)
        return out

    def merge(self, other: Config, source: str = "") -> None:
        """Merge another configuration into this one (kustomize ``MergeConfig``)."""
        for name in self._LISTS:
            setattr(self, name, S.merge_specs(getattr(self, name), getattr(other, name), source))
        for ref in other.name_reference:
            self.add_name_reference(ref)

    def add_name_reference(self, ref: S.NameBackRef) -> None:
        """Add referrer field specs for a referenced kind."""
        for index, existing in enumerate(self.name_reference):
            if (existing.kind, existing.group, existing.version) == (
                ref.kind,
                ref.group,
                ref.version,
            ):
                merged = tuple(S.merge_specs(list(existing.referrers), ref.referrers))
                self.name_reference[index] = S.NameBackRef(ref.kind, ref.group, ref.version, merged)
                return
        self.name_reference.append(ref)


_CONFIG_KEYS = {
    "namePrefix": "name_prefix",
    "nameSuffix": "name_suffix",
    "commonLabels": "common_labels",
    "templateLabels": "template_labels",
    "commonAnnotations": "common_annotations",
    "namespace": "namespace",
    "varReference": "var_reference",
    "images": "images",
    "replicas": "replicas",
}


def _empty_config() -> Config:
    out = Config()
    for name in Config._LISTS:
        setattr(out, name, [])
    out.name_reference = []
    return out


# ---------------------------------------------------------------------------------------
# the accumulated build of one kustomization


class ResMap:
    """Resources in accumulation order, with cached indexes by id and by name.

    The indexes are rebuilt lazily after :meth:`invalidate` (called whenever resources
    are renamed, added or removed), so selecting a patch target costs a dict lookup instead
    of kustomize's scan of every resource.
    """

    def __init__(self, items: Iterable[Res] = ()) -> None:
        self.items: list[Res] = list(items)
        self._keys: set[tuple[str, str, str, str, str]] | None = None
        self._names: dict[str, list[Res]] | None = None

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def invalidate(self) -> None:
        """Forget the indexes (names or membership changed)."""
        self._keys = None
        self._names = None

    def by_name(self) -> dict[str, list[Res]]:
        """Resources by every name they had (original, intermediate and current)."""
        if self._names is None:
            index: dict[str, list[Res]] = {}
            for res in self.items:
                for name in {res.name, *(p[1] for p in res.prev)}:
                    index.setdefault(name, []).append(res)
            self._names = index
        return self._names

    def remove(self, res: Res) -> None:
        """Drop a resource (a ``$patch: delete``)."""
        self.items = [r for r in self.items if r is not res]
        self.invalidate()

    def add(self, res: Res) -> None:
        """Append without an id check (generators check themselves)."""
        self.items.append(res)
        self.invalidate()

    def extend(self, other: Iterable[Res], where: tuple[str | None, int | None]) -> None:
        """Append resources, refusing a second resource with an id already present."""
        if self._keys is None:
            self._keys = {_cur_key(r) for r in self.items}
        seen = self._keys
        for res in other:
            key = _cur_key(res)
            if key in seen:
                raise RenderError(
                    f"may not add resource with an already registered id: {_id_text(res)}", *where
                )
            seen.add(key)
            self.items.append(res)
        self._names = None


@dataclass(slots=True)
class Acc:
    """What building a kustomization yields: resources, merged config, declared vars."""

    resources: ResMap = field(default_factory=ResMap)
    config: Config = field(default_factory=Config)
    vars: list[dict[str, Any]] = field(default_factory=list)
    #: a custom ``openapi:`` schema met in this subtree (re-applied when reused from cache)
    schema: dict[str, Any] | None = None

    def copy(self) -> Acc:
        """A private copy (resources deep-copied)."""
        return Acc(
            ResMap(r.copy() for r in self.resources),
            self.config.copy(),
            deep_copy(self.vars),
            self.schema,
        )


# ---------------------------------------------------------------------------------------
# ids and scope


class Scope:
    """Which kinds are cluster-scoped: kustomize's precomputed table plus custom schemas."""

    def __init__(self) -> None:
        self.cluster: set[tuple[str, str]] = set(S.CLUSTER_SCOPED)

    def is_cluster(self, group: str, kind: str) -> bool:
        """Whether resources of this group and kind have no namespace."""
        return (group, kind) in self.cluster


_SCOPE = Scope()


def _effective_ns(group: str, kind: str, namespace: str, scope: Scope = _SCOPE) -> str:
    if scope.is_cluster(group, kind):
        return "_cluster_"
    return namespace or "default"


def _cur_key(res: Res) -> tuple[str, str, str, str, str]:
    return (
        res.group,
        res.version,
        res.kind,
        res.name,
        _effective_ns(res.group, res.kind, res.namespace),
    )


def _id_text(res: Res) -> str:
    group = res.group or "[noGrp]"
    ns = res.namespace or "[noNs]"
    return f"{res.kind}.{res.version or '[noVer]'}.{group}/{res.name}.{ns}"


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

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
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


class Renderer:
    """Builds kustomizations, caching parsed files and built bases by absolute path.

    One renderer is meant for one consistent state of the files (one command run). Results
    are private copies: mutating them does not affect later builds.
    """

    def __init__(self) -> None:
        self._docs: dict[Path, list[tuple[int, Any]]] = {}
        self._texts: dict[Path, str] = {}
        self._built: dict[tuple[Path, bool], Acc] = {}
        self._record = False  # record transformer annotations (top-level buildMetadata)
        self._reals: dict[str, str] = {}
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
        _SCOPE.cluster = set(S.CLUSTER_SCOPED)
        if not root.is_dir():
            raise RenderError("not a directory with a kustomization", root)
        kust = self._kustomization(root)
        self._record = "transformerAnnotations" in (kust.data.get("buildMetadata") or [])
        acc = self._accumulate(root, [], top=True)
        self._finish(acc, kust)
        return [r.to_resource() for r in acc.resources]

    def render(self, path: str | Path) -> str:
        """Build and serialise exactly as ``kubectl kustomize`` prints."""
        resources = self.build(path)
        try:
            return dump([r.data for r in resources])
        except GitopspolError as exc:
            if exc.file is not None:
                raise
            raise RenderError(exc.message, self._kustomization(Path(path)).path) from None

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
        return kust

    def _file(self, kust: _Kustomization, rel: Any, *where: str | int) -> Path:
        """Resolve a file named in a kustomization, enforcing the load restrictor."""

        def refuse(message: str) -> RenderError:
            return RenderError(message, *kust.where(*where))

        if not isinstance(rel, str) or not rel:
            raise refuse(f"expected a file path, got {rel!r}")
        if _REMOTE_RE.search(rel):
            raise refuse(f"remote resource {rel!r} refused: gitopspol never reaches the network")
        if os.path.isabs(rel):
            raise refuse(f"absolute path {rel!r} refused: files must be in or below {kust.dir}")
        candidate = kust.dir / rel
        if not os.path.lexists(candidate):
            raise refuse(f"no such file or directory: {rel}")
        real = Path(self._realpath(str(candidate)))
        root = Path(self._realpath(str(kust.dir)))
        if real != root and root not in real.parents:
            raise refuse(f"security: file '{real}' is not in or below '{root}' (load restrictor)")
        return real

    def _realpath(self, path: str) -> str:
        """``os.path.realpath`` with the folders' answers cached (one lstat per file)."""
        found = self._reals.get(path)
        if found is None:
            parent, name = os.path.split(path)
            if parent in self._reals and name not in ("", ".", "..") and not os.path.islink(path):
                found = os.path.join(self._reals[parent], name)
            else:
                found = os.path.realpath(path)
            if os.path.isdir(found):
                self._reals[path] = found
        return found

    def _read_bytes(self, kust: _Kustomization, rel: Any, *where: str | int) -> tuple[Path, bytes]:
        path = self._file(kust, rel, *where)
        if path.is_dir():
            raise RenderError(f"{rel} is a directory, expected a file", *kust.where(*where))
        return path, path.read_bytes()

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
        kust = self._kustomization(directory)
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
        self._transformers(kust, acc)
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
            items = [doc]
            if (
                isinstance(doc, dict)
                and str(doc.get("kind", "")).endswith("List")
                and isinstance(doc.get("items"), list)
            ):
                items = doc["items"]
            for item in items:
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
        comp = self._kustomization(directory)
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
        _SCOPE.cluster |= self.schema.cluster_scoped()

    def _configurations(self, kust: _Kustomization) -> Config:
        config = _empty_config()
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
                    elif key in _CONFIG_KEYS:
                        name = _CONFIG_KEYS[key]
                        setattr(
                            config,
                            name,
                            S.merge_specs(getattr(config, name), S.parse_specs(value, src), src),
                        )
        return config

    def _crds(self, kust: _Kustomization) -> Config:
        config = _empty_config()
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
                and _effective_ns(r.group, r.kind, ns)
                == _effective_ns(res.group, res.kind, res.namespace)
                for _, name, ns in r.ids()
            )
        ]
        if behavior == "create":
            if matches:
                raise RenderError(
                    f"may not add resource with an already registered id: {_id_text(res)}", *loc
                )
            acc.resources.add(res)
            return
        if behavior not in ("merge", "replace"):
            raise RenderError(f"unknown generator behavior {behavior!r}", *loc)
        if len(matches) != 1:
            raise RenderError(f"id {_id_text(res)} does not exist; cannot merge or replace", *loc)
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
    def _transformers(self, kust: _Kustomization, acc: Acc) -> None:
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
            _namespace(acc, str(data["namespace"]), acc.config.namespace)
            mark("NamespaceTransformer")
        if data.get("namePrefix"):
            _prefix_suffix(acc, str(data["namePrefix"]), "", acc.config.name_prefix)
            mark("PrefixTransformer")
        if data.get("nameSuffix"):
            _prefix_suffix(acc, "", str(data["nameSuffix"]), acc.config.name_suffix)
            mark("SuffixTransformer")
        for entry in data.get("labels") or []:
            if not entry:
                continue
            _set_map(acc, entry.get("pairs") or {}, _label_specs(entry, acc.config))
        if data.get("labels"):
            mark("LabelTransformer")
        if data.get("commonLabels"):
            _set_map(acc, data["commonLabels"], acc.config.common_labels)
            mark("LabelTransformer")
        if data.get("commonAnnotations"):
            _set_map(acc, data["commonAnnotations"], acc.config.common_annotations)
            mark("AnnotationsTransformer")
        for index, entry in enumerate(data.get("patchesJson6902") or []):
            self._patch(kust, acc, entry, ("patchesJson6902", index), json_only=True)
            mark("PatchJson6902Transformer")
        for index, entry in enumerate(data.get("replicas") or []):
            _replicas(acc, entry, acc.config.replicas, kust.where("replicas", index))
        if data.get("replicas"):
            mark("ReplicaCountTransformer")
        for entry in [*(data.get("images") or []), *(data.get("imageTags") or [])]:
            _images(acc, entry, acc.config.images)
        if data.get("images"):
            mark("ImageTagTransformer")
        for index, entry in enumerate(data.get("replacements") or []):
            for repl, loc in self._replacement_list(kust, entry, index):
                _replacement(acc, repl, loc)
        if data.get("replacements"):
            mark("ReplacementTransformer")
        for index, entry in enumerate(data.get("transformers") or []):
            self._plugin(kust, acc, entry, index)

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
            ops, origin = docs[0]
            if not isinstance(ops, list):
                raise RenderError("a JSON 6902 patch must be a list of operations", *loc)
            for res in _select(acc.resources, target, loc):
                _apply_json(res, ops, origin, loc)
            return
        for doc, origin in docs:
            if not isinstance(doc, dict):
                raise RenderError("a strategic merge patch must be a mapping", *loc)
            if target is None:
                self._smp_one(acc, doc, origin, loc, options)
            else:
                for res in _select(acc.resources, target, loc):
                    _apply_smp(self.schema, acc, res, doc, origin, loc, options)

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
        ns = _effective_ns(group, kind, str(meta.get("namespace") or ""))
        candidates = [
            r
            for r in acc.resources.by_name().get(name, [])
            if r.group == group
            and r.version == version
            and any(
                k == kind and n == name and _effective_ns(group, k, s) == ns for k, n, s in r.ids()
            )
        ]
        if len(candidates) != 1:
            ident = f"{kind}.{version or '[noVer]'}.{group or '[noGrp]'}/{name}.{meta.get('namespace') or '[noNs]'}"
            reason = "no matches" if not candidates else "multiple matches"
            raise RenderError(
                f"no resource matches strategic merge patch {ident!r} ({reason}); failed to find unique target",
                *loc,
            )
        _apply_smp(self.schema, acc, candidates[0], doc, origin, loc, options)

    def _plugin(self, kust: _Kustomization, acc: Acc, entry: Any, index: int) -> None:
        loc = kust.where("transformers", index)
        if not isinstance(entry, str):
            raise RenderError("invalid transformers entry", *loc)
        if "\n" in entry or entry.lstrip().startswith("apiVersion"):
            configs = [d for d in yamlio.load_all(entry, kust.path) if d is not None]
        else:
            path = self._file(kust, entry, "transformers", index)
            if path.is_dir():
                raise RenderError("transformer kustomization folders are not supported", *loc)
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
            _prefix_suffix(
                acc,
                str(config.get("prefix") or ""),
                str(config.get("suffix") or ""),
                fs or acc.config.name_prefix,
            )
        elif kind == "LabelTransformer":
            _set_map(
                acc, config.get("labels") or {}, fs if fs is not None else acc.config.common_labels
            )
        elif kind == "AnnotationsTransformer":
            _set_map(
                acc,
                config.get("annotations") or {},
                fs if fs is not None else acc.config.common_annotations,
            )
        elif kind == "NamespaceTransformer":
            ns = (config.get("metadata") or {}).get("namespace") or config.get("namespace") or ""
            _namespace(acc, str(ns), fs if fs is not None else acc.config.namespace)
        elif kind == "PatchTransformer":
            self._patch(kust, acc, config, ())
        elif kind == "PatchStrategicMergeTransformer":
            for entry in config.get("paths") or []:
                self._smp_untargeted(kust, acc, entry, ())
        elif kind == "PatchJson6902Transformer":
            self._patch(kust, acc, config, (), json_only=True)
        elif kind == "ImageTagTransformer":
            _images(acc, config.get("imageTag") or {}, fs if fs is not None else acc.config.images)
        elif kind == "ReplicaCountTransformer":
            _replicas(
                acc, config.get("replica") or {}, fs if fs is not None else acc.config.replicas, loc
            )
        elif kind == "ReplacementTransformer":
            for repl in config.get("replacements") or []:
                _replacement(acc, repl, loc)
        else:
            raise RenderError(f"builtin transformer {kind!r} is not supported", *loc)

    # -- end of the build -----------------------------------------------------------------------
    def _finish(self, acc: Acc, kust: _Kustomization) -> None:
        resources = acc.resources
        for res in resources:
            if res.needs_hash:
                res.store_previous_id()
                res.name = f"{res.name}-{content_hash(res.data)}"
        _name_references(resources, acc.config)
        _resolve_vars(resources, acc.vars, acc.config)
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
            legacy = sort.get("legacySortOptions") or {}
            kept = legacy_sort(kept, legacy.get("orderFirst"), legacy.get("orderLast"))
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
    """Name-reference specs from ``x-kubernetes-object-ref-*`` in OpenAPI definitions."""
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
            ref_kind = value.get("x-kubernetes-object-ref-kind")
            if ref_kind:
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


def _select(resources: ResMap, target: Any, loc: tuple[str, int | None]) -> list[Res]:
    """Resources a patch target selects (kustomize ``resWrangler.Select``)."""
    if not isinstance(target, dict):
        raise RenderError("a patch target must be a mapping", *loc)
    try:
        regex = {
            k: smp.anchored(str(target[k]))
            for k in ("group", "version", "kind", "name", "namespace")
            if target.get(k)
        }
        for key in ("labelSelector", "annotationSelector"):
            if target.get(key):
                smp.label_selector_matches(str(target[key]), {})  # syntax check
    except RenderError as exc:
        raise RenderError(exc.message, *loc) from None
    name = target.get("name")
    pool: Iterable[Res] = resources
    if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9._:-]+", name) and "." not in name:
        pool = resources.by_name().get(name, [])  # in accumulation order
    out: list[Res] = []
    for res in pool:
        org = res.org_id()
        if "namespace" in regex:
            rx = regex["namespace"]
            if not (
                rx.match(_effective_ns(res.group, org[0], org[2]))
                or rx.match(_effective_ns(res.group, res.kind, res.namespace))
            ):
                continue
        if "name" in regex and not (regex["name"].match(org[1]) or regex["name"].match(res.name)):
            continue
        if "group" in regex and not regex["group"].match(res.group):
            continue
        if "version" in regex and not regex["version"].match(res.version):
            continue
        if "kind" in regex and not regex["kind"].match(res.kind):
            continue
        if target.get("labelSelector") and not smp.label_selector_matches(
            str(target["labelSelector"]), res.meta.get("labels") or {}
        ):
            continue
        if target.get("annotationSelector") and not smp.label_selector_matches(
            str(target["annotationSelector"]), res.meta.get("annotations") or {}
        ):
            continue
        out.append(res)
    return out


def _recorder(res: Res, origin: Origin) -> smp.Recorder:
    def record(pointer: str, ppath: tuple[str | int, ...]) -> None:
        if origin.base_line:
            res.field_origins[pointer] = origin
        else:
            res.field_origins[pointer] = Origin(origin.file, origin.doc_index, ppath)

    return record


def _apply_smp(
    schema: smp.Schema,
    acc: Acc,
    res: Res,
    patch: dict[str, Any],
    origin: Origin,
    loc: tuple[str, int | None],
    options: dict[str, Any],
) -> None:
    name, namespace, kind, api = res.name, res.namespace, res.kind, res.api_version
    allow_name = bool(options.get("allowNameChange"))
    allow_kind = bool(options.get("allowKindChange"))
    if allow_name or allow_kind:
        res.store_previous_id()
        acc.resources.invalidate()
    patch = dict(patch)
    patch["apiVersion"] = api
    result = smp.strategic_merge(schema, res.data, patch, _recorder(res, origin))
    if result is smp.DELETE or not result:
        acc.resources.remove(res)
        return
    res.data = result
    res.data["apiVersion"] = api
    if not allow_kind:
        res.data["kind"] = kind
    if not allow_name:
        res.name = name
    if namespace:
        res.meta["namespace"] = namespace
    else:
        res.meta.pop("namespace", None)


def _apply_json(res: Res, ops: list[Any], origin: Origin, loc: tuple[str, int | None]) -> None:
    meta = res.meta
    added = "annotations" not in meta
    if added:
        # kustomize keeps build annotations on every resource while it works, so an add
        # under /metadata/annotations/ finds the map; /metadata/labels/ has no such luck.
        meta["annotations"] = {}

    def record(pointer: str, ppath: tuple[str | int, ...]) -> None:
        res.field_origins[pointer] = (
            origin if origin.base_line else Origin(origin.file, origin.doc_index, ppath)
        )

    try:
        res.data = smp.json_patch(res.data, ops, record)
    except smp.PatchError as exc:
        raise RenderError(
            f"{exc.message} (patching {res.describe()})", origin.file, origin.base_line or loc[1]
        ) from None
    after = res.data.get("metadata")
    if added and isinstance(after, dict) and after.get("annotations") == {}:
        del after["annotations"]


def _namespace(acc: Acc, namespace: str, specs: list[S.FieldSpec]) -> None:
    others = [fs for fs in specs if fs.path != "metadata/namespace"]
    for res in acc.resources:
        res.store_previous_id()
        group, version, kind = res.group, res.version, res.kind
        if not _SCOPE.is_cluster(group, kind):
            res.meta["namespace"] = namespace
        binding = kind in ("RoleBinding", "ClusterRoleBinding")
        if binding:
            for subject in res.data.get("subjects") or []:
                if isinstance(subject, dict) and subject.get("name") == "default":
                    subject["namespace"] = namespace
        for fs in others:
            if binding and fs.path == "subjects[]/namespace":
                continue
            if fs.path == "metadata/name" and res.api_version != "v1":
                continue
            if not fs.selects(group, version, kind):
                continue
            _set_scalar(res.data, fs, lambda _old: namespace)
    _check_unique(acc)


def _check_unique(acc: Acc) -> None:
    seen: set[tuple[str, str, str, str, str]] = set()
    for res in acc.resources:
        key = _cur_key(res)
        if key in seen:
            raise RenderError(
                f"namespace transformation produces ID conflict: {_id_text(res)}", res.origin.file
            )
        seen.add(key)


def _set_scalar(data: dict[str, Any], fs: S.FieldSpec, change: Any) -> None:
    def setter(parent: Any, key: Any, value: Any) -> None:
        if value is None or isinstance(value, (str, int, float, bool)):
            parent[key] = change(value)

    S.apply_spec(data, fs.segments, (lambda: None) if fs.create else None, setter)


def _prefix_suffix(acc: Acc, prefix: str, suffix: str, specs: list[S.FieldSpec]) -> None:
    for res in acc.resources:
        if (res.group, res.kind) in S.PREFIX_SKIP:
            continue
        for fs in specs:
            if not fs.selects(res.group, res.version, res.kind):
                continue
            if fs.path == "metadata/name":
                res.store_previous_id()
            _set_scalar(res.data, fs, lambda old: f"{prefix}{old}{suffix}")


def _label_specs(entry: dict[str, Any], config: Config) -> list[S.FieldSpec]:
    specs = S.parse_specs(entry.get("fields"), "labels")
    if entry.get("includeSelectors"):
        return S.merge_specs(specs, config.common_labels)
    if not any(fs.path == "metadata/labels" for fs in specs):
        specs.append(S.spec("metadata/labels", create=True))
    if entry.get("includeTemplates"):
        specs = S.merge_specs(
            specs, [fs for fs in config.template_labels if fs.path != "metadata/labels"]
        )
    return specs


def _set_map(acc: Acc, pairs: dict[str, Any], specs: list[S.FieldSpec]) -> None:
    if not pairs:
        return
    values = {str(k): v if isinstance(v, str) else str(v) for k, v in pairs.items()}

    def setter(parent: Any, key: Any, value: Any) -> None:
        if value is None:
            value = {}
            parent[key] = value
        if isinstance(value, dict):
            value.update(values)

    for res in acc.resources:
        for fs in specs:
            if fs.selects(res.group, res.version, res.kind):
                S.apply_spec(res.data, fs.segments, dict if fs.create else None, setter)


def _replicas(acc: Acc, entry: Any, specs: list[S.FieldSpec], loc: tuple[str, int | None]) -> None:
    if not isinstance(entry, dict) or not entry.get("name"):
        raise RenderError("a replicas entry needs a name and a count", *loc)
    name = entry["name"]
    count = entry.get("count", 0)

    def setter(parent: Any, key: Any, value: Any) -> None:
        parent[key] = count

    matched = False
    for res in acc.resources:
        if not any(n == name for _, n, _ in res.ids()):
            continue
        for fs in specs:
            if fs.selects(res.group, res.version, res.kind):
                matched = True
                S.apply_spec(res.data, fs.segments, (lambda: None) if fs.create else None, setter)
    if not matched:
        kinds = ", ".join(sorted({fs.kind for fs in specs if fs.kind}))
        raise RenderError(f"replicas: no {kinds} named {name!r} in the build", *loc)


def split_image(image: str) -> tuple[str, str, str]:
    """Split ``name[:tag][@digest]`` like kustomize's ``image.Split``."""
    search = image
    slash = image.find("/")
    offset = slash if slash > 0 else 0
    if slash > 0:
        search = image[slash:]
    at = search.find("@")
    colon = search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (at < colon or colon < 0):
        return image[: at + offset], "", image[at + offset + 1 :]
    if at >= 0 and colon >= 0:
        return (
            image[: colon + offset],
            image[colon + offset + 1 : at + offset],
            image[at + offset + 1 :],
        )
    return image[: colon + offset], image[colon + offset + 1 :], ""


def _image_value(value: str, entry: dict[str, Any]) -> str | None:
    name = str(entry.get("name") or "")
    if not re.match("^" + name + r"(@sha256)?(:[\w][\w.-]{0,127})?$", value):
        return None
    base, tag, digest = split_image(value)
    new_tag, new_digest = entry.get("newTag") or "", entry.get("digest") or ""
    if entry.get("newName"):
        base = entry["newName"]
    if new_tag and new_digest:
        tag, digest = new_tag, new_digest
    elif new_tag:
        tag, digest = new_tag, ""
    elif new_digest:
        tag, digest = "", new_digest
    return base + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _images(acc: Acc, entry: dict[str, Any], specs: list[S.FieldSpec]) -> None:
    if not isinstance(entry, dict) or not entry.get("name"):
        return

    def update(container: Any) -> None:
        if isinstance(container, dict) and isinstance(container.get("image"), str):
            new = _image_value(container["image"], entry)
            if new is not None:
                container["image"] = new

    def legacy(node: Any) -> None:
        # kustomize's imagetag LegacyFilter: any containers/initContainers list, any kind.
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers") and isinstance(value, list):
                    for item in value:
                        update(item)
                legacy(value)
        elif isinstance(node, list):
            for item in node:
                legacy(item)

    def setter(parent: Any, key: Any, value: Any) -> None:
        if isinstance(value, str):
            new = _image_value(value, entry)
            if new is not None:
                parent[key] = new

    for res in acc.resources:
        legacy(res.data)
        for fs in specs:
            if fs.selects(res.group, res.version, res.kind):
                S.apply_spec(res.data, fs.segments, None, setter)


# -- replacements -------------------------------------------------------------------------------


def _split_field_path(path: str) -> list[str]:
    parts: list[str] = []
    current = ""
    depth = 0
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p]


def _find_nodes(node: Any, parts: list[str], create: bool) -> list[tuple[Any, Any]]:
    """(parent, key) pairs the kyaml field path ``parts`` reaches from ``node``."""
    if not parts:
        return []
    head, rest = parts[0], parts[1:]
    found: list[tuple[Any, Any]] = []
    if isinstance(node, list):
        if head.startswith("[") and head.endswith("]") and "=" in head:
            key, _, value = head[1:-1].partition("=")
            for index, item in enumerate(node):
                if (key == "" and str(item) == value) or (
                    isinstance(item, dict) and str(item.get(key)) == value
                ):
                    found += [(node, index)] if not rest else _find_nodes(item, rest, create)
            if not found and create and key:
                node.append({key: value})  # kyaml creates the element the path names
                found = [(node, len(node) - 1)] if not rest else _find_nodes(node[-1], rest, create)
            return found
        if head == "*":
            for index, item in enumerate(node):
                found += [(node, index)] if not rest else _find_nodes(item, rest, create)
            return found
        if head.isdigit() and int(head) < len(node):
            return [(node, int(head))] if not rest else _find_nodes(node[int(head)], rest, create)
        return []
    if not isinstance(node, dict):
        return []
    key = head[1:-1] if head.startswith("[") and head.endswith("]") else head
    if head == "*":
        for k, v in node.items():
            found += [(node, k)] if not rest else _find_nodes(v, rest, create)
        return found
    if key not in node or node[key] is None:
        if not create:
            return []
        if not rest:
            return [(node, key)]
        node[key] = [] if rest[0].startswith("[") and "=" in rest[0] else {}
    if not rest:
        return [(node, key)]
    return _find_nodes(node[key], rest, create)


def _ids_selected(res: Res, sel: dict[str, Any]) -> bool:
    group, version = res.group, res.version
    if sel.get("group") and sel["group"] != group:
        return False
    if sel.get("version") and sel["version"] != version:
        return False
    for kind, name, ns in res.ids():
        if sel.get("kind") and sel["kind"] != kind:
            continue
        if sel.get("name") and sel["name"] != name:
            continue
        if sel.get("namespace") and _effective_ns(
            group, kind, str(sel["namespace"])
        ) != _effective_ns(group, kind, ns):
            continue
        return True
    return False


def _replacement(acc: Acc, repl: dict[str, Any], loc: tuple[str, int | None]) -> None:
    source = repl.get("source") or {}
    if not isinstance(source, dict):
        raise RenderError("a replacement needs a source", *loc)
    matches = [r for r in acc.resources if _ids_selected(r, source)]
    sel_text = f"{source.get('kind', '')}/{source.get('name', '')}"
    if not matches:
        raise RenderError(f"nothing selected by replacement source {sel_text}", *loc)
    if len(matches) > 1:
        raise RenderError(f"multiple matches for replacement source {sel_text}", *loc)
    field_path = str(source.get("fieldPath") or "metadata.name")
    nodes = _find_nodes(matches[0].data, _split_field_path(field_path), False)
    if not nodes:
        raise RenderError(
            f"fieldPath `{field_path}` is missing for replacement source {sel_text}", *loc
        )
    parent, key = nodes[0]
    value = deep_copy(parent[key])
    opts = source.get("options") or {}
    if opts.get("delimiter"):
        parts = str(value).split(opts["delimiter"])
        index = int(opts.get("index", 0))
        if not 0 <= index < len(parts):
            raise RenderError(f"options.index {index} is out of bounds for value {value!r}", *loc)
        value = parts[index]
    for target in repl.get("targets") or []:
        select = target.get("select")
        if not isinstance(select, dict):
            raise RenderError("a replacement target must select resources", *loc)
        rejects = target.get("reject") or []
        topts = target.get("options") or {}
        for res in acc.resources:
            if not _ids_selected(res, select):
                continue
            if select.get("labelSelector") and not smp.label_selector_matches(
                str(select["labelSelector"]), res.meta.get("labels") or {}
            ):
                continue
            if select.get("annotationSelector") and not smp.label_selector_matches(
                str(select["annotationSelector"]), res.meta.get("annotations") or {}
            ):
                continue
            if any(_ids_selected(res, r) for r in rejects if isinstance(r, dict)):
                continue
            for path in target.get("fieldPaths") or ["metadata.name"]:
                found = _find_nodes(
                    res.data, _split_field_path(str(path)), bool(topts.get("create"))
                )
                if not found:
                    raise RenderError(
                        f"unable to find field {path!r} in replacement target {res.describe()}",
                        *loc,
                    )
                for p, k in found:
                    old = p[k] if _has(p, k) else None
                    p[k] = _set_field_value(old, _delimited(old, value, topts))


def _has(parent: Any, key: Any) -> bool:
    return key in parent if isinstance(parent, dict) else 0 <= key < len(parent)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _set_field_value(old: Any, value: Any) -> Any:
    """What kustomize's replacement leaves in a target field (``setFieldValue``).

    A scalar target keeps its own type and takes only the source's text ("leave any type
    intact to auto-convert int->string or string->int"); a created field (no type yet)
    resolves the text as YAML would; maps and lists are copied whole.
    """
    if isinstance(value, (dict, list)) or value is None:
        return deep_copy(value)
    text = _scalar_text(value)
    if isinstance(old, bool):
        return text == "true" if text in ("true", "false") else text
    if isinstance(old, int):
        number = yamlio.parse_go_int(text)
        return number if number is not None else text
    if isinstance(old, float):
        try:
            return float(text)
        except ValueError:
            return text
    if isinstance(old, str):
        return text
    try:
        resolved = yamlio.load(text)
    except GitopspolError:
        return text
    return resolved if isinstance(resolved, (str, int, float, bool)) else text


def _delimited(old: Any, value: Any, opts: dict[str, Any]) -> Any:
    delimiter = opts.get("delimiter")
    if not delimiter:
        return deep_copy(value)
    parts = str(old if old is not None else "").split(delimiter)
    index = int(opts.get("index", 0))
    if index < 0:
        parts.insert(0, str(value))
    elif index >= len(parts):
        parts.append(str(value))
    else:
        parts[index] = str(value)
    return delimiter.join(parts)


# -- name back-references -----------------------------------------------------------------------


def _referral(
    candidates: list[Res],
    old: str,
    ref: S.NameBackRef,
    referrer: Res,
    role_kind: str | None,
    ns: str | None,
) -> Res | None:
    picked = []
    for cand in candidates:
        if not cand.prev:
            continue
        if not any(n == old for _, n, _ in cand.prev):
            continue
        if ref.group and cand.group != ref.group.split("/")[0]:
            continue
        if ref.version and cand.version != ref.version:
            continue
        if not any(k == ref.kind for k, _, _ in cand.prev):
            continue
        if role_kind is not None and cand.kind != role_kind:
            continue
        if ns is not None and not any(
            _effective_ns(cand.group, k, s) == _effective_ns(cand.group, k, ns)
            for k, _, s in cand.ids()
        ):
            continue
        if (
            ns is None
            and not _SCOPE.is_cluster(referrer.group, referrer.kind)
            and not (
                _SCOPE.is_cluster(cand.group, cand.kind)
                or cand.kind == "ServiceAccount"
                or _effective_ns(cand.group, cand.kind, cand.namespace)
                == _effective_ns(referrer.group, referrer.kind, referrer.namespace)
            )
        ):
            continue
        picked.append(cand)
    if not picked:
        return None
    if len(picked) > 1 and len({(p.name, p.namespace) for p in picked}) > 1:
        names = ", ".join(_id_text(p) for p in picked)
        raise RenderError(
            f"found multiple possible referrals for {old!r}: {names}", referrer.origin.file
        )
    return picked[0]


def _name_references(resources: ResMap, config: Config) -> None:
    renamed = [r for r in resources if r.prev]
    if not renamed:
        return
    by_kind: dict[str, list[Res]] = {}
    for res in renamed:
        for kind in {k for k, _, _ in res.prev}:
            by_kind.setdefault(kind, []).append(res)
    for ref in config.name_reference:
        candidates = by_kind.get(ref.kind)
        if not candidates:
            continue
        for referrer in resources:
            for fs in ref.referrers:
                if not fs.selects(referrer.group, referrer.version, referrer.kind):
                    continue
                _fix_field(referrer, fs, ref, candidates)


def _fix_field(referrer: Res, fs: S.FieldSpec, ref: S.NameBackRef, candidates: list[Res]) -> None:
    role_kind = None
    if fs.path == "roleRef/name":
        role_kind = str((referrer.data.get("roleRef") or {}).get("kind") or "")

    def setter(parent: Any, key: Any, value: Any) -> None:
        if isinstance(value, str):
            found = _referral(candidates, value, ref, referrer, role_kind, None)
            if found is not None:
                parent[key] = found.name
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    found = _referral(candidates, item, ref, referrer, role_kind, None)
                    if found is not None:
                        value[index] = found.name
                elif isinstance(item, dict):
                    setter(value, index, item)
        elif isinstance(value, dict) and isinstance(value.get("name"), str):
            if fs.path == "subjects" and value.get("kind") not in (None, ref.kind):
                return
            ns = value.get("namespace") if isinstance(value.get("namespace"), str) else None
            found = _referral(candidates, value["name"], ref, referrer, None, ns)
            if found is None:
                return
            value["name"] = found.name
            if found.namespace:
                value["namespace"] = found.namespace

    S.apply_spec(referrer.data, fs.segments, None, setter)


# -- vars -----------------------------------------------------------------------------------------

_VAR_RE = re.compile(r"\$\$|\$\(([A-Za-z0-9_.\-]+)\)")


def _resolve_vars(resources: ResMap, variables: list[dict[str, Any]], config: Config) -> None:
    if not variables:
        return
    values: dict[str, Any] = {}
    for var in variables:
        objref = var.get("objref") or {}
        group, version = split_api_version(str(objref.get("apiVersion") or ""))
        sel = {
            "kind": objref.get("kind"),
            "name": objref.get("name"),
            "namespace": objref.get("namespace"),
            "group": group,
            "version": version,
        }
        matches = [r for r in resources if _ids_selected(r, sel)]
        if len(matches) != 1:
            raise RenderError(
                f"var {var['name']!r} matches {len(matches)} resources; it must match exactly one",
                *var["$where"],
            )
        path = str((var.get("fieldref") or {}).get("fieldpath") or "metadata.name")
        # vars accept ``ports[0]`` as well as ``ports.0``
        parts = _split_field_path(re.sub(r"\[(\d+)\]", r".\1", path))
        nodes = _find_nodes(matches[0].data, parts, False)
        if not nodes:
            raise RenderError(f"var {var['name']!r}: field {path} not found", *var["$where"])
        parent, key = nodes[0]
        values[var["name"]] = parent[key]

    def expand(text: str) -> Any:
        whole = re.fullmatch(r"\$\(([A-Za-z0-9_.\-]+)\)", text)
        if whole is not None and whole.group(1) in values:
            return deep_copy(values[whole.group(1)])  # the value keeps its type

        def sub(m: re.Match[str]) -> str:
            if m.group(0) == "$$":
                return "$"
            name = m.group(1)
            if name in values:
                return str(values[name])
            return m.group(0)

        return _VAR_RE.sub(sub, text)

    def setter(parent: Any, key: Any, value: Any) -> None:
        if isinstance(value, str):
            parent[key] = expand(value)
        elif isinstance(value, list):
            parent[key] = [expand(v) if isinstance(v, str) else v for v in value]
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, str):
                    value[k] = expand(v)

    for res in resources:
        for fs in config.var_reference:
            if fs.selects(res.group, res.version, res.kind):
                S.apply_spec(res.data, fs.segments, None, setter)


# -- output order ---------------------------------------------------------------------------------

ORDER_FIRST = (
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
)
ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def _gvk_string(res: Res) -> str:
    return f"{res.group or '~G'}_{res.version or '~V'}_{res.kind or '~K'}"


def legacy_sort(items: list[Res], first: Any = None, last: Any = None) -> list[Res]:
    """kustomize's legacy resource order (``LegacyOrderTransformer``)."""
    first_list = list(first) if first else list(ORDER_FIRST)
    last_list = list(last) if last else list(ORDER_LAST)
    orders: dict[str, int] = {}
    for index, kind in enumerate(first_list):
        orders.setdefault(kind, index - len(first_list))
    for index, kind in enumerate(last_list):
        orders.setdefault(kind, index + 1)

    def key(res: Res) -> tuple[int, bool, str, str]:
        # Kustomize >= 5.5 puts the core v1 Namespace before a Namespace kind of any other
        # group (the one exception to ordering by the group_version_kind string).
        core_namespace = res.kind == "Namespace" and res.group == ""
        ns = res.namespace or "~X"
        return orders.get(res.kind, 0), not core_namespace, _gvk_string(res), f"{ns}|{res.name}"

    return sorted(items, key=key)


# -- serialisation --------------------------------------------------------------------------------


def dump(documents: list[dict[str, Any]]) -> str:
    """Serialise like ``kubectl kustomize`` (the shared emitter, ``render.emit``)."""
    from gitopspol.render.emit import dump_documents

    return dump_documents(documents)
