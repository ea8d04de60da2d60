"""``gitopspol diff FROM TO``: semantic per-policy difference between two tiers."""

from __future__ import annotations

import argparse
import sys

from gitopspol.cli.common import add_format_option, add_repo_option

HELP = "per-policy difference between two tiers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("from_tier", metavar="FROM")
    parser.add_argument("to_tier", metavar="TO")
    add_repo_option(parser)
    add_format_option(parser, ("text", "json", "markdown"))


def run(args: argparse.Namespace) -> int:
    from gitopspol.diff import diff_tiers, json_diff, markdown_diff, text_diff

    diff = diff_tiers(args.repo, args.from_tier, args.to_tier)
    formats = {"text": text_diff, "json": json_diff, "markdown": markdown_diff}
    sys.stdout.write(formats[args.format](diff))
    return 0
