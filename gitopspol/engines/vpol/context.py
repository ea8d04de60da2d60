"""Mock cluster data for CEL policies: the Kyverno CLI's ``context.yaml`` (kind Context).

```yaml
apiVersion: cli.kyverno.io/v1alpha1
kind: Context
spec:
  resources: [<objects that resource.Get / resource.List return>]
  images:                 # image.GetMetadata(<image>) returns the whole entry
  - {image: <reference>, resolvedImage: ..., registry: ..., repository: ..., tag: ...,
     digest: ..., config: {...}, manifest: {...}, imageIndex: {...}}
```

gitopspol never reaches a cluster or a registry: what is not in the context is not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.engines.cel import library
from gitopspol.errors import InputError


@dataclass(frozen=True, slots=True)
class CelContext:
    """Objects and image metadata that Kyverno CEL functions may look up."""

    resources: tuple[dict[str, Any], ...] = ()
    #: Image reference -> metadata (``config``, ``manifest``, ...), as ``image.GetMetadata`` returns.
    images: Mapping[str, Any] = field(default_factory=dict)

    def activation(self) -> dict[str, Any]:
        """The ``resource`` and ``image`` variables of a Kyverno CEL evaluation."""
        return {
            "resource": {library.RESOURCES: list(self.resources)},
            "image": {library.IMAGES: dict(self.images)},
        }


def context_from_data(doc: Any, source: str | Path = "<context>") -> CelContext:
    """Build a :class:`CelContext` from a loaded ``Context`` document."""
    if not isinstance(doc, dict) or doc.get("kind") != "Context":
        raise InputError("expected a cli.kyverno.io Context document (kind: Context)", source, 1)
    spec = doc.get("spec") or {}
    if not isinstance(spec, dict):
        raise InputError("Context spec must be a mapping", source)
    resources = spec.get("resources") or []
    images = spec.get("images") or []
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise InputError("Context spec.resources must be a list of objects", source)
    if not isinstance(images, list) or not all(
        isinstance(i, dict) and isinstance(i.get("image"), str) for i in images
    ):
        raise InputError("Context spec.images must be a list of {image: ref, ...}", source)
    # As the CLI's ImageData marshals: these three are always present (no omitempty).
    by_ref = {
        str(i["image"]): {"resolvedImage": "", "registry": "", "repository": "", **i}
        for i in images
    }
    return CelContext(resources=tuple(resources), images=by_ref)


def load_context(path: str | Path) -> CelContext:
    """Load a Kyverno CLI ``context.yaml`` file."""
    return context_from_data(yamlio.load_file(path), path)
