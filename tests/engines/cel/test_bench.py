"""The CEL benchmark runs and measures what it says (half of the requests violate)."""

from __future__ import annotations

from benchmarks.bench_cel import run


def test_bench_cel_runs() -> None:
    result = run(seconds=0.05)
    assert result["benchmark"] == "cel"
    for key in ("vpol", "cel_rule"):
        count = result[f"{key}_evaluations"]
        assert isinstance(count, int)
        assert count > 0
        assert result[f"{key}_failures"] == count // 2
        rate = result[f"{key}_evaluations_per_second"]
        assert isinstance(rate, int)
        assert rate > 0
    rate = result["expression_evaluations_per_second"]
    assert isinstance(rate, int)
    assert rate > 0
