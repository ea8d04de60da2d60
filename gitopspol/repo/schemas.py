"""JSON schemas of the files a policy repository is configured by, and the validation helper.

Three documents share the same definitions (:data:`DEFS`): a tier profile (the built-in
``environments/<tier>.yaml`` shipped with gitopspol), a repository's ``gitopspol.yaml``, and
the scaffold answers given to ``gitopspol init``. Every name that ends up in a path, a YAML
file or a workflow is held to a strict pattern here, so a value can never inject YAML or shell
into a generated file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitopspol.errors import ConfigError
from gitopspol.yamlio import locate

#: DNS-1123 label: tier, cluster and namespace names (they become folder names and labels).
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
#: An image reference prefix: registry host[:port] and path, no spaces, quotes or wildcards.
REGISTRY = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$"
#: A repository name.
REPO_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
#: A PSA version pin.
PSA_VERSION = r"^(latest|v1\.(0|[1-9][0-9]*))$"

ENGINES = ("kyverno", "gatekeeper", "psa", "kubewarden")
KYVERNO_FLAVOURS = ("ClusterPolicy", "ValidatingPolicy")
GITOPS_TARGETS = ("argocd", "flux", "both")

#: Human names of the patterns, for error messages.
PATTERN_NAMES = {
    DNS_LABEL: "a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)",
    REGISTRY: "an image registry or repository prefix (letters, digits, '.', '_', ':', '/', '-'; no spaces)",
    REPO_NAME: "a repository name (letters, digits, '.', '_', '-')",
    PSA_VERSION: "a Pod Security version ('latest' or 'v1.N')",
}

_PSA_MODE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["level", "version"],
    "properties": {
        "level": {"enum": ["privileged", "baseline", "restricted"]},
        "version": {"type": "string", "pattern": PSA_VERSION},
    },
}

#: Shared definitions.
DEFS: dict[str, Any] = {
    "dnsLabel": {"type": "string", "pattern": DNS_LABEL},
    "registry": {"type": "string", "pattern": REGISTRY},
    "registries": {
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"$ref": "#/$defs/registry"},
    },
    "engines": {
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"enum": list(ENGINES)},
    },
    "namespaces": {
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"$ref": "#/$defs/dnsLabel"},
    },
    "settings": {
        "kyverno": {
            "type": "object",
            "additionalProperties": False,
            "required": ["failureAction"],
            "properties": {"failureAction": {"enum": ["Audit", "Enforce"]}},
        },
        "validatingPolicy": {
            "type": "object",
            "additionalProperties": False,
            "required": ["validationActions"],
            "properties": {
                "validationActions": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"enum": ["Audit", "Warn", "Deny"]},
                    # Kubernetes refuses Deny together with Warn on a VAP binding.
                    "not": {
                        "allOf": [{"contains": {"const": "Deny"}}, {"contains": {"const": "Warn"}}]
                    },
                }
            },
        },
        "gatekeeper": {
            "type": "object",
            "additionalProperties": False,
            "required": ["enforcementAction"],
            "properties": {"enforcementAction": {"enum": ["dryrun", "warn", "deny"]}},
        },
        "psa": {
            "type": "object",
            "additionalProperties": False,
            "required": ["enforce", "audit", "warn"],
            "properties": {"enforce": _PSA_MODE, "audit": _PSA_MODE, "warn": _PSA_MODE},
        },
        "kubewarden": {
            "type": "object",
            "additionalProperties": False,
            "required": ["mode"],
            "properties": {"mode": {"enum": ["monitor", "protect"]}},
        },
    },
}
#: Settings a tier may leave out (added after repositories recorded their tier settings).
OPTIONAL_SETTINGS = ("kubewarden",)


def _optional(schema: Any) -> Any:
    """``schema`` with every ``required`` removed: a partial override of a profile."""
    if isinstance(schema, dict):
        return {k: _optional(v) for k, v in schema.items() if k != "required"}
    return schema


DEFS["overrides"] = _optional(DEFS["settings"])
_SETTINGS = {name: {"$ref": f"#/$defs/settings/{name}"} for name in DEFS["settings"]}
_REQUIRED_SETTINGS = [name for name in DEFS["settings"] if name not in OPTIONAL_SETTINGS]
_OVERRIDES = {name: {"$ref": f"#/$defs/overrides/{name}"} for name in DEFS["settings"]}

#: A built-in tier profile (``environments/<name>.yaml``).
PROFILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "gitopspol tier profile",
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "rank", *_REQUIRED_SETTINGS],
    "properties": {
        "name": {"$ref": "#/$defs/dnsLabel"},
        "rank": {"type": "integer", "minimum": 0},
        "description": {"type": "string"},
        **_SETTINGS,
    },
    "$defs": DEFS,
}

_TIER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"$ref": "#/$defs/dnsLabel"},
        "profile": {"$ref": "#/$defs/dnsLabel"},
        "rank": {"type": "integer", "minimum": 0},
        "description": {"type": "string"},
        **_OVERRIDES,
    },
}

_CLUSTER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "tier"],
    "properties": {
        "name": {"$ref": "#/$defs/dnsLabel"},
        "tier": {"$ref": "#/$defs/dnsLabel"},
        "server": {"type": "string", "pattern": r"^https://[^\s\"'\\`$]+$"},
        "labels": {
            "type": "object",
            "propertyNames": {
                "pattern": r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
            },
            "additionalProperties": {
                "type": "string",
                "pattern": r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$",
            },
        },
    },
}

_WAIVER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["policy", "tier", "reason", "expires"],
    "properties": {
        "policy": {"type": "string", "minLength": 1},
        "rule": {"type": "string", "minLength": 1},
        "tier": {"$ref": "#/$defs/dnsLabel"},
        "reason": {"type": "string", "minLength": 1},
        # A date (YYYY-MM-DD); yamlio turns unquoted dates into RFC 3339 strings.
        "expires": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T00:00:00Z)?$"},
    },
}

#: A policy repository's ``gitopspol.yaml``.
REPO_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "gitopspol.yaml",
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "name", "tiers", "engines"],
    "properties": {
        "apiVersion": {"const": "gitopspol.io/v1alpha1"},
        "kind": {"const": "PolicyRepository"},
        "name": {"type": "string", "pattern": REPO_NAME},
        "tiers": {"type": "array", "minItems": 1, "items": _TIER},
        "engines": {"$ref": "#/$defs/engines"},
        "kyvernoFlavour": {"enum": list(KYVERNO_FLAVOURS)},
        "gitops": {"enum": list(GITOPS_TARGETS)},
        # Where Argo CD / Flux fetch this repository from (`gitopspol apps`); optional.
        "repoURL": {"type": "string", "pattern": r"^(https|ssh)://[^\s\"'\\`$]+$"},
        "revision": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$"},
        "trustedRegistries": {"$ref": "#/$defs/registries"},
        "namespaces": {"$ref": "#/$defs/namespaces"},
        "clusters": {"type": "array", "items": _CLUSTER},
        "waivers": {"type": "array", "items": _WAIVER},
        # Kubewarden policy modules as local files, by the reference policies name
        # (`registry://...`, with or without the scheme); paths relative to the repository.
        "kubewarden": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "modules": {
                    "type": "object",
                    "propertyNames": {"minLength": 1},
                    "additionalProperties": {"type": "string", "minLength": 1},
                }
            },
        },
    },
    "$defs": DEFS,
}

#: The scaffold's questions (``gitopspol init --data KEY=VALUE``), one schema per answer.
ANSWER_SCHEMAS: dict[str, dict[str, Any]] = {
    "repo_name": {"type": "string", "pattern": REPO_NAME},
    "tiers": {
        "type": "array",
        "minItems": 1,
        "maxItems": 10,
        "items": {"$ref": "#/$defs/dnsLabel"},
    },
    "engines": {"$ref": "#/$defs/engines"},
    "kyverno_flavour": {"enum": list(KYVERNO_FLAVOURS)},
    "gitops": {"enum": list(GITOPS_TARGETS)},
    "registries": {"$ref": "#/$defs/registries"},
    "namespaces": {"$ref": "#/$defs/namespaces"},
    "clusters": {"type": "array", "items": _CLUSTER},
}

#: The ``tier_settings`` answer gitopspol computes (recorded in ``.copier-answers.yml``).
TIER_SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"pattern": DNS_LABEL},
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "required": ["profile", "rank", *_REQUIRED_SETTINGS],
        "properties": {
            "profile": {"$ref": "#/$defs/dnsLabel"},
            "rank": {"type": "integer", "minimum": 0},
            **_SETTINGS,
        },
    },
}


def first_error(
    data: Any, schema: dict[str, Any], *, defs: bool = True
) -> tuple[list[str | int], str] | None:
    """The first schema violation of ``data`` as ``(path, message)``, or None when valid.

    Errors are sorted by path so the reported one is stable; pattern failures are phrased
    with the pattern's human name rather than the regular expression.
    """
    from jsonschema import Draft202012Validator

    full = {**schema, "$defs": DEFS} if defs and "$defs" not in schema else schema
    errors = sorted(
        Draft202012Validator(full).iter_errors(data),
        key=lambda e: (len(e.absolute_path), [str(p) for p in e.absolute_path]),
    )
    if not errors:
        return None
    # The deepest error of the first branch is the most specific one.
    error = errors[0]
    while error.context:
        error = sorted(error.context, key=lambda e: -len(e.absolute_path))[0]
    path = list(error.absolute_path)
    if error.validator == "pattern":
        name = PATTERN_NAMES.get(str(error.validator_value), f"matching {error.validator_value}")
        message = f"{error.instance!r} is not {name}"
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        extra = [str(k) for k in error.instance if k not in known]
        path.append(extra[0])
        message = f"unknown field {extra[0]!r}"
    elif error.validator == "uniqueItems":
        message = f"duplicate entries in {error.instance!r}"
    elif error.validator == "not" and path and path[-1] == "validationActions":
        message = "validationActions may not combine Deny and Warn"
    else:
        message = error.message
    return path, message


def validate(data: Any, schema: dict[str, Any], text: str, source: str | Path) -> None:
    """Validate a loaded YAML document; raise :class:`ConfigError` at the offending line."""
    found = first_error(data, schema)
    if found is None:
        return
    path, message = found
    raise config_error(text, source, path, message)


def config_error(
    text: str, source: str | Path, path: Sequence[str | int], message: str
) -> ConfigError:
    """A :class:`ConfigError` located at the value at ``path`` in single-document ``text``."""
    where = locate(text, 0, path)
    dotted = dotted_path(path)
    prefix = f"{dotted}: " if dotted else ""
    return ConfigError(prefix + message, source, where[0] if where else None)


def dotted_path(path: Sequence[str | int]) -> str:
    """``["tiers", 0, "name"]`` -> ``tiers[0].name``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
