"""``gitopspol validate``: render, schema, consistency, tier strictness, behaviour, GitOps output."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TextIO

from gitopspol.cli.common import add_format_option, add_repo_option

HELP = "validate every tier: schemas, consistency, tier strictness, behaviour, GitOps output"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    add_format_option(parser, ("text", "json", "sarif", "junit", "github"))
    parser.add_argument("--fail-on", choices=("error", "warning"), default="error")
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    parser.add_argument("--crd", action="append", default=[], metavar="PATH")
    parser.add_argument("--changed-since", metavar="REV")
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        default=os.environ.get("GITOPSPOL_CACHE_DIR") or None,
        help="keep behaviour results across runs in DIR (deletable; default $GITOPSPOL_CACHE_DIR)",
    )


class ProgressBar:
    """A one-line progress bar on a terminal's stderr, shown once a run takes over 0.5 s."""

    DELAY = 0.5
    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.shown = False

    def update(self, done: int, total: int, step: str) -> None:
        """Redraw the bar (``done`` of ``total`` steps, ``step`` running)."""
        if not self.enabled or time.monotonic() - self.started < self.DELAY:
            return
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\rvalidating [{bar}] {done}/{total} {step:<8}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Erase the bar so the report starts on a clean line."""
        if self.shown:
            self.stream.write("\r" + " " * (self.WIDTH + 30) + "\r")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from gitopspol.checks import list_rules
    from gitopspol.findings import Severity
    from gitopspol.report import fails, github_report, render_report, rules_text
    from gitopspol.validate import validate_repository

    if args.list_rules:
        sys.stdout.write(rules_text(list_rules()))
        return 0
    bar = ProgressBar(sys.stderr)
    try:
        result = validate_repository(
            args.repo,
            crds=args.crd,
            changed_since=args.changed_since,
            progress=bar.update,
            cache_dir=args.cache_dir,
        )
    finally:
        bar.close()
    color = args.format == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    sys.stdout.write(render_report(args.format, result.findings, result.summary, color=color))
    if args.format == "text" and os.environ.get("GITHUB_ACTIONS") == "true":
        # In a GitHub Actions job the text report also annotates the pull request.
        sys.stdout.write(github_report(result.findings, result.summary))
    return 1 if fails(result.findings, Severity(args.fail_on)) else 0
