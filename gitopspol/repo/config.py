"""Load and validate the built-in tier profiles and a repository's ``gitopspol.yaml``.

Errors are :class:`~gitopspol.errors.ConfigError` at ``file:line`` of the offending value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from gitopspol.errors import ConfigError
from gitopspol.repo.model import Cluster, PsaMode, Repository, Tier, Waiver
from gitopspol.repo.schemas import PROFILE_SCHEMA, REPO_SCHEMA, config_error, validate
from gitopspol.resources import data_path
from gitopspol.yamlio import load, locate, read_text

CONFIG_FILE = "gitopspol.yaml"
_SETTING_KEYS = ("kyverno", "validatingPolicy", "gatekeeper", "psa", "kubewarden")


def _load_checked(path: Path, schema: dict[str, Any]) -> tuple[dict[str, Any], str]:
    text = read_text(path)
    data = load(text, path)
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", path, 1)
    validate(data, schema, text, path)
    return data, text


def tier_from_settings(
    name: str, rank: int, profile: str, doc: Mapping[str, Any], description: str = ""
) -> Tier:
    """Build a :class:`Tier` from a validated settings document (profile shape)."""
    psa = doc["psa"]
    return Tier(
        name=name,
        rank=rank,
        profile=profile,
        kyverno_failure_action=doc["kyverno"]["failureAction"],
        validation_actions=tuple(doc["validatingPolicy"]["validationActions"]),
        gatekeeper_enforcement_action=doc["gatekeeper"]["enforcementAction"],
        psa_enforce=PsaMode(**psa["enforce"]),
        psa_audit=PsaMode(**psa["audit"]),
        psa_warn=PsaMode(**psa["warn"]),
        description=description,
        # Optional (added later): without it, protect exactly when Gatekeeper denies.
        kubewarden_mode=(doc.get("kubewarden") or {}).get(
            "mode", "protect" if doc["gatekeeper"]["enforcementAction"] == "deny" else "monitor"
        ),
    )


def load_profile(path: str | Path) -> Tier:
    """Load one tier profile file, validated against :data:`PROFILE_SCHEMA`."""
    p = Path(path)
    data, text = _load_checked(p, PROFILE_SCHEMA)
    if data["name"] != p.stem:
        raise config_error(
            text, p, ["name"], f"profile name {data['name']!r} differs from its file name"
        )
    return tier_from_settings(
        data["name"], data["rank"], data["name"], data, data.get("description", "")
    )


@cache
def _builtin(folder: Path) -> dict[str, Tier]:
    profiles = [load_profile(p) for p in sorted(folder.glob("*.yaml"))]
    return {p.name: p for p in sorted(profiles, key=lambda t: t.rank)}


def builtin_profiles() -> dict[str, Tier]:
    """The profiles shipped with gitopspol (``sbx``, ``prd``), by name, least strict first."""
    return dict(_builtin(data_path("environments")))


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` onto ``base`` (mappings merge, everything else replaces)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_repository(root: str | Path) -> Repository:
    """Load ``<root>/gitopspol.yaml`` into a :class:`Repository` (tiers resolved, ranked)."""
    base = Path(root)
    path = base / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"no {CONFIG_FILE} here: not a gitopspol policy repository", base)
    data, text = _load_checked(path, REPO_SCHEMA)
    profiles = builtin_profiles()

    tiers: list[Tier] = []
    seen_names: dict[str, int] = {}
    seen_ranks: dict[int, str] = {}
    for index, entry in enumerate(data["tiers"]):
        name = entry["name"]
        if name in seen_names:
            raise config_error(text, path, ["tiers", index, "name"], f"duplicate tier {name!r}")
        seen_names[name] = index
        profile_name = entry.get("profile", name)
        profile = profiles.get(profile_name)
        if profile is None:
            key = "profile" if "profile" in entry else "name"
            known = ", ".join(profiles)
            raise config_error(
                text,
                path,
                ["tiers", index, key],
                f"no built-in tier profile {profile_name!r} (profiles: {known})",
            )
        settings = _merge(profile.settings(), {k: entry[k] for k in _SETTING_KEYS if k in entry})
        rank = entry.get("rank", profile.rank)
        if rank in seen_ranks:
            raise config_error(
                text,
                path,
                ["tiers", index, "rank" if "rank" in entry else "name"],
                f"tier {name!r} has rank {rank}, like tier {seen_ranks[rank]!r}: ranks must differ",
            )
        seen_ranks[rank] = name
        tiers.append(
            tier_from_settings(
                name, rank, profile_name, settings, entry.get("description", profile.description)
            )
        )
    tier_names = set(seen_names)

    clusters: list[Cluster] = []
    for index, entry in enumerate(data.get("clusters", [])):
        if entry["tier"] not in tier_names:
            raise config_error(
                text, path, ["clusters", index, "tier"], f"unknown tier {entry['tier']!r}"
            )
        if any(c.name == entry["name"] for c in clusters):
            raise config_error(
                text, path, ["clusters", index, "name"], f"duplicate cluster {entry['name']!r}"
            )
        clusters.append(
            Cluster(
                entry["name"], entry["tier"], entry.get("server"), dict(entry.get("labels", {}))
            )
        )

    waivers: list[Waiver] = []
    for index, entry in enumerate(data.get("waivers", [])):
        if entry["tier"] not in tier_names:
            raise config_error(
                text, path, ["waivers", index, "tier"], f"unknown tier {entry['tier']!r}"
            )
        try:
            expires = dt.date.fromisoformat(entry["expires"][:10])
        except ValueError:
            raise config_error(
                text, path, ["waivers", index, "expires"], f"invalid date {entry['expires']!r}"
            ) from None
        position = locate(text, 0, ["waivers", index])
        waivers.append(
            Waiver(
                entry["policy"],
                entry["tier"],
                entry["reason"],
                expires,
                entry.get("rule"),
                position[0] if position else None,
            )
        )

    return Repository(
        root=base,
        name=data["name"],
        tiers=tuple(sorted(tiers, key=lambda t: t.rank)),
        engines=tuple(data["engines"]),
        kyverno_flavour=data.get("kyvernoFlavour", "ClusterPolicy"),
        gitops=data.get("gitops", "argocd"),
        trusted_registries=tuple(data.get("trustedRegistries", ())),
        namespaces=tuple(data.get("namespaces", ())),
        clusters=tuple(clusters),
        waivers=tuple(waivers),
        kubewarden_modules={
            ref: Path(file)
            for ref, file in (data.get("kubewarden") or {}).get("modules", {}).items()
        },
    )
