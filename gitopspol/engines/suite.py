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
from typing import Any

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

    Hidden folders are walked (Kyverno keeps tests in ``.kyverno-test/``). A path that holds
    no suite is an error naming it: a CI job pointed at the wrong folder must not pass.
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
        found = False
        for file in files:
            if file.name in KYVERNO_TEST_NAMES:
                found = True
                yield "kyverno", file
            elif file.suffix in (".yaml", ".yml") and _is_gator_suite(file):
                found = True
                yield "gatekeeper", file
        if not found:
            raise GitopspolError(
                f"no {KYVERNO_TEST_NAMES[0]} or gator Suite file found (nothing to verify)", root
            )


def run_suites(paths: Iterable[Path]) -> list[SuiteResult]:
    """Run every suite found under ``paths`` with its engine.

    A suite reads only files in or below the ``paths`` entry it was found under (for a
    file, its folder): see :func:`confine`.
    """
    results: list[SuiteResult] = []
    for root in paths:
        for engine, file in discover([root]):
            confine(engine, file, root if root.is_dir() else root.parent)
            module = importlib.import_module(f"gitopspol.engines.{engine}.suite")
            results.extend(module.run_suite(file))
    return results


#: The fields of a ``kyverno-test.yaml`` that name files (a string or a list of strings).
_KYVERNO_FILE_FIELDS = (
    "policies",
    "resources",
    "variables",
    "userinfo",
    "context",
    "paramResources",
    "exceptions",
)


#: The files a Kyverno test reads in a folder it names (``kyverno.suite._load_docs``).
_READ_SUFFIXES = (".yaml", ".yml", ".json")


def _named_files(engine: str, docs: list[Any]) -> Iterator[tuple[Any, int, tuple[str | int, ...]]]:
    """``(value, document index, key path)`` of every file a suite names."""
    for doc_index, doc in enumerate(docs):
        if not isinstance(doc, dict):
            continue
        if engine == "kyverno":
            for key in _KYVERNO_FILE_FIELDS:
                value = doc.get(key)
                if isinstance(value, list):
                    yield from ((v, doc_index, (key, i)) for i, v in enumerate(value))
                elif value is not None:
                    yield value, doc_index, (key,)
            continue
        if doc.get("kind") != "Suite":
            continue
        for t, test in enumerate(_list(doc.get("tests"))):
            if not isinstance(test, dict):
                continue
            for key in ("template", "constraint"):
                yield test.get(key), doc_index, ("tests", t, key)
            for c, case in enumerate(_list(test.get("cases"))):
                if not isinstance(case, dict):
                    continue
                yield case.get("object"), doc_index, ("tests", t, "cases", c, "object")
                for i, item in enumerate(_list(case.get("inventory"))):
                    yield item, doc_index, ("tests", t, "cases", c, "inventory", i)


def confine(engine: str, suite: Path, root: Path) -> None:
    """Refuse a suite that names a file resolving (symlinks followed) outside ``root``.

    The Kyverno CLI and gator read any path a suite names, absolute or ``../``, and a
    failing result can quote the file's values. ``verify`` runs untrusted suites, so it
    reads only below the folder it was given; the error names the suite file and line.
    Folders a suite names are checked file by file, as the engine reads them.
    """
    text = yamlio.read_text(suite)
    docs = yamlio.load_all(text, suite)
    top = Path(os.path.realpath(root))
    for value, doc_index, keys in _named_files(engine, docs):
        if not isinstance(value, str) or not value or "\x00" in value:
            continue  # the engine reports it
        named = suite.parent / value
        try:
            is_dir = named.is_dir()
            files = [f for f in named.rglob("*") if f.suffix in _READ_SUFFIXES] if is_dir else []
            outside = next(
                (f for f in [named, *files] if not _within(Path(os.path.realpath(f)), top)),
                None,
            )
        except OSError:
            continue  # the engine reports a name it cannot read
        if outside is not None:
            where = yamlio.locate(text, doc_index, keys)
            shown = value if outside == named else f"{value} (through {outside.name})"
            raise GitopspolError(
                f"security: {shown!r} resolves outside {root}: verify reads only files "
                "in or below the folder it is given",
                suite,
                where[0] if where else None,
            )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _within(path: Path, top: Path) -> bool:
    return path == top or top in path.parents
