"""Benchmarks run by ``make bench``: measured and printed, never asserted by timed tests."""
