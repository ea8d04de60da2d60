"""``gitopspol apps``: (re)generate the Argo CD / Flux manifests under ``clusters/``."""

from __future__ import annotations

import argparse

from gitopspol.cli.common import add_repo_option, not_implemented

HELP = "generate the Argo CD / Flux manifests that distribute each tier"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("--target", choices=("argocd", "flux"))


def run(args: argparse.Namespace) -> int:
    return not_implemented("apps")
