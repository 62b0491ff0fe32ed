"""Benchmarks you can rerun: `python -m bench.<name> --help`. Figures go in docs/performance.md."""
