"""``gitopspol render DIR``: pure-Python ``kustomize build DIR`` to stdout."""

from __future__ import annotations

import argparse
from pathlib import Path

from gitopspol.cli.common import not_implemented

HELP = "render a kustomization like 'kubectl kustomize DIR'"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", metavar="DIR", type=Path, help="folder with a kustomization")


def run(args: argparse.Namespace) -> int:
    return not_implemented("render")
