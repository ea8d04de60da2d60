"""``gitopspol update``: bring a policy repository up to the packaged scaffold version."""

from __future__ import annotations

import argparse

from gitopspol.cli.common import add_repo_option, not_implemented

HELP = "update a policy repository to a newer scaffold, keeping local edits"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)


def run(args: argparse.Namespace) -> int:
    return not_implemented("update")
