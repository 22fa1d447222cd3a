"""Reproducible performance benchmarks: `make bench-data`, then `make bench`."""
