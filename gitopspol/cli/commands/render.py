"""``gitopspol render DIR``: pure-Python ``kustomize build DIR`` to stdout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "render a kustomization like 'kubectl kustomize DIR'"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", metavar="DIR", type=Path, help="folder with a kustomization")


def run(args: argparse.Namespace) -> int:
    from gitopspol.render import Renderer

    renderer = Renderer()
    text = renderer.render(args.dir)
    for warning in dict.fromkeys(renderer.warnings):
        sys.stderr.write(f"# Warning: {warning}\n")
    sys.stdout.write(text)
    return 0
