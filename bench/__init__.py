"""Benchmarks with recorded results (bench/RESULTS.md); `make bench` runs them.

This module holds the timing helpers that every benchmark shares. Figures are wall-clock
times of one process on one machine: compare runs on the same machine only.
"""

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Milliseconds of a series of calls."""

    samples: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.samples, n=20, method="inclusive")[18]

    def row(self) -> str:
        return f"{self.min:.2f} | {self.median:.2f} | {self.p95:.2f}"


def measure(call: Callable[[], object], *, repeat: int = 50, warmup: int = 5) -> Timing:
    """Time ``call`` ``repeat`` times after ``warmup`` untimed calls."""
    for _ in range(warmup):
        call()
    gc.collect()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return Timing(tuple(samples))
