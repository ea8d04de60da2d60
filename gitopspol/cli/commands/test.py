"""``gitopspol test [TIER]...``: run the repository's behaviour cases in each tier."""

from __future__ import annotations

import argparse
import sys

from gitopspol.cli.common import add_format_option, add_repo_option

HELP = "run the behaviour cases in each tier and print the verdict matrix"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tiers", metavar="TIER", nargs="*")
    add_repo_option(parser)
    add_format_option(parser, ("text", "json", "junit"))
    parser.add_argument(
        "--agreement",
        action="store_true",
        help="also report where policies of the same control disagree (text format)",
    )


def run(args: argparse.Namespace) -> int:
    from gitopspol.behaviour import report
    from gitopspol.behaviour.agreement import agreement
    from gitopspol.behaviour.run import run_repository

    matrix = run_repository(args.repo, tuple(args.tiers))
    if args.format == "json":
        from gitopspol.behaviour.strictness import behavioural_strictness

        sys.stdout.write(
            report.matrix_json(matrix, agreement(matrix), behavioural_strictness(matrix))
        )
    elif args.format == "junit":
        sys.stdout.write(report.matrix_junit(matrix))
    else:
        sys.stdout.write(report.matrix_text(matrix))
        if args.agreement:
            sys.stdout.write("\n" + report.agreement_text(agreement(matrix)))
    return 0 if matrix.ok else 1
