"""``gitopspol psa FILE...``: evaluate Pod Security Standards for each object."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitopspol.cli.common import add_format_option, not_implemented

HELP = "evaluate Pod Security Standards for each object in the files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", metavar="FILE", nargs="+", type=Path)
    parser.add_argument("--level", choices=("baseline", "restricted"), required=True)
    parser.add_argument("--version", default="latest", metavar="v1.N|latest")
    add_format_option(parser, ("text", "json"))


def run(args: argparse.Namespace) -> int:
    return not_implemented("psa")
