"""``gitopspol init DEST``: create a policy repository from the packaged scaffold."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def interactive() -> bool:
    """True when a person can answer questions (stdin and stdout are terminals)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask(given: dict[str, Any], prompt: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Ask each question not answered by ``--data``; an empty answer keeps the default.

    Answers are YAML (``[dev, stg, prd]``) and checked like ``--data``; an invalid one is
    asked again.
    """
    from gitopspol.errors import GitopspolError
    from gitopspol.repo.scaffold import check_answers, questions
    from gitopspol.yamlio import load

    read = prompt or input
    answers = dict(given)
    for question in questions():
        if question.key in answers:
            continue
        shown = "derived from the answers above" if question.default is None else question.default
        choices = f" ({' | '.join(question.choices)})" if question.choices else ""
        while True:
            raw = read(f"{question.help}{choices} [{shown}]: ").strip()
            if not raw:
                break
            try:
                value = load(raw, question.key)
                check_answers({**answers, question.key: value})
            except GitopspolError as exc:
                sys.stdout.write(f"  {exc.message}\n")
                continue
            answers[question.key] = value
            break
    return answers


def run(args: argparse.Namespace) -> int:
    from gitopspol.repo.scaffold import init_repository, parse_data

    answers = parse_data(args.data)
    # Without a terminal there is nobody to ask: use the defaults rather than wait on stdin.
    if not args.defaults and interactive():
        answers = ask(answers)
    repo = init_repository(args.dest, answers)
    tiers = ", ".join(f"{t.name} (rank {t.rank})" for t in repo.tiers)
    sys.stdout.write(
        f"created policy repository {repo.name!r} in {args.dest}\n"
        f"  tiers: {tiers}\n"
        f"  engines: {', '.join(repo.engines)}; gitops: {repo.gitops}\n"
        "next:\n"
        f"  cd {args.dest} && git add -A && git commit -m 'Policy repository from gitopspol'\n"
        "  gitopspol test                # the behaviour cases in every tier\n"
        f"  gitopspol build {repo.tiers[-1].name:<13} # what the {repo.tiers[-1].name} clusters apply\n"
    )
    return 0
