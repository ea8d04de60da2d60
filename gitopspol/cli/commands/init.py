"""``gitopspol init DEST``: create a policy repository from the packaged scaffold."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
        help="answer a scaffold question; VALUE is YAML, e.g. tiers='[dev, stg, prd]' (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    from gitopspol.repo.scaffold import init_repository, parse_data, stdin_is_interactive

    answers = parse_data(args.data)
    # Without a terminal there is nobody to ask: use the defaults rather than wait on stdin.
    interactive = not args.defaults and stdin_is_interactive()
    repo = init_repository(args.dest, answers, interactive=interactive)
    tiers = ", ".join(f"{t.name} (rank {t.rank})" for t in repo.tiers)
    sys.stdout.write(
        f"created policy repository {repo.name!r} in {args.dest}\n"
        f"  tiers: {tiers}\n"
        f"  engines: {', '.join(repo.engines)}; gitops: {repo.gitops}\n"
        f"next: cd {args.dest} && gitopspol build {repo.tiers[-1].name}\n"
    )
    return 0
