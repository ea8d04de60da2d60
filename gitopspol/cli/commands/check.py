"""``gitopspol check TIER PATH...``: would these manifests be admitted in TIER, and why not."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitopspol.cli.common import add_format_option, add_repo_option, not_implemented

HELP = "would these application manifests be admitted in TIER"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tier", metavar="TIER")
    parser.add_argument("paths", metavar="PATH", nargs="+", type=Path)
    add_repo_option(parser)
    add_format_option(parser, ("text", "json", "sarif", "junit"))


def run(args: argparse.Namespace) -> int:
    return not_implemented("check")
