"""Kind to resource (plural, lower case) names, as the API server's RESTMapper gives them.

Admission rules (VAP/ValidatingPolicy ``resourceRules``) and Kyverno's ``resource.Get``
name resources, while manifests name kinds. Offline there is no discovery, so the built-in
kinds are listed and any other kind is pluralised the way ``meta.UnsafeGuessKindToResource``
does (which is also what CRDs almost always declare).
"""

from __future__ import annotations

import functools

#: Kinds whose resource is not what the generic rule below gives.
_IRREGULAR = {
    "Endpoints": "endpoints",
    "PodSecurityPolicy": "podsecuritypolicies",
}


@functools.lru_cache(maxsize=1024)
def resource_for_kind(kind: str) -> str:
    """``Pod`` -> ``pods``, ``Ingress`` -> ``ingresses``, ``NetworkPolicy`` -> ``networkpolicies``."""
    if kind in _IRREGULAR:
        return _IRREGULAR[kind]
    low = kind.lower()
    if not low:
        return low
    if low.endswith("s"):
        return low + "es"
    if low.endswith("y") and low[-2:-1] not in ("a", "e", "i", "o", "u"):
        return low[:-1] + "ies"
    return low + "s"
