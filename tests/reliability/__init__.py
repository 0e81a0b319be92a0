"""Fuzzing, outages and bounded load against a started service."""
