"""The garbage-collector pauses around builds: always restored, never someone else's."""

from __future__ import annotations

import gc

import pytest

from gitopspol.render.memory import frozen_gc, paused_gc


def _fail_paused() -> None:
    with paused_gc():
        assert not gc.isenabled()
        raise LookupError("stop")


def test_paused_gc_restores_the_collector_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(LookupError, match="stop"):
        _fail_paused()
    assert gc.isenabled()


def test_paused_gc_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_frozen_gc_freezes_for_the_block_only() -> None:
    assert gc.get_freeze_count() == 0
    kept = [[index] for index in range(100)]
    with frozen_gc():
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0


def test_frozen_gc_leaves_an_earlier_freeze_alone() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with frozen_gc():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
