"""Kubewarden: offline evaluation of local policy modules (waPC on wasmtime) and tier strictness.

Public API:

* :class:`WapcModule` ``.load(path)`` / ``.from_bytes(data, source=...)``, ``.call(operation,
  payload, *, fuel, timeout, memory_limit) -> bytes``: the waPC host;
* :func:`validate_settings` ``(module, settings, *, limits) -> (valid, message)`` and
  :func:`validate` ``(module, request, settings, *, limits) -> ValidationResponse``;
* :func:`evaluate` ``(policy, request, *, module_paths={}, base_dir, limits) ->
  list[RuleResult]`` for ClusterAdmissionPolicy, AdmissionPolicy and the policy groups;
* :func:`resolve_module`, :func:`admission_request`, :class:`Limits`;
  :func:`request_from_review` ``(document)`` for ``kwctl``-style AdmissionReview requests;
* :func:`compare` ``(lower, higher) -> list[Weakening]``: tier strictness of one policy;
  :func:`module_name` ``(reference)``: a module reference without scheme, tag and digest.

``wasmtime`` (the ``kubewarden`` extra) is imported only when a module is run.
"""

from __future__ import annotations

from gitopspol.engines.kubewarden.compare import Weakening, compare, module_name
from gitopspol.engines.kubewarden.engine import (
    ENGINE,
    GROUP_KINDS,
    NOT_OFFLINE,
    POLICY_KINDS,
    Limits,
    ValidationResponse,
    admission_request,
    evaluate,
    request_from_review,
    resolve_module,
    validate,
    validate_settings,
)
from gitopspol.engines.kubewarden.wapc import (
    UnsupportedModule,
    WapcModule,
    module_metadata,
    wasmtime_available,
)

__all__ = [
    "ENGINE",
    "GROUP_KINDS",
    "NOT_OFFLINE",
    "POLICY_KINDS",
    "Limits",
    "UnsupportedModule",
    "ValidationResponse",
    "WapcModule",
    "Weakening",
    "admission_request",
    "compare",
    "evaluate",
    "module_metadata",
    "module_name",
    "request_from_review",
    "resolve_module",
    "validate",
    "validate_settings",
    "wasmtime_available",
]
