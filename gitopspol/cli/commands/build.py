"""``gitopspol build TIER``: render one tier of the policy repository."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gitopspol.cli.common import add_repo_option

HELP = "render one tier of the policy repository"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tier", metavar="TIER")
    add_repo_option(parser)
    parser.add_argument("-o", dest="output", metavar="FILE", type=Path, help="write to FILE")


def run(args: argparse.Namespace) -> int:
    from gitopspol.errors import InputError
    from gitopspol.fsutil import atomic_write
    from gitopspol.repo.build import render_tier
    from gitopspol.repo.config import load_repository

    output = render_tier(load_repository(args.repo), args.tier)
    if args.output is not None:
        try:
            atomic_write(args.output, output)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", args.output) from None
    else:
        sys.stdout.write(output)
    return 0
