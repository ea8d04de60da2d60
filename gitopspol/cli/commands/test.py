"""``gitopspol test [TIER]...``: run the repository's behaviour cases in each tier."""

from __future__ import annotations

import argparse

from gitopspol.cli.common import add_format_option, add_repo_option, not_implemented

HELP = "run the behaviour cases in each tier and print the verdict matrix"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tiers", metavar="TIER", nargs="*")
    add_repo_option(parser)
    add_format_option(parser, ("text", "json", "junit"))


def run(args: argparse.Namespace) -> int:
    return not_implemented("test")
