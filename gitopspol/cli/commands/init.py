"""``gitopspol init DEST``: create a policy repository from the packaged scaffold."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitopspol.cli.common import not_implemented

HELP = "create a policy repository from the scaffold"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", metavar="DEST", type=Path, help="folder to create")
    parser.add_argument(
        "--defaults", action="store_true", help="answer every question with its default"
    )
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer a scaffold question (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    return not_implemented("init")
