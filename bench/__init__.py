"""Benchmarks behind our design decisions: `make bench` runs them and writes docs/benchmarks.md."""
