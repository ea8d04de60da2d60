"""The accumulated build: transformer configuration, the indexed resource map, scope.

kustomize keeps resources in a list it scans on every append and every selection
(``api/resmap/reswrangler.go``); :class:`ResMap` keeps the same order with indexes by id
and name, rebuilt lazily after renames, so selecting a patch target is a dict lookup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gitopspol.errors import RenderError
from gitopspol.render import specs as S
from gitopspol.render.model import Res, deep_copy

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


CONFIG_KEYS = {
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


def empty_config() -> Config:
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
            self._keys = {cur_key(r) for r in self.items}
        seen = self._keys
        for res in other:
            key = cur_key(res)
            if key in seen:
                raise RenderError(
                    f"may not add resource with an already registered id: {id_text(res)}", *where
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


SCOPE = Scope()


def effective_ns(group: str, kind: str, namespace: str, scope: Scope = SCOPE) -> str:
    if scope.is_cluster(group, kind):
        return "_cluster_"
    return namespace or "default"


def cur_key(res: Res) -> tuple[str, str, str, str, str]:
    return (
        res.group,
        res.version,
        res.kind,
        res.name,
        effective_ns(res.group, res.kind, res.namespace),
    )


def id_text(res: Res) -> str:
    group = res.group or "[noGrp]"
    ns = res.namespace or "[noNs]"
    return f"{res.kind}.{res.version or '[noVer]'}.{group}/{res.name}.{ns}"
