"""Run one computation in a forked child while this process goes on: the second core.

``job = in_background(compute)`` forks; the child runs ``compute()`` on its copy of this
process (copy on write: nothing is serialised on the way in) and sends the result back
pickled through a pipe; ``job.result()`` waits for it. The pickle comes from a copy of this
very process, never from the repository under check.

Where there is no ``os.fork`` (Windows), or when the child fails to deliver a result (killed,
out of memory, a result that cannot be pickled), ``result()`` runs ``compute()`` here, so
the outcome is the same, only slower. An exception ``compute()`` raises in the child is
raised again by ``result()``. ``cancel()`` stops a child whose result is not wanted.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections.abc import Callable
from typing import Generic, TypeVar

_T = TypeVar("_T")


class Job(Generic[_T]):
    """A computation running in a forked child (or deferred, without fork)."""

    def __init__(self, compute: Callable[[], _T]) -> None:
        self._compute = compute
        self._pid = 0
        self._read = -1
        if hasattr(os, "fork"):
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
            code = 1
            try:
                os.close(read)
                try:
                    payload = pickle.dumps(("ok", self._compute()))
                except Exception as exc:  # raised again by result() in the parent
                    payload = pickle.dumps(("error", exc))
                with os.fdopen(write, "wb") as out:
                    out.write(payload)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._read = pid, read

    def result(self) -> _T:
        """The computation's result (its exception raised); computed here as a fallback."""
        if not self._pid:
            return self._compute()
        with os.fdopen(self._read, "rb") as pipe:
            data = pipe.read()
        os.waitpid(self._pid, 0)
        self._pid = 0
        try:
            status, value = pickle.loads(data)
        except Exception:  # no result delivered: the child died or could not pickle it
            return self._compute()
        if status == "error":
            raise value
        return value  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Stop the child if its result was not collected."""
        if self._pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            os.close(self._read)
            self._pid = 0


def in_background(compute: Callable[[], _T]) -> Job[_T]:
    """Start ``compute()`` in a forked child; see :class:`Job`."""
    return Job(compute)
