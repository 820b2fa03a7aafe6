"""Benchmarks of Baoxue, run with `make bench`; results in bench/results.json."""
