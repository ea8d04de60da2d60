"""Pure-Python Kustomize v5.5 build (``kubectl kustomize`` semantics and output)."""
