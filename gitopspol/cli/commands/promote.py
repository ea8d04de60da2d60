"""``gitopspol promote FROM TO``: policy-by-policy promotion as one gated Git commit."""

from __future__ import annotations

import argparse

from gitopspol.cli.common import add_repo_option, not_implemented

HELP = "promote policies from one tier to the next as one gated, revertible commit"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("from_tier", metavar="FROM")
    parser.add_argument("to_tier", metavar="TO")
    add_repo_option(parser)
    parser.add_argument("--policy", action="append", default=[], metavar="NAME")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--branch", metavar="NAME")
    parser.add_argument("--message", metavar="TEXT")
    parser.add_argument("--no-commit", action="store_true")
    parser.add_argument("--min-soak", metavar="DURATION")


def run(args: argparse.Namespace) -> int:
    return not_implemented("promote")
