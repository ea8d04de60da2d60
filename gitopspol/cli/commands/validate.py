"""``gitopspol validate``: render, schema, consistency, tier strictness, behaviour, GitOps output."""

from __future__ import annotations

import argparse

from gitopspol.cli.common import add_format_option, add_repo_option, not_implemented

HELP = "validate every tier: schemas, consistency, tier strictness, behaviour, GitOps output"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    add_format_option(parser, ("text", "json", "sarif", "junit", "github"))
    parser.add_argument("--fail-on", choices=("error", "warning"), default="error")
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    parser.add_argument("--crd", action="append", default=[], metavar="PATH")
    parser.add_argument("--changed-since", metavar="REV")


def run(args: argparse.Namespace) -> int:
    return not_implemented("validate")
