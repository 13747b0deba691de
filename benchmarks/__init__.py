"""Benchmarks: run each as `python -m benchmarks.NAME` (see docs/benchmarks.md)."""
