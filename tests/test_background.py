"""``gitopspol.background``: a computation in a forked child, with the same outcome."""

from __future__ import annotations

import os
import signal

import pytest

from gitopspol.background import in_background
from gitopspol.errors import PolicyError

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def test_the_result_comes_from_the_child() -> None:
    parent = os.getpid()
    job = in_background(lambda: (os.getpid(), [1, {"a": 2}]))
    pid, value = job.result()
    assert pid != parent
    assert value == [1, {"a": 2}]


def test_an_exception_in_the_child_is_raised_again() -> None:
    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        in_background(fail).result()


def test_a_gitopspol_error_keeps_its_location() -> None:
    def fail() -> None:
        raise PolicyError("bad", "policy.yaml", 3)

    with pytest.raises(PolicyError) as caught:
        in_background(fail).result()
    assert (caught.value.message, caught.value.file, caught.value.line) == ("bad", "policy.yaml", 3)


def test_a_child_that_dies_is_replaced_by_computing_here() -> None:
    parent = os.getpid()

    def die_in_child() -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getpid()

    assert in_background(die_in_child).result() == parent


def test_cancel_stops_a_child_whose_result_is_not_wanted() -> None:
    job = in_background(lambda: b"x" * (1 << 20))  # more than a pipe holds: the child blocks
    pid = job._pid
    job.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)
