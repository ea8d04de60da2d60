"""Upstream-format test suites: discovery and the common result record for ``verify``.

Two formats are recognised: the Kyverno CLI's ``kyverno-test.yaml`` (``cli.kyverno.io`` Test)
and gator's ``Suite`` files (group ``test.gatekeeper.sh``, kind ``Suite``). Each engine
implements ``run_suite(path) -> list[SuiteResult]`` in its ``suite`` module.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gitopspol import yamlio
from gitopspol.errors import GitopspolError

KYVERNO_TEST_NAMES = ("kyverno-test.yaml", "kyverno-test.yml")


@dataclass(frozen=True, slots=True)
class SuiteResult:
    """One expected result of a suite and what gitopspol found.

    ``expected`` and ``actual`` are ``pass``/``fail``/``skip`` for Kyverno suites and
    ``violations: yes|no|N`` for gator suites; ``actual`` may also be ``error`` (the policy
    could not be evaluated; ``detail`` says why) or ``not evaluated`` (mutate, generate,
    verifyImages: never counted as a pass).
    """

    suite: str
    policy: str
    rule: str | None
    resource: str
    expected: str
    actual: str
    ok: bool
    detail: str = ""


def _is_gator_suite(path: Path) -> bool:
    try:
        text = yamlio.read_text(path)
    except GitopspolError:
        return False
    if "test.gatekeeper.sh" not in text or "Suite" not in text:
        return False
    try:
        doc = yamlio.load_all(text, path)
    except GitopspolError:
        return False
    for item in doc:
        if (
            isinstance(item, dict)
            and str(item.get("apiVersion", "")).split("/")[0] == "test.gatekeeper.sh"
            and item.get("kind") == "Suite"
        ):
            return True
    return False


def discover(paths: Iterable[Path]) -> Iterator[tuple[str, Path]]:
    """Yield ``(engine, suite file)`` for every suite under ``paths``, in sorted order.

    Hidden folders are walked (Kyverno keeps tests in ``.kyverno-test/``).
    """
    for root in paths:
        if root.is_file():
            files = [root]
        elif root.is_dir():
            files = []
            for folder, dirs, names in os.walk(root):
                dirs.sort()
                files.extend(Path(folder) / name for name in sorted(names))
        else:
            raise GitopspolError("no such file or folder", root)
        for file in files:
            if file.name in KYVERNO_TEST_NAMES:
                yield "kyverno", file
            elif file.suffix in (".yaml", ".yml") and _is_gator_suite(file):
                yield "gatekeeper", file


def run_suites(paths: Iterable[Path]) -> list[SuiteResult]:
    """Run every suite found under ``paths`` with its engine."""
    results: list[SuiteResult] = []
    for engine, file in discover(paths):
        module = importlib.import_module(f"gitopspol.engines.{engine}.suite")
        results.extend(module.run_suite(file))
    return results
