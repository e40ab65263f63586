"""Benchmarks: our engine against a tutorial pipeline, from 1k to 100k chunks (`make bench`)."""
