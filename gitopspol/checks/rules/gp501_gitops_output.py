"""The generated Argo CD / Flux manifests under clusters/ are out of date with gitopspol.yaml.

``gitopspol apps`` writes ``clusters/`` from gitopspol.yaml (tiers, clusters, repoURL,
engines). ``validate`` regenerates it in memory and compares: a cluster moved to another
tier, added or removed without re-running ``gitopspol apps`` means Argo CD or Flux still
ship the old tier to it. A file that differs is reported at the gitopspol.yaml entry behind
it (the cluster whose tier changed), a generated file that is no longer produced at that
file. Re-run ``gitopspol apps`` and commit the result. A cluster whose ``tier`` is not
one of the repository's tiers is reported at its line.

When a Flux Kustomization under ``clusters/`` enables ``postBuild`` substitution, every
policy containing ``${`` gets a warning: Flux 2.9 fails the whole reconciliation on an
unresolved variable (kustomize-controller#1692). Escape it as ``$${`` or annotate the
policy ``kustomize.toolkit.fluxcd.io/substitute: disabled``.

Passing example::

    # settings:
    gitops:
      tiers: [sbx, prd]
      clusters:
      - {name: prd-1, tier: prd, file: gitopspol.yaml, line: 21}
      drift: []

Failing example::

    # expect: cluster prd-1 runs tier 'prod', which gitopspol.yaml does not define
    # expect: clusters/argocd/applicationset-sbx.yaml is out of date with gitopspol.yaml
    # settings:
    gitops:
      tiers: [sbx, prd]
      clusters:
      - {name: prd-1, tier: prod, file: gitopspol.yaml, line: 21}
      drift:
      - {path: clusters/argocd/applicationset-sbx.yaml, state: changed, file: gitopspol.yaml,
         line: 21}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from gitopspol.checks.base import Rule, RuleContext, Scope
from gitopspol.findings import Finding, Location, Severity

SUBSTITUTE = "kustomize.toolkit.fluxcd.io/substitute"
_STATES = {
    "missing": "is missing",
    "changed": "is out of date with gitopspol.yaml",
    "stale": "is no longer generated from gitopspol.yaml",
}


def _root(ctx: RuleContext) -> Path | None:
    """The repository root: ``settings['root']``, else the parent of the overlays."""
    root = ctx.settings.get("root")
    if isinstance(root, str | Path):
        return Path(root)
    overlays = ctx.settings.get("overlays")
    if isinstance(overlays, Mapping):
        for folder in overlays.values():
            candidate = Path(str(folder)).parent.parent
            if (candidate / "gitopspol.yaml").is_file():
                return candidate
    return None


def _state(ctx: RuleContext) -> Mapping[str, Any]:
    """``settings['gitops']`` (plain data, see :func:`gitopspol.gitops.state.gitops_state`),
    else computed from the repository on disk."""
    given = ctx.settings.get("gitops")
    if isinstance(given, Mapping):
        return given
    root = _root(ctx)
    if root is None:
        return {}

    def compute() -> dict[str, Any]:
        from gitopspol.gitops.state import gitops_state

        return gitops_state(root)

    result: dict[str, Any] = ctx.cached("gitops-state", compute)
    return result


def _substitution(data: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Path of the first string containing ``${`` (not escaped as ``$${``), or None."""
    if isinstance(data, str):
        return path if "${" in data.replace("$${", "") else None
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        found = _substitution(value, (*path, key))
        if found is not None:
            return found
    return None


def _post_build(ctx: RuleContext) -> Iterator[Finding]:
    seen: set[str] = set()
    for tier, doc in ctx.documents():
        meta = doc.data.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        if isinstance(annotations, dict) and annotations.get(SUBSTITUTE) == "disabled":
            continue
        path = _substitution(doc.data)
        if path is None:
            continue
        finding = RULE.finding(
            "contains '${' and a Flux Kustomization under clusters/ enables postBuild "
            f"substitution: escape it as '$${{' or annotate {SUBSTITUTE}: disabled",
            doc=doc,
            tier=tier,
            path=path,
            severity=Severity.WARNING,
        )
        if (finding.resource or "") not in seen:
            seen.add(finding.resource or "")
            yield finding


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield unknown cluster tiers, out-of-date generated files and postBuild hazards."""
    state = _state(ctx)
    tiers = [str(t) for t in state.get("tiers") or []]
    for cluster in state.get("clusters") or []:
        if tiers and cluster.get("tier") not in tiers:
            yield Finding(
                RULE.id,
                RULE.severity,
                f"cluster {cluster.get('name')} runs tier {cluster.get('tier')!r}, which "
                f"gitopspol.yaml does not define (tiers: {', '.join(tiers)})",
                Location(
                    str(cluster.get("file") or "gitopspol.yaml"), int(cluster.get("line") or 0)
                ),
            )
    for drift in state.get("drift") or []:
        yield Finding(
            RULE.id,
            RULE.severity,
            f"{drift.get('path')} {_STATES.get(str(drift.get('state')), 'differs')}: "
            "run 'gitopspol apps' and commit clusters/",
            Location(str(drift.get("file") or "gitopspol.yaml"), int(drift.get("line") or 0)),
        )
    if state.get("post_build"):
        yield from _post_build(ctx)


RULE = Rule(
    id="GP501",
    name="gitops-output-stale",
    severity=Severity.ERROR,
    scope=Scope.REPOSITORY,
    doc=__doc__ or "",
    check=check,
)
