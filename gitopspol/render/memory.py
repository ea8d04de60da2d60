"""The cyclic garbage collector around work that keeps what it allocates.

Rendering a repository allocates hundreds of thousands of containers (parsed YAML, copied
resources) and keeps most of them to the end of the run; they hold no reference cycles.
Python's collector still rescans everything it tracks at every full collection, and as the
heap grows it runs one each time the tracked objects grow by a quarter: on 500 policies in
20 tiers that was more than a third of the render and rule time. Hence:

* :func:`paused_gc` while building (nothing built is garbage until the build returns);
* :func:`frozen_gc` while the rules read what was built: existing objects are moved out of
  the collector's view (``gc.freeze``), which also keeps a forked child from copying the
  pages the collector would touch (https://docs.python.org/3/library/gc.html#gc.freeze).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic collector (if it runs) for the duration of the block."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextlib.contextmanager
def frozen_gc() -> Iterator[None]:
    """Keep the objects that exist now out of the collector's view for the block.

    Does nothing when something else already froze objects (it decides when to unfreeze).
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
