"""``gitopspol promote FROM TO``: policy-by-policy promotion as one gated Git commit."""

from __future__ import annotations

import argparse
import sys

from gitopspol.cli.common import add_repo_option

HELP = "promote policies from one tier to the next as one gated, revertible commit"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "from_tier", metavar="FROM", help="the lower tier the changes are staged in"
    )
    parser.add_argument("to_tier", metavar="TO", help="the higher tier to promote them to")
    add_repo_option(parser)
    parser.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="NAME",
        help="promote this policy (Kind/name or name; repeatable; default: every staged one)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan and run the gates, write nothing"
    )
    parser.add_argument(
        "--branch", metavar="NAME", help="branch to commit on (default promote/FROM-to-TO/DATE)"
    )
    parser.add_argument("--message", metavar="TEXT", help="subject line of the commit")
    parser.add_argument(
        "--no-commit", action="store_true", help="write the files but leave them uncommitted"
    )
    parser.add_argument(
        "--min-soak",
        metavar="DURATION",
        help="each change must have been committed in FROM this long (24h, 3d, 1d12h)",
    )


def run(args: argparse.Namespace) -> int:
    from gitopspol.promote import promote

    result = promote(
        args.repo,
        args.from_tier,
        args.to_tier,
        policies=args.policy,
        dry_run=args.dry_run,
        branch=args.branch,
        message=args.message,
        commit=not args.no_commit,
        min_soak=args.min_soak,
    )
    out = sys.stdout
    plan = result.plan
    out.write(f"promote {plan.from_tier} -> {plan.to_tier}\n")
    for policy in plan.policies:
        mark = "*" if policy.key in plan.selected else " "
        out.write(f" {mark} {policy.action.value:<7} {policy.key}\n")
        for change in policy.changes:
            rule = f"rule {change.rule}: " if change.rule else ""
            values = f"{change.before} -> {change.after}" if change.before else change.after
            out.write(f"            {rule}{change.aspect}: {values} ({change.direction.value})\n")
        if not policy.staged:
            out.write(
                f"            not promotable: no resources or patches entry of {plan.from_tier}'s "
                f"overlay makes this difference ({plan.to_tier}'s overlay differs?)\n"
            )
        for item in policy.items:
            out.write(f"            staged in {item.describe()}\n")
    if not plan.selected:
        out.write(f"nothing staged in {plan.from_tier} to promote\n")
    for gate in result.gates:
        out.write(f"{'ok' if gate.ok else 'FAIL':<5} {gate.name}\n")
        for message in gate.messages:
            out.write(f"        {message}\n")
    if not result.ok:
        out.write("a gate failed: nothing was written\n")
        return 1
    if result.written:
        out.write("wrote\n" + "".join(f"        {path}\n" for path in result.files))
        if result.commit:
            out.write(f"committed {result.commit[:12]} on branch {result.branch}\n")
        else:
            out.write("left uncommitted in the work tree (--no-commit)\n")
    elif result.files:
        out.write("would write (--dry-run)\n" + "".join(f"        {p}\n" for p in result.files))
    return 0
