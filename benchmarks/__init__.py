"""Benchmarks: each script is run from the repository's root as a module,
``python -m benchmarks.bench_search`` (see benchmarks/README.md)."""
