"""``gitopspol build TIER``: render one tier of the policy repository."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitopspol.cli.common import add_repo_option, not_implemented

HELP = "render one tier of the policy repository"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tier", metavar="TIER")
    add_repo_option(parser)
    parser.add_argument("-o", dest="output", metavar="FILE", type=Path, help="write to FILE")


def run(args: argparse.Namespace) -> int:
    return not_implemented("build")
