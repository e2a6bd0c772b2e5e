"""Performance benchmarks: `python -m bench.run` (figures are printed, never asserted)."""
