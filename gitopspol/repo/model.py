"""The repository model: tiers ordered by rank, clusters, engines, GitOps target, waivers.

Frozen, slotted values built from validated YAML by :mod:`gitopspol.repo.config`; nothing
here reads files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitopspol.errors import ConfigError


@dataclass(frozen=True, slots=True)
class PsaMode:
    """One Pod Security Admission mode of a tier: level and version pin."""

    level: str
    version: str


@dataclass(frozen=True, slots=True)
class Tier:
    """What one risk tier enforces, per engine (a built-in profile, or a repository's tier).

    ``profile`` names the built-in profile the tier is based on (a built-in profile's own
    name for the profiles themselves).
    """

    name: str
    rank: int
    profile: str
    kyverno_failure_action: str
    validation_actions: tuple[str, ...]
    gatekeeper_enforcement_action: str
    psa_enforce: PsaMode
    psa_audit: PsaMode
    psa_warn: PsaMode
    description: str = ""
    #: Kubewarden ``spec.mode`` (``monitor`` < ``protect``).
    kubewarden_mode: str = "protect"

    @property
    def psa_labels(self) -> dict[str, str]:
        """The ``pod-security.kubernetes.io/*`` namespace labels this tier applies."""
        labels: dict[str, str] = {}
        for mode, setting in (
            ("enforce", self.psa_enforce),
            ("audit", self.psa_audit),
            ("warn", self.psa_warn),
        ):
            labels[f"pod-security.kubernetes.io/{mode}"] = setting.level
            labels[f"pod-security.kubernetes.io/{mode}-version"] = setting.version
        return labels

    def settings(self) -> dict[str, Any]:
        """The tier settings as a profile document (the shape of ``environments/<tier>.yaml``)."""
        return {
            "kyverno": {"failureAction": self.kyverno_failure_action},
            "validatingPolicy": {"validationActions": list(self.validation_actions)},
            "gatekeeper": {"enforcementAction": self.gatekeeper_enforcement_action},
            "psa": {
                mode: {"level": s.level, "version": s.version}
                for mode, s in (
                    ("enforce", self.psa_enforce),
                    ("audit", self.psa_audit),
                    ("warn", self.psa_warn),
                )
            },
            "kubewarden": {"mode": self.kubewarden_mode},
        }


@dataclass(frozen=True, slots=True)
class Cluster:
    """A cluster that runs one tier."""

    name: str
    tier: str
    server: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Waiver:
    """An accepted, reasoned and expiring exception to the tier-strictness rules."""

    policy: str
    tier: str
    reason: str
    expires: dt.date
    rule: str | None = None
    line: int | None = None

    def expired(self, today: dt.date | None = None) -> bool:
        """True once ``expires`` has passed (a waiver is valid through its expiry day)."""
        return (today or dt.date.today()) > self.expires


@dataclass(frozen=True, slots=True)
class Repository:
    """A policy repository, as its ``gitopspol.yaml`` describes it."""

    root: Path
    name: str
    #: Ordered by rank, least strict first.
    tiers: tuple[Tier, ...]
    engines: tuple[str, ...]
    kyverno_flavour: str = "ClusterPolicy"
    gitops: str = "argocd"
    trusted_registries: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    #: Kubewarden module reference -> local ``.wasm`` file (relative to ``root`` unless
    #: absolute): gitopspol.yaml ``kubewarden.modules``.
    kubewarden_modules: Mapping[str, Path] = field(default_factory=dict)

    @property
    def config_file(self) -> Path:
        """The ``gitopspol.yaml`` this model was loaded from."""
        return self.root / "gitopspol.yaml"

    @property
    def tier_names(self) -> tuple[str, ...]:
        """Tier names, least strict first."""
        return tuple(t.name for t in self.tiers)

    def tier(self, name: str) -> Tier:
        """The tier called ``name``; an unknown name is a :class:`ConfigError` on gitopspol.yaml."""
        for tier in self.tiers:
            if tier.name == name:
                return tier
        known = ", ".join(self.tier_names)
        raise ConfigError(f"unknown tier {name!r} (tiers: {known})", self.config_file)

    def environment_dir(self, tier: str) -> Path:
        """``environments/<tier>``: the Kustomize overlay that renders ``tier``."""
        return self.root / "environments" / self.tier(tier).name

    def active_waivers(self, today: dt.date | None = None) -> tuple[Waiver, ...]:
        """Waivers that have not expired."""
        return tuple(w for w in self.waivers if not w.expired(today))
