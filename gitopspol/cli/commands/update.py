"""``gitopspol update``: bring a policy repository up to the packaged scaffold version."""

from __future__ import annotations

import argparse
import sys

from gitopspol.cli.common import add_repo_option

HELP = "update a policy repository to a newer scaffold, keeping local edits"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)


def run(args: argparse.Namespace) -> int:
    from gitopspol.repo.scaffold import update_repository

    result = update_repository(args.repo)
    sys.stdout.write(f"scaffold {result.old_version} -> {result.new_version}\n")
    if result.conflicts:
        sys.stdout.write(
            "conflicts to resolve (look for <<<<<<< markers):\n"
            + "".join(f"  {name}\n" for name in result.conflicts)
        )
        return 1
    sys.stdout.write("review with 'git diff', then commit\n")
    return 0
