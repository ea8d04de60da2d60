"""``gitopspol validate``: render, schema, consistency, tier strictness, behaviour, GitOps output."""

from __future__ import annotations

import argparse
import os
import sys

from gitopspol.cli.common import add_format_option, add_repo_option

HELP = "validate every tier: schemas, consistency, tier strictness, behaviour, GitOps output"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    add_format_option(parser, ("text", "json", "sarif", "junit", "github"))
    parser.add_argument("--fail-on", choices=("error", "warning"), default="error")
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    parser.add_argument("--crd", action="append", default=[], metavar="PATH")
    parser.add_argument("--changed-since", metavar="REV")


def run(args: argparse.Namespace) -> int:
    from gitopspol.checks import list_rules
    from gitopspol.findings import Severity
    from gitopspol.report import fails, github_report, render_report, rules_text
    from gitopspol.validate import validate_repository

    if args.list_rules:
        sys.stdout.write(rules_text(list_rules()))
        return 0
    result = validate_repository(args.repo, crds=args.crd, changed_since=args.changed_since)
    color = args.format == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    sys.stdout.write(render_report(args.format, result.findings, result.summary, color=color))
    if args.format == "text" and os.environ.get("GITHUB_ACTIONS") == "true":
        # In a GitHub Actions job the text report also annotates the pull request.
        sys.stdout.write(github_report(result.findings, result.summary))
    return 1 if fails(result.findings, Severity(args.fail_on)) else 0
