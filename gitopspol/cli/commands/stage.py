"""``gitopspol stage TIER``: stage a change in a lower tier for ``gitopspol promote``."""

from __future__ import annotations

import argparse
import sys

from gitopspol.cli.common import add_repo_option

HELP = "stage a new, changed or removed policy in a lower tier (for promote)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tier", metavar="TIER", help="the lower tier to stage in (e.g. sbx)")
    add_repo_option(parser)
    parser.add_argument(
        "--add",
        action="append",
        default=[],
        metavar="FILE",
        help="a new policy file: copied into environments/TIER/ and listed (repeatable)",
    )
    parser.add_argument(
        "--edit",
        action="append",
        default=[],
        metavar="FILE",
        help="an edited copy of a policy of policies/: staged as a patch (repeatable)",
    )
    parser.add_argument(
        "--remove",
        action="append",
        default=[],
        metavar="KIND/NAME",
        help="a policy to remove: staged as a $patch: delete patch (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    from gitopspol.errors import ConfigError
    from gitopspol.promote.stage import stage

    if not (args.add or args.edit or args.remove):
        raise ConfigError("nothing to stage: give --add FILE, --edit FILE or --remove KIND/NAME")
    written = stage(args.repo, args.tier, add=args.add, edit=args.edit, remove=args.remove)
    for path in written:
        sys.stdout.write(f"wrote {path}\n")
    sys.stdout.write(f"review, commit, then: gitopspol promote {args.tier} <higher tier>\n")
    return 0
