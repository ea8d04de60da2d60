"""The shared CEL layer: Kubernetes-style CEL for Kyverno, ValidatingPolicy, VAP and Gatekeeper.

``compile_program(expr, variables)`` compiles once (cached, thread-safe) and returns a
:class:`Program`; ``Program.evaluate(activation)`` returns plain Python data. Compile and
evaluation errors, including an expression that exceeds the cost limit, raise
:class:`gitopspol.errors.PolicyError`. The libraries beyond standard CEL are described in
:mod:`gitopspol.engines.cel.library`; ``docs/cel.md`` lists what is supported.
"""

from __future__ import annotations

from gitopspol.engines.cel.program import DEFAULT_VARIABLES, Program, compile_program

__all__ = ["DEFAULT_VARIABLES", "Program", "compile_program"]
