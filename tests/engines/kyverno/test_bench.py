"""The Kyverno benchmark runs and measures what it says."""

from __future__ import annotations

from benchmarks.bench_kyverno import run


def test_bench_reports_rates() -> None:
    result = run(seconds=0.05)
    assert result["benchmark"] == "kyverno"
    for key in ("pattern", "deny_jmespath"):
        figures = result[key]
        assert isinstance(figures, dict)
        assert figures["rule_evaluations"] > 0
        # half of the objects violate every rule
        assert figures["failed"] * 2 == figures["rule_evaluations"]
    assert isinstance(result["pattern_rules_per_second"], int)
    assert result["pattern_rules_per_second"] > 0
