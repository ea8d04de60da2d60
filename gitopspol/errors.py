"""Exceptions: "could not evaluate". Findings ("evaluated, and something is wrong") are values.

Every exception carries a user-facing message and, where known, the file and line of the
input that caused it. The CLI prints ``error: <file>:<line>: <message>`` and exits 2 for
:class:`GitopspolError` subclasses other than :class:`InternalError`.
"""

from __future__ import annotations

from pathlib import Path


class GitopspolError(Exception):
    """Base class: bad input, configuration or usage. Exit code 2."""

    exit_code = 2

    def __init__(
        self, message: str, file: str | Path | None = None, line: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line

    def located(self) -> str:
        """The message with its ``file:line:`` prefix, as printed after ``error: ``."""
        if self.file is None:
            return self.message
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"

    def __str__(self) -> str:
        return self.located()


class InputError(GitopspolError):
    """A file the user gave cannot be read or parsed (YAML, encoding, size, limits)."""


class ConfigError(GitopspolError):
    """gitopspol.yaml, a tier profile or scaffold answers are invalid."""


class RenderError(GitopspolError):
    """A kustomization cannot be built."""


class PolicyError(GitopspolError):
    """A policy cannot be compiled or evaluated (bad operator, JMESPath, CEL or Rego)."""


class GitError(GitopspolError):
    """The Git repository is not in a state the command accepts (dirty, detached, ...)."""


class InternalError(GitopspolError):
    """A bug in gitopspol. Exit code 3."""

    exit_code = 3
