"""Behaviour cases: what each tier's admission chain does to real requests.

Public API:

* :mod:`gitopspol.behaviour.cases`: the ``BehaviourCase`` format (:data:`CASE_SCHEMA`),
  :class:`Verdict`, :func:`load_cases` ``(root, tiers=None)``, :func:`load_case_file`;
* :mod:`gitopspol.behaviour.tier`: :func:`prepare_tier` ``(rendered, name="")`` ->
  :class:`PreparedTier`, :func:`evaluate_tier` ``(tier, request, *, enforce_templates=False)``
  -> :class:`Admission` (verdict, deciding engine/policy/rule);
* :mod:`gitopspol.behaviour.run`: :func:`run_repository` ``(root, tiers=())`` -> :class:`Matrix`,
  :func:`prepare_tiers`, :func:`run_cases`;
* :mod:`gitopspol.behaviour.strictness`: :func:`behavioural_strictness` ``(matrix)`` -> GP401/GP402
  findings;
* :mod:`gitopspol.behaviour.agreement`: :func:`agreement` ``(matrix)`` -> cross-engine
  disagreements per control;
* :mod:`gitopspol.behaviour.check`: :func:`check_paths` ``(tier, paths)`` for ``gitopspol check``.

Engines are imported lazily, on first evaluation.
"""

from __future__ import annotations

from gitopspol.behaviour.cases import BehaviourCase, Expectation, Verdict, load_cases
from gitopspol.behaviour.tier import Admission, PreparedTier, evaluate_tier, prepare_tier

__all__ = [
    "Admission",
    "BehaviourCase",
    "Expectation",
    "PreparedTier",
    "Verdict",
    "evaluate_tier",
    "load_cases",
    "prepare_tier",
]
