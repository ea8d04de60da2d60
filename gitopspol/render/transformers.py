"""The builtin transformers and the end-of-build steps, as functions over an :class:`Acc`.

Each follows the kustomize v5.5 plugin of the same name (``api/filters/...``): patches and
their target selection, namespace, name prefix/suffix, labels and annotations, replicas,
images, replacements; then name back-references, vars and the legacy output order.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from gitopspol import yamlio
from gitopspol.errors import GitopspolError, RenderError
from gitopspol.render import merge as smp
from gitopspol.render import specs as S
from gitopspol.render.model import Origin, Res, deep_copy, split_api_version
from gitopspol.render.resmap import SCOPE, Acc, Config, ResMap, cur_key, effective_ns, id_text


def select(resources: ResMap, target: Any, loc: tuple[str, int | None]) -> list[Res]:
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
                rx.match(effective_ns(res.group, org[0], org[2]))
                or rx.match(effective_ns(res.group, res.kind, res.namespace))
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


def apply_smp(
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


def apply_json(res: Res, ops: list[Any], origin: Origin, loc: tuple[str, int | None]) -> None:
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


def set_namespace(
    acc: Acc, namespace: str, specs: list[S.FieldSpec], unset_only: bool = False
) -> None:
    """The namespace transformer (``api/filters/namespace``).

    Every namespaced kind (all unknown kinds included) gets ``metadata.namespace``;
    ``Namespace`` objects are renamed; binding subjects named ``default`` follow.
    ``unset_only`` keeps namespaces that are already set.
    """

    def value(old: Any) -> Any:
        return old if unset_only and old else namespace

    others = [fs for fs in specs if fs.path != "metadata/namespace"]
    for res in acc.resources:
        res.store_previous_id()
        group, version, kind = res.group, res.version, res.kind
        if not SCOPE.is_cluster(group, kind):
            res.meta["namespace"] = value(res.meta.get("namespace"))
        binding = kind in ("RoleBinding", "ClusterRoleBinding")
        if binding:
            for subject in res.data.get("subjects") or []:
                if isinstance(subject, dict) and subject.get("name") == "default":
                    subject["namespace"] = value(subject.get("namespace"))
        for fs in others:
            if binding and fs.path == "subjects[]/namespace":
                continue
            if fs.path == "metadata/name" and res.api_version != "v1":
                continue
            if not fs.selects(group, version, kind):
                continue
            _set_scalar(res.data, fs, value)
    _check_unique(acc)


def _check_unique(acc: Acc) -> None:
    seen: set[tuple[str, str, str, str, str]] = set()
    for res in acc.resources:
        key = cur_key(res)
        if key in seen:
            raise RenderError(
                f"namespace transformation produces ID conflict: {id_text(res)}", res.origin.file
            )
        seen.add(key)


def _set_scalar(data: dict[str, Any], fs: S.FieldSpec, change: Any) -> None:
    def setter(parent: Any, key: Any, value: Any) -> None:
        if value is None or isinstance(value, (str, int, float, bool)):
            parent[key] = change(value)

    S.apply_spec(data, fs.segments, (lambda: None) if fs.create else None, setter)


def prefix_suffix(acc: Acc, prefix: str, suffix: str, specs: list[S.FieldSpec]) -> None:
    """namePrefix / nameSuffix (and PrefixSuffixTransformer) on the name field specs.

    Each rename is remembered (previous id, and the prefix/suffix itself, which name
    back-references use to tell apart same-named resources of two renamed bases).
    """
    for res in acc.resources:
        if (res.group, res.kind) in S.PREFIX_SKIP:
            continue
        for fs in specs:
            if not fs.selects(res.group, res.version, res.kind):
                continue
            if fs.path == "metadata/name":
                res.store_previous_id()
                if prefix:
                    res.prefixes.append(prefix)
                if suffix:
                    res.suffixes.append(suffix)
            _set_scalar(res.data, fs, lambda old: f"{prefix}{old}{suffix}")


def _same_ending(a: list[str], b: list[str]) -> bool:
    """kustomize ``SameEndingSubSlice``: one list ends the other; empty matches only empty."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if not short:
        return not long
    return long[len(long) - len(short) :] == short


def label_specs(entry: dict[str, Any], config: Config) -> list[S.FieldSpec]:
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


def set_map(acc: Acc, pairs: dict[str, Any], specs: list[S.FieldSpec]) -> None:
    if not pairs:
        return
    values = {str(k): v if isinstance(v, str) else str(v) for k, v in pairs.items()}

    def setter(parent: Any, key: Any, value: Any) -> None:
        if value is None:
            value = {}
            parent[key] = value
        if isinstance(value, dict):
            value.update(values)

    chosen: dict[tuple[str, str, str], list[S.FieldSpec]] = {}  # the specs of each kind
    for res in acc.resources:
        gvk = (res.group, res.version, res.kind)
        found = chosen.get(gvk)
        if found is None:
            found = chosen[gvk] = [fs for fs in specs if fs.selects(*gvk)]
        for fs in found:
            S.apply_spec(res.data, fs.segments, dict if fs.create else None, setter)


def set_replicas(
    acc: Acc, entry: Any, specs: list[S.FieldSpec], loc: tuple[str, int | None]
) -> None:
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


@functools.lru_cache(maxsize=256)
def _image_matches(name: str, image: str) -> bool:
    """kustomize's ``image.IsImageMatched``: the name (a Go regex), an optional tag and digest.

    RE2 keeps matching linear in time: a name like ``(a|aa)+$`` cannot hang the build.
    """
    matcher = smp.go_regex("^" + name + r"(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$")
    # kustomize ignores a compile error: nothing matches.
    return matcher is not None and matcher.match(image) is not None


def _image_value(value: str, entry: dict[str, Any]) -> str | None:
    name = str(entry.get("name") or "")
    if not _image_matches(name, value):
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


def set_images(acc: Acc, entry: dict[str, Any], specs: list[S.FieldSpec]) -> None:
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


def split_field_path(path: str) -> list[str]:
    """``a.b[c.d=e].f`` -> ``["a", "b[c.d=e]", "f"]``: dots inside brackets do not split."""
    return [p for p in smp.split_outside(path, ".", "[]") if p]


def find_nodes(node: Any, parts: list[str], create: bool) -> list[tuple[Any, Any]]:
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
                    found += [(node, index)] if not rest else find_nodes(item, rest, create)
            if not found and create and key:
                node.append({key: value})  # kyaml creates the element the path names
                found = [(node, len(node) - 1)] if not rest else find_nodes(node[-1], rest, create)
            return found
        if head == "*":
            for index, item in enumerate(node):
                found += [(node, index)] if not rest else find_nodes(item, rest, create)
            return found
        if head.isascii() and head.isdigit() and int(head) < len(node):
            return [(node, int(head))] if not rest else find_nodes(node[int(head)], rest, create)
        return []
    if not isinstance(node, dict):
        return []
    key = head[1:-1] if head.startswith("[") and head.endswith("]") else head
    if head == "*":
        for k, v in node.items():
            found += [(node, k)] if not rest else find_nodes(v, rest, create)
        return found
    if key not in node or node[key] is None:
        if not create:
            return []
        if not rest:
            return [(node, key)]
        node[key] = [] if rest[0].startswith("[") and "=" in rest[0] else {}
    if not rest:
        return [(node, key)]
    return find_nodes(node[key], rest, create)


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
        if sel.get("namespace") and effective_ns(
            group, kind, str(sel["namespace"])
        ) != effective_ns(group, kind, ns):
            continue
        return True
    return False


def apply_replacement(acc: Acc, repl: dict[str, Any], loc: tuple[str, int | None]) -> None:
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
    nodes = find_nodes(matches[0].data, split_field_path(field_path), False)
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
                found = find_nodes(res.data, split_field_path(str(path)), bool(topts.get("create")))
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
        # exact, as kustomize: its IngressClass entry says group "networking.k8s.io/v1", so
        # ingressClassName is never updated
        if ref.group and cand.group != ref.group:
            continue
        if ref.version and cand.version != ref.version:
            continue
        if not any(k == ref.kind for k, _, _ in cand.prev):
            continue
        if role_kind is not None and cand.kind != role_kind:
            continue
        if ns is not None and not any(
            effective_ns(cand.group, k, s) == effective_ns(cand.group, k, ns)
            for k, _, s in cand.ids()
        ):
            continue
        if (
            ns is None
            and not SCOPE.is_cluster(referrer.group, referrer.kind)
            and not (
                SCOPE.is_cluster(cand.group, cand.kind)
                or cand.kind == "ServiceAccount"
                or effective_ns(cand.group, cand.kind, cand.namespace)
                == effective_ns(referrer.group, referrer.kind, referrer.namespace)
            )
        ):
            continue
        picked.append(cand)
    if len(picked) > 1:  # kustomize then prefers the referral renamed like the referrer
        picked = [
            p
            for p in picked
            if _same_ending(p.prefixes, referrer.prefixes)
            and _same_ending(p.suffixes, referrer.suffixes)
        ]
    if not picked:
        return None
    if len(picked) > 1 and len({(p.name, p.namespace) for p in picked}) > 1:
        names = ", ".join(id_text(p) for p in picked)
        raise RenderError(
            f"found multiple possible referrals for {old!r}: {names}", referrer.origin.file
        )
    return picked[0]


def fix_name_references(resources: ResMap, config: Config) -> None:
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


def resolve_vars(resources: ResMap, variables: list[dict[str, Any]], config: Config) -> None:
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
        parts = split_field_path(re.sub(r"\[(\d+)\]", r".\1", path))
        nodes = find_nodes(matches[0].data, parts, False)
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
    custom = first is not None or last is not None  # custom lists replace both defaults
    first_list = list(first or []) if custom else list(ORDER_FIRST)
    last_list = list(last or []) if custom else list(ORDER_LAST)
    orders: dict[str, int] = {}
    for index, kind in enumerate(first_list):
        orders.setdefault(kind, index - len(first_list))
    for index, kind in enumerate(last_list):
        orders.setdefault(kind, index + 1)

    def key(res: Res) -> tuple[int, str, str]:
        return orders.get(res.kind, 0), _gvk_string(res), f"{res.namespace or '~X'}|{res.name}"

    namespaces = {res.group == "" for res in items if res.kind == "Namespace"}
    if len(namespaces) < 2:
        # Without both a core and another group's Namespace, ``compare`` is this key's order
        # (a sort key is computed once per resource instead of twice per comparison).
        return sorted(items, key=key)

    def compare(a: Res, b: Res) -> int:
        rank_a, rank_b = orders.get(a.kind, 0), orders.get(b.kind, 0)
        if rank_a != rank_b:
            return -1 if rank_a < rank_b else 1
        gvk_a, gvk_b = _gvk_string(a), _gvk_string(b)
        if gvk_a != gvk_b:
            # Kustomize >= 5.5 puts the core v1 Namespace before a Namespace kind of another
            # group: the one exception to ordering by the group_version_kind string.
            if a.kind == b.kind == "Namespace" and "" in (a.group, b.group):
                return -1 if a.group == "" else 1
            return -1 if gvk_a < gvk_b else 1
        id_a = f"{a.namespace or '~X'}|{a.name}"
        id_b = f"{b.namespace or '~X'}|{b.name}"
        return (id_a > id_b) - (id_a < id_b)

    return sorted(items, key=functools.cmp_to_key(compare))
