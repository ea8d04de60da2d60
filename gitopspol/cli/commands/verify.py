"""``gitopspol verify PATH...``: run Kyverno CLI and gator suites found under PATH."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gitopspol.cli.common import add_format_option
from gitopspol.engines.suite import SuiteResult, run_suites

HELP = "run kyverno-test.yaml and gator Suite files found under PATH"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", metavar="PATH", nargs="+", type=Path)
    add_format_option(parser, ("text", "json"))


def to_json(results: list[SuiteResult]) -> str:
    """The contract's JSON document."""
    ok = sum(1 for r in results if r.ok)
    doc = {
        "schema_version": 1,
        "results": [
            {
                "suite": r.suite,
                "policy": r.policy,
                "rule": r.rule,
                "resource": r.resource,
                "expected": r.expected,
                "actual": r.actual,
                "ok": r.ok,
                **({"detail": r.detail} if r.detail else {}),
            }
            for r in results
        ],
        "summary": {"total": len(results), "ok": ok, "failed": len(results) - ok},
    }
    return json.dumps(doc, indent=2)


def to_text(results: list[SuiteResult]) -> str:
    """Failures grouped by suite, then the closing ``N passed, N failed`` line."""
    lines: list[str] = []
    current = None
    for r in results:
        if r.ok:
            continue
        if r.suite != current:
            current = r.suite
            lines.append(r.suite)
        rule = f"/{r.rule}" if r.rule else ""
        detail = f" ({r.detail})" if r.detail else ""
        lines.append(
            f"  FAIL {r.policy}{rule} {r.resource}: expected {r.expected}, got {r.actual}{detail}"
        )
    ok = sum(1 for r in results if r.ok)
    lines.append(f"{ok} passed, {len(results) - ok} failed")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    results = run_suites(args.paths)
    sys.stdout.write(to_json(results) + "\n" if args.format == "json" else to_text(results))
    return 0 if all(r.ok for r in results) else 1
