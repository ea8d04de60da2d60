"""Policy engines: PSA, Kyverno, Gatekeeper, CEL (shared), VAP. Each evaluates offline."""
