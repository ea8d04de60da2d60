"""``gitopspol check TIER PATH...``: would these manifests be admitted in TIER, and why not."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gitopspol.cli.common import add_format_option, add_repo_option

HELP = "would these application manifests be admitted in TIER"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tier", metavar="TIER")
    parser.add_argument("paths", metavar="PATH", nargs="+", type=Path)
    add_repo_option(parser)
    add_format_option(parser, ("text", "json", "sarif", "junit"))
    parser.add_argument(
        "-n",
        "--namespace",
        default="default",
        help="namespace of objects that set none (default: default)",
    )


def run(args: argparse.Namespace) -> int:
    from gitopspol.behaviour import report
    from gitopspol.behaviour.cases import Verdict
    from gitopspol.behaviour.check import check_objects, load_manifests
    from gitopspol.behaviour.run import prepare_tiers
    from gitopspol.repo import load_repository

    repo = load_repository(args.repo)
    tier = prepare_tiers(repo, (args.tier,))[args.tier]
    items = check_objects(tier, load_manifests(args.paths), args.namespace)
    if args.format == "json":
        out = report.check_json(args.tier, items)
    elif args.format == "junit":
        out = report.check_junit(args.tier, items)
    elif args.format == "sarif":
        from gitopspol.checks import RuleInfo, Scope
        from gitopspol.findings import Severity
        from gitopspol.report import Summary, sarif_report

        rules = (
            RuleInfo(
                report.CHECK_DENIED,
                "admission-denied",
                Severity.ERROR,
                Scope.DOCUMENT,
                f"the object would be denied in tier {args.tier}",
                "A policy of the tier rejects the object; its message says what to change.",
            ),
            RuleInfo(
                report.CHECK_WARNED,
                "admission-warning",
                Severity.WARNING,
                Scope.DOCUMENT,
                f"the object would be admitted with a warning or audit report in {args.tier}",
                "A policy of the tier reports the object without rejecting it.",
            ),
        )
        out = sarif_report(
            report.check_findings(args.tier, items),
            Summary(tiers=(args.tier,), rules=rules, documents=len(items), root=str(Path.cwd())),
        )
    else:
        out = report.check_text(args.tier, items)
    sys.stdout.write(out)
    return 1 if any(i.admission.verdict is Verdict.DENY for i in items) else 0
