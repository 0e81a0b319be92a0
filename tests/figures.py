"""Figures measured by the deep tier (fuzz cases, recovery times, throughput), printed at the end
of the run by conftest.py. They are reported, never asserted against wall-clock targets."""

from __future__ import annotations

FIGURES: list[tuple[str, str]] = []


def record(name: str, value: str) -> None:
    FIGURES.append((name, value))
