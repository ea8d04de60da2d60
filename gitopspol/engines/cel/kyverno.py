"""The Kyverno CEL libraries that work offline.

* lookups: ``resource.Get`` / ``resource.List`` and ``image.GetMetadata``, served from the
  suite's ``context.yaml`` (:class:`gitopspol.engines.vpol.CelContext`): the ``resource`` and
  ``image`` variables are maps carrying that data, so evaluation needs no global state;
* image references: ``parseImageReference`` (alias ``image``), ``isImage``, ``registry``,
  ``repository``, ``tag``, ``digest``, ``identifier``, ``containsDigest``;
* ``parseServiceAccount``, ``time.now``.

Not available: ``http`` (gitopspol never reaches the network) and ``globalContext``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from typing import Any

from gitopspol.engines.cel.decl import Decls, valid
from gitopspol.engines.cel.kinds import resource_for_kind

IMAGE = "@image"


# go-containerregistry name.ParseReference (non-strict): the default registry and the
# grammar of repository, tag and digest.
_DEFAULT_REGISTRY = "index.docker.io"
_REPO_RE = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


def parse_image(ref: str) -> dict[str, str]:
    """Split an image reference as Kyverno's ``parseImageReference`` (go-containerregistry).

    ``nginx`` -> registry ``index.docker.io``, repository ``library/nginx``, tag ``latest``.
    Raises ValueError for a reference that does not parse.
    """
    name, _, digest = ref.partition("@")
    if digest and not _DIGEST_RE.match(digest):
        raise ValueError(f"could not parse reference: {ref}")
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG_RE.match(tag):
            raise ValueError(f"could not parse reference: {ref}")
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = _DEFAULT_REGISTRY, name
    if registry in ("docker.io", _DEFAULT_REGISTRY):
        registry = _DEFAULT_REGISTRY
        if "/" not in repository:
            repository = "library/" + repository
    if not _REPO_RE.match(repository):
        raise ValueError(f"could not parse reference: {ref}")
    if not tag and not digest:
        tag = "latest"
    return {
        "registry": registry,
        "repository": repository,
        "tag": tag,
        "digest": digest,
        "identifier": digest or tag,
    }


def _image(ref: str) -> dict[str, Any]:
    parse_image(ref)
    return {IMAGE: ref}


def _image_part(part: str) -> Callable[[dict[str, Any]], Any]:
    def get(value: dict[str, Any]) -> Any:
        if IMAGE not in value:
            raise ValueError("not an image reference")
        parts = parse_image(str(value[IMAGE]))
        return bool(parts["digest"]) if part == "containsDigest" else parts[part]

    return get


#: Key of the ``resource`` variable's map that holds the mock objects of the context.
RESOURCES = "@resources"
#: Key of the ``image`` variable's map that holds the mock image data of the context.
IMAGES = "@images"


def _object_matches(obj: dict[str, Any], api_version: str, resource: str, namespace: str) -> bool:
    meta = obj.get("metadata") or {}
    return (
        str(obj.get("apiVersion", "")) == api_version
        and resource_for_kind(str(obj.get("kind", ""))) == resource
        and (not namespace or str(meta.get("namespace", "") or "") == namespace)
    )


def _resource_get(
    ctx: dict[str, Any], api_version: str, resource: str, namespace: str, name: str
) -> Any:
    for obj in ctx.get(RESOURCES) or []:
        if (
            _object_matches(obj, api_version, resource, namespace)
            and (obj.get("metadata") or {}).get("name") == name
        ):
            return obj
    raise ValueError(f'{resource} "{name}" not found in namespace "{namespace}"')


def _resource_list(ctx: dict[str, Any], api_version: str, resource: str, namespace: str) -> Any:
    items = [
        obj
        for obj in ctx.get(RESOURCES) or []
        if _object_matches(obj, api_version, resource, namespace)
    ]
    return {"apiVersion": api_version, "kind": "List", "items": items}


def _image_metadata(ctx: dict[str, Any], ref: str) -> Any:
    images: dict[str, Any] = ctx.get(IMAGES) or {}
    for candidate in (ref, "docker.io/" + ref, "docker.io/library/" + ref):
        if candidate in images:
            return images[candidate]
    raise ValueError(f"image {ref!r} has no data in the context (no registry access offline)")


def _parse_service_account(username: str) -> dict[str, str]:
    parts = username.split(":")
    if len(parts) == 4 and parts[0] == "system" and parts[1] == "serviceaccount":
        return {"Namespace": parts[2], "Name": parts[3]}
    return {"Namespace": "", "Name": ""}


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


#: Marker keys of the values this module builds.
MARKERS = (IMAGE,)


def declarations(d: Decls) -> list[Any]:
    """The Kyverno functions, for ``cel.NewEnv(functions=...)``."""
    S, B, D, M, T = d.S, d.B, d.D, d.M, d.T
    member, free = d.member, d.free
    return [
        # Kyverno image references
        free("parseImageReference", M, [S], _image),
        free("image", M, [S], _image),
        free("isImage", B, [S], valid(_image)),
        member("registry", S, [M], _image_part("registry")),
        member("repository", S, [M], _image_part("repository")),
        member("tag", S, [M], _image_part("tag")),
        member("digest", S, [M], _image_part("digest")),
        member("identifier", S, [M], _image_part("identifier")),
        member("containsDigest", B, [M], _image_part("containsDigest")),
        # Kyverno
        member("Get", D, [M, S, S, S, S], _resource_get),
        member("List", D, [M, S, S, S], _resource_list),
        member("GetMetadata", D, [M, S], _image_metadata),
        free("parseServiceAccount", M, [S], _parse_service_account),
        free("time.now", T.TIMESTAMP, [], _now),
    ]
