"""``gitopspol`` entry point: argument parsing, dispatch, and the error contract.

Exit codes (DESIGN.md): 0 nothing at or above ``--fail-on``; 1 findings or failed
expectations; 2 usage, configuration or input error; 3 internal error. Errors are one line,
``error: <file>:<line>: <what>``; a traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from gitopspol import __version__
from gitopspol.errors import GitopspolError

#: Every command, in the order ``--help`` lists them. Each is a module in
#: ``gitopspol.cli.commands`` with ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS: tuple[str, ...] = (
    "init",
    "update",
    "render",
    "build",
    "validate",
    "diff",
    "test",
    "check",
    "verify",
    "psa",
    "stage",
    "promote",
    "apps",
)


class _Parser(argparse.ArgumentParser):
    """argparse with the house error format (one line, exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"error: {self.prog}: {message}\n")
        raise SystemExit(2)


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(f"gitopspol.cli.commands.{name}")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (every command module is imported; each is light)."""
    parser = _Parser(
        prog="gitopspol",
        description="Kubernetes admission policy kept in Git, layered by risk tier.",
    )
    parser.add_argument("--version", action="version", version=f"gitopspol {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks for errors (for bug reports)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = _command_module(name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run gitopspol with ``argv`` and return the exit code (never raises SystemExit itself)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False))
    try:
        return int(args._run(args))
    except GitopspolError as exc:
        if debug:
            raise
        sys.stderr.write(f"error: {exc.located()}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if debug:
            raise
        sys.stderr.write(
            f"error: internal error: {type(exc).__name__}: {exc} (run with --debug for details)\n"
        )
        return 3


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
