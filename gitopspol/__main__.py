"""``python -m gitopspol`` runs the command-line interface."""

from __future__ import annotations

from gitopspol.cli.main import entry

if __name__ == "__main__":
    entry()
