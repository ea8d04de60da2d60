"""Arguments and helpers shared by several commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitopspol.errors import InternalError


def add_repo_option(parser: argparse.ArgumentParser) -> None:
    """``-C REPO``: the policy repository (default: the current folder)."""
    parser.add_argument(
        "-C",
        dest="repo",
        metavar="REPO",
        type=Path,
        default=Path("."),
        help="policy repository (default: current folder)",
    )


def add_format_option(parser: argparse.ArgumentParser, choices: tuple[str, ...]) -> None:
    """``--format``: output format, the first choice being the default."""
    parser.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help=f"output format (default {choices[0]})",
    )


def not_implemented(command: str) -> int:
    """Commands whose issue is still open say so plainly instead of pretending."""
    raise InternalError(f"'gitopspol {command}' is not implemented yet")
