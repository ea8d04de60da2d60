"""The scaffold's behaviour cases hold: every engine's verdict, evaluated offline on the
rendered tiers, matches the verdict each case expects (breakout pod denied in prd by each
engine, reported in sbx; compliant pods admitted silently)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitopspol.engines.admission import Action, AdmissionRequest, RuleResult, Status
from gitopspol.repo import load_repository
from gitopspol.repo.build import render_tier
from gitopspol.repo.cases import load_cases
from gitopspol.repo.scaffold import init_repository
from gitopspol.yamlio import load_all


def _results(docs: list[dict[str, Any]], obj: dict[str, Any]) -> list[RuleResult]:
    """Every engine's results for one object, given one tier's rendered documents."""
    from gitopspol.engines import gatekeeper, psa
    from gitopspol.engines.kyverno.engine import Inputs, evaluate_policy
    from gitopspol.engines.vpol.evaluate import evaluate_validating_policy

    name = obj["metadata"]["namespace"]
    namespace = next(
        (d for d in docs if d["kind"] == "Namespace" and d["metadata"]["name"] == name),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    )
    # The API server labels every namespace with its name.
    labels = {**namespace["metadata"].get("labels", {}), "kubernetes.io/metadata.name": name}
    namespace = {**namespace, "metadata": {**namespace["metadata"], "labels": labels}}
    request = AdmissionRequest(object=obj, namespace_object=namespace)
    results: list[RuleResult] = []
    for doc in docs:
        if doc["kind"] == "ClusterPolicy":
            results += evaluate_policy(doc, request, Inputs(namespace_labels=labels))
        elif doc["kind"] == "ValidatingPolicy":
            results += evaluate_validating_policy(doc, request)
    templates = [d for d in docs if d["kind"] == "ConstraintTemplate"]
    constraints = [d for d in docs if d["apiVersion"].startswith("constraints.gatekeeper.sh/")]
    if templates:
        results += gatekeeper.evaluate(templates, constraints, request, namespace=namespace)
    if any(d["kind"] == "Namespace" for d in docs):
        results += psa.admit(request)
    return results


def _verdict(results: list[RuleResult]) -> str:
    assert all(r.status is not Status.ERROR for r in results), [r.message for r in results]
    failed = [r for r in results if r.status is Status.FAIL]
    if any(Action.DENY in r.actions for r in failed):
        return "deny"
    return "warn" if failed else "allow"


def _engines_that_deny(results: list[RuleResult]) -> set[str]:
    return {r.engine for r in results if r.status is Status.FAIL and Action.DENY in r.actions}


def _check(root: Path) -> dict[tuple[str, str], set[str]]:
    """Assert every case's verdict in every tier; return the engines that denied each."""
    repo = load_repository(root)
    cases = load_cases(repo)
    assert len(cases) == 4
    denied: dict[tuple[str, str], set[str]] = {}
    for tier in repo.tier_names:
        docs = [d for d in load_all(render_tier(repo, tier)) if d]
        for case in cases:
            results = [r for obj in case.objects() for r in _results(docs, obj)]
            assert _verdict(results) == case.expect[tier], (case.name, tier, results)
            denied[(case.name, tier)] = _engines_that_deny(results)
    return denied


def test_default_scaffold_cases_hold_for_every_engine(default_repo: Path) -> None:
    denied = _check(default_repo)
    assert denied[("container-breakout", "prd")] == {"kyverno", "gatekeeper", "psa"}
    assert denied[("container-breakout", "sbx")] == set()
    assert denied[("untrusted-registry", "prd")] == {"kyverno", "gatekeeper"}


def test_validating_policy_scaffold_cases_hold(vpol_repo: Path) -> None:
    denied = _check(vpol_repo)
    assert denied[("container-breakout", "prd")] == {"vpol", "gatekeeper", "psa"}


@pytest.mark.parametrize("engines", [["psa"], ["gatekeeper"], ["kyverno", "psa"]])
def test_custom_tiers_cases_hold(tmp_path: Path, engines: list[str]) -> None:
    root = init_repository(
        tmp_path / "r",
        {"tiers": ["dev", "stg", "prd"], "engines": engines, "registries": ["ghcr.io/acme/"]},
    ).root
    _check(root)
