"""``gitopspol diff FROM TO``: semantic per-policy difference between two tiers."""

from __future__ import annotations

import argparse

from gitopspol.cli.common import add_format_option, add_repo_option, not_implemented

HELP = "per-policy difference between two tiers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("from_tier", metavar="FROM")
    parser.add_argument("to_tier", metavar="TO")
    add_repo_option(parser)
    add_format_option(parser, ("text", "json", "markdown"))


def run(args: argparse.Namespace) -> int:
    return not_implemented("diff")
