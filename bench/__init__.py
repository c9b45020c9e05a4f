"""Benchmarks for Minis: ``make bench`` (``python -m bench``) runs them all; see README.md."""
