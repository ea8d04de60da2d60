"""One module per rule; the registry in :mod:`gitopspol.checks.registry` lists them all."""
