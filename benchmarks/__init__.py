"""Benchmarks and the demo driver."""
