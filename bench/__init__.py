"""Benchmarks (not tests): each bench_*.py module has a main() that prints its figures as
ratios against a floor measured in the same run. Run them all with `python -m bench`."""
