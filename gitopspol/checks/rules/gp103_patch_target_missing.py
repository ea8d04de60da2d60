"""A tier's patch selects no resource, so it silently does nothing.

Kustomize applies a ``patches`` entry with a ``target`` to every resource the target
selects, and to none without a word when nothing matches (a typo'd kind or name, a policy
renamed in the base): the tier then runs without the setting the patch was meant to apply.
A targeted patch of a tier's kustomization that names objects (``name``, ``namespace``,
``labelSelector``, ``annotationSelector``) must select at least one rendered resource. A
patch for a whole kind (the tier settings for "every ValidatingAdmissionPolicyBinding")
may match nothing while the repository has no object of that kind, but its kind must be
one gitopspol knows (a built-in kind, a ``--crd`` kind or one the tier renders): a
misspelt kind is reported. Selectors follow kustomize: ``group``, ``version``, ``kind``,
``name`` and ``namespace`` are anchored regular expressions, ``labelSelector`` and
``annotationSelector`` are Kubernetes label selectors. Patches that delete their target
(``$patch: delete``) are exempt.

Passing example::

    # tier: prd
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: restrict-image-registries
    # settings:
    patches:
    - tier: prd
      file: environments/prd/kustomization.yaml
      line: 9
      target: {group: kyverno.io, kind: ClusterPolicy, name: "restrict-.*"}
    - tier: prd
      file: environments/prd/kustomization.yaml
      line: 15
      target: {kind: ValidatingAdmissionPolicyBinding}

Failing example::

    # expect: patch target {kind: ClusterPolicy, name: restrict-image-registry} selects no resource in prd
    # expect: patch target {kind: ClusterPolcy} selects no resource in prd
    # tier: prd
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: restrict-image-registries
    # settings:
    patches:
    - tier: prd
      file: environments/prd/kustomization.yaml
      line: 9
      target: {kind: ClusterPolicy, name: restrict-image-registry}
    - tier: prd
      file: environments/prd/kustomization.yaml
      line: 15
      target: {kind: ClusterPolcy}
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from gitopspol import yamlio
from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.errors import GitopspolError
from gitopspol.findings import Finding, Location, Severity

_REQUIREMENT = re.compile(
    r"^\s*(!?)\s*([^\s!=]+)\s*(?:(==|=|!=)\s*(\S*)|\s+(in|notin)\s*\((.*)\))?\s*$"
)


def _split(selector: str) -> list[str]:
    """Requirements of a label selector (commas inside ``in (...)`` do not split)."""
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part for part in parts if part.strip()]


def selector_matches(selector: str, labels: Mapping[str, Any]) -> bool:
    """Whether ``labels`` satisfy a Kubernetes label selector string."""
    for requirement in _split(selector):
        found = _REQUIREMENT.match(requirement)
        if found is None:
            return False
        negate, key, op, value, set_op, values = found.groups()
        present = key in labels
        actual = str(labels.get(key, ""))
        if negate:
            ok = not present
        elif op in ("=", "=="):
            ok = present and actual == value
        elif op == "!=":
            ok = actual != value or not present
        elif set_op:
            options = {v.strip() for v in values.split(",")}
            ok = (present and actual in options) if set_op == "in" else actual not in options
        else:
            ok = present
        if not ok:
            return False
    return True


def _full(pattern: Any, value: str) -> bool:
    if not pattern:
        return True
    text = str(pattern)
    if not _REGEX_CHARS & set(text):
        return text == value  # a literal (most targets): no regex to compile
    compiled = _compiled(text)
    return compiled.fullmatch(value) is not None if compiled else text == value


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """The compiled pattern, None when it is not a regex (Python's own cache holds 512)."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def target_matches(target: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """Whether a kustomize patch target selects a resource."""
    api = str(data.get("apiVersion") or "")
    group, _, version = api.rpartition("/")
    found = data.get("metadata")
    meta: Mapping[str, Any] = found if isinstance(found, dict) else {}
    fields = {
        "group": group,
        "version": version,
        "kind": str(data.get("kind") or ""),
        "name": str(meta.get("name") or ""),
        "namespace": str(meta.get("namespace") or ""),
    }
    if not all(_full(target.get(key), value) for key, value in fields.items()):
        return False
    for key, source in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        selector = target.get(key)
        values = meta.get(source) if isinstance(meta.get(source), dict) else {}
        if selector and not selector_matches(str(selector), values or {}):
            return False
    return True


def _describe(target: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in target.items()) + "}"


_NAMING = ("name", "namespace", "labelSelector", "annotationSelector")


def _known_kinds(ctx: RuleContext, tier: str) -> set[str]:
    from gitopspol.schema import builtin_kinds

    kinds = {entry.rsplit(" ", 1)[-1] for entry in builtin_kinds()}
    kinds |= {str(doc.data.get("kind") or "") for doc in ctx.tiers.get(tier, ())}
    if ctx.crds is not None:
        kinds |= {entry.rsplit(" ", 1)[-1] for entry in ctx.crds.kinds()}
    return kinds


def _unknown_kind(ctx: RuleContext, tier: str, target: Mapping[str, Any]) -> bool:
    """Whether a whole-kind target names a kind nothing in gitopspol or the tier defines."""
    kind = target.get("kind")
    if not kind:
        return False
    return not any(_full(kind, known) for known in _known_kinds(ctx, tier) if known != "*")


def _candidates(ctx: RuleContext, tier: str, target: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The documents a target can select: those of its kind when the kind is a literal."""
    by_kind: dict[str, list[Mapping[str, Any]]] = ctx.cached(
        f"kinds:{tier}", lambda: _by_kind(ctx, tier)
    )
    kind = str(target.get("kind") or "")
    name = str(target.get("name") or "")
    if kind and re.escape(kind) == kind and name and not _REGEX_CHARS & set(name):
        # A literal kind and name: an index, not a scan (a tier patches every policy).
        by_name: dict[tuple[str, str], list[Mapping[str, Any]]] = ctx.cached(
            f"kind-names:{tier}", lambda: _by_kind_name(by_kind)
        )
        return by_name.get((kind, name), [])
    if kind and re.escape(kind) == kind:
        return by_kind.get(kind, [])
    return [data for docs in by_kind.values() for data in docs]


#: Characters that make a target name a regular expression rather than a literal.
_REGEX_CHARS = set(".^$*+?{}[]\\|()")


def _by_kind_name(
    by_kind: Mapping[str, list[Mapping[str, Any]]],
) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    out: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for kind, docs in by_kind.items():
        for data in docs:
            meta = data.get("metadata")
            name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
            out.setdefault((kind, name), []).append(data)
    return out


def _by_kind(ctx: RuleContext, tier: str) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for doc in ctx.tiers.get(tier, ()):
        out.setdefault(str(doc.data.get("kind") or ""), []).append(doc.data)
    return out


def _location(patch: Mapping[str, Any]) -> Location:
    """The patch's ``line``, else the line of its ``path`` (list of keys) in its file."""
    file = str(patch.get("file", ""))
    line = int(patch.get("line") or 0)
    if not line and isinstance(patch.get("path"), list):
        try:
            found = yamlio.locate(yamlio.read_text(file), 0, patch["path"])
        except GitopspolError:
            found = None
        line = found[0] if found else 0
    return Location(file, line)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per targeted patch that selects nothing in its tier."""
    patches = ctx.settings.get("patches")
    if not isinstance(patches, list):
        return
    for patch in patches:
        if not isinstance(patch, Mapping) or patch.get("deletes"):
            continue
        tier, target = str(patch.get("tier")), patch.get("target")
        if tier not in ctx.tiers or not isinstance(target, Mapping):
            continue
        if any(target_matches(target, data) for data in _candidates(ctx, tier, target)):
            continue
        if not any(target.get(key) for key in _NAMING) and not _unknown_kind(ctx, tier, target):
            continue  # tier settings for a kind the repository has no object of yet
        message = f"patch target {_describe(target)} selects no resource in {tier}"
        location = _location(patch)
        yield Finding(RULE.id, RULE.severity, message, location, tier)


RULE = Rule(
    id="GP103",
    name="patch-target-missing",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
