"""What the repository rules (GP1xx consistency, GP2xx tier strictness) share.

Repository data reaches rules as plain values in ``RuleContext.settings`` (so documented
examples can state it in YAML), all optional:

``root``
    the repository folder (absolute).
``base``
    the rendered ``policies/`` folder: its resources (or plain data, in examples).
``render_errors``
    ``{tier: {message, file, line}}`` for tiers that did not render.
``patches``
    ``[{tier, file, line or path, target, deletes}]``: every targeted patch of each tier's
    kustomization (``path``: its key path in the file, located only when reported;
    ``deletes``: the patch is a ``$patch: delete``).
``overlays``
    ``{tier: folder}``: each tier's overlay folder (where a deleted policy is looked for).
``profiles``
    ``{tier: settings}``: each tier's profile settings (``Tier.settings()`` shape).
``namespaces``
    the workload namespaces whose PSA labels the tier settings manage.
``waivers``
    ``[{policy, tier, rule, reason, expires, file, line}]`` from gitopspol.yaml.
``today``
    ``YYYY-MM-DD``: the date waivers expire against (default: today).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopspol import yamlio
from gitopspol.checks.base import Rule, RuleContext, SourceDocument, Subject
from gitopspol.diff.locate import locate
from gitopspol.findings import Finding, Location

if TYPE_CHECKING:
    # gitopspol.diff imports gitopspol.checks.base: imported lazily to avoid a cycle.
    from gitopspol.diff import Change, PolicyView


def tier_pairs(ctx: RuleContext) -> list[tuple[str, str]]:
    """Adjacent ``(lower, higher)`` tier pairs, by rank (``ctx.tiers`` is lowest first)."""
    return list(itertools.pairwise(ctx.tiers))


def views(ctx: RuleContext, tier: str) -> dict[str, PolicyView]:
    """Policy views of a tier, computed once per context."""
    from gitopspol.diff import policy_views

    result: dict[str, PolicyView] = ctx.cached(
        f"views:{tier}", lambda: policy_views(ctx.tiers.get(tier, ()))
    )
    return result


def base_views(ctx: RuleContext) -> dict[str, PolicyView] | None:
    """Policy views of the rendered base (``settings['base']``), or None when not given."""
    base = ctx.settings.get("base")
    if not isinstance(base, list):
        return None

    def compute() -> dict[str, PolicyView]:
        from gitopspol.diff import policy_views

        # Rendered resources (with provenance) or plain data (documented examples).
        docs: list[Subject] = [SourceDocument(d, "") if isinstance(d, dict) else d for d in base]
        return policy_views(docs)

    result: dict[str, PolicyView] = ctx.cached("views:<base>", compute)
    return result


def pair_changes(ctx: RuleContext, lower: str, higher: str) -> list[Change]:
    """Changes from ``lower`` to ``higher``, computed once per context."""
    from gitopspol.diff import compare_policies

    result: list[Change] = ctx.cached(
        f"changes:{lower}:{higher}",
        lambda: compare_policies(views(ctx, lower), views(ctx, higher)),
    )
    return result


def today(ctx: RuleContext) -> dt.date:
    """The date waivers expire against."""
    value = ctx.settings.get("today")
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.date):
        return value
    return dt.date.today()


def waivers(ctx: RuleContext) -> list[Mapping[str, Any]]:
    """The waivers of gitopspol.yaml as plain mappings."""
    found = ctx.settings.get("waivers")
    return [w for w in found if isinstance(w, Mapping)] if isinstance(found, list) else []


def expired(ctx: RuleContext, waiver: Mapping[str, Any]) -> bool:
    """Whether a waiver's expiry date has passed (a waiver holds through its expiry day)."""
    try:
        return today(ctx) > dt.date.fromisoformat(str(waiver.get("expires", ""))[:10])
    except ValueError:
        return True


def waived(ctx: RuleContext, policy: str, tier: str, rule: str = "") -> bool:
    """Whether a valid (unexpired) waiver covers ``policy`` (``Kind/name`` or name) in ``tier``."""
    name = policy.rsplit("/", 1)[-1]
    for waiver in waivers(ctx):
        if waiver.get("tier") != tier or str(waiver.get("policy")) not in (policy, name):
            continue
        if waiver.get("rule") and rule and waiver.get("rule") != rule:
            continue
        if not expired(ctx, waiver):
            return True
    return False


def change_finding(rule: Rule, change: Change, tier: str, message: str) -> Finding:
    """A finding of ``rule`` about a change, at the line that set the value."""
    location = locate(change.subject, change.pointer) if change.subject is not None else None
    return Finding(rule.id, rule.severity, message, location, tier, change.policy)


def describe(change: Change) -> str:
    """``ClusterPolicy/x rule r: failureAction`` (the subject of a finding message)."""
    rule = f" rule {change.rule}" if change.rule else ""
    return f"{change.policy}{rule}: {change.aspect}"


def weakened(ctx: RuleContext, categories: Sequence[str]) -> Iterator[tuple[str, str, Change]]:
    """``(lower, higher, change)`` for every unwaived weakening of these categories
    (:class:`gitopspol.diff.Category` values)."""
    for lower, higher in tier_pairs(ctx):
        for change in pair_changes(ctx, lower, higher):
            if (
                change.category in categories
                and change.weakens
                and not waived(ctx, change.policy, higher, change.rule)
            ):
                yield lower, higher, change


_DELETE = re.compile(r"\$patch:\s*['\"]?delete")


def deletion_location(ctx: RuleContext, tier: str, name: str) -> Location | None:
    """The ``$patch: delete`` of the policy ``name`` in the tier's overlay folder, if any."""
    overlays = ctx.settings.get("overlays")
    folder = overlays.get(tier) if isinstance(overlays, Mapping) else None
    if not isinstance(folder, str) or not Path(folder).is_dir():
        return None
    name_line = re.compile(rf"""^\s*name:\s*["']?{re.escape(name)}["']?\s*$""")
    for path in sorted(Path(folder).iterdir()):
        if path.suffix not in (".yaml", ".yml") and path.name != "Kustomization":
            continue
        try:
            lines = yamlio.read_text(path).splitlines()
        except Exception:  # unreadable files are the renderer's to report
            continue
        for number, text in enumerate(lines):
            if not _DELETE.search(text):
                continue
            window = range(max(0, number - 12), min(len(lines), number + 12))
            for other in window:
                if name_line.match(lines[other]):
                    return Location(str(path), number + 1)
    return None


def missing_location(ctx: RuleContext, tier: str, view: PolicyView) -> Location:
    """Where to fix a policy missing from ``tier``: its deletion, else the overlay, else
    where the policy is defined in the tier that has it."""
    found = deletion_location(ctx, tier, view.name)
    if found is not None:
        return found
    overlays = ctx.settings.get("overlays")
    folder = overlays.get(tier) if isinstance(overlays, Mapping) else None
    if isinstance(folder, str) and (Path(folder) / "kustomization.yaml").is_file():
        return Location(str(Path(folder) / "kustomization.yaml"), 1)
    if getattr(view.subject, "file", None) != "":
        return locate(view.subject, "/metadata/name")
    first = next(iter(ctx.tiers.get(tier, ())), None)
    return locate(first, "") if first is not None else Location("")


def strictness_findings(
    ctx: RuleContext, rule: Rule, categories: Sequence[str]
) -> Iterator[Finding]:
    """Findings of a GP2xx rule: each unwaived weakening of ``categories`` between tiers."""
    for lower, higher, change in weakened(ctx, categories):
        message = (
            f"{describe(change)} is weaker in {higher} than in {lower}: "
            f"{change.before or '(none)'} -> {change.after or '(none)'}"
        )
        yield change_finding(rule, change, higher, message)
