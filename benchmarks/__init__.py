"""Benchmarks: synthetic national-size inputs and a runner (python -m benchmarks run --size small)."""
