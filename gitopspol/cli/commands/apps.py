"""``gitopspol apps``: (re)generate the Argo CD / Flux manifests under ``clusters/``."""

from __future__ import annotations

import argparse
import sys

from gitopspol.cli.common import add_repo_option

HELP = "generate the Argo CD / Flux manifests that distribute each tier"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument(
        "--target",
        choices=("argocd", "flux", "both"),
        help="GitOps tool to generate for (default: 'gitops' in gitopspol.yaml)",
    )


def run(args: argparse.Namespace) -> int:
    from gitopspol.errors import InputError
    from gitopspol.gitops import write_apps
    from gitopspol.repo.config import load_repository

    try:
        result = write_apps(load_repository(args.repo), args.target)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", exc.filename or args.repo) from None
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for path in result.written:
        print(f"wrote {path}")
    for path in result.removed:
        print(f"removed {path}")
    print(
        f"{len(result.written)} written, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed"
    )
    return 0
