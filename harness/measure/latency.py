"""Latency statistics over integer nanosecond samples.

Percentiles use the nearest-rank definition (numpy ``method="inverted_cdf"``), so every
reported percentile is a delay that was actually observed. Jitter is the mean absolute
difference of consecutive delays in arrival order, |D(i) - D(i-1)|, which is the D term of
RFC 3550 §6.4.1 *without* its 1/16 exponential smoothing (equivalently the mean absolute
IPDV of RFC 3393 / RFC 5481 between consecutive packets). The histogram uses log-spaced bins
so microsecond medians and millisecond tails fit in one picture.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PERCENTILES: tuple[float, ...] = (50.0, 90.0, 99.0, 99.9)


@dataclass(frozen=True)
class LatencySummary:
    """Summary of one-way delays; all values in nanoseconds, ``count`` in samples."""

    count: int
    min_ns: int
    mean_ns: float
    p50_ns: int
    p90_ns: int
    p99_ns: int
    p999_ns: int
    max_ns: int
    jitter_ns: float  # mean |D(i) - D(i-1)| in arrival order, see module docstring


@dataclass(frozen=True)
class LatencyHistogram:
    """Counts per log-spaced bin; ``edges_ns`` has one more entry than ``counts``.

    Bin i holds samples with edges_ns[i] <= x < edges_ns[i+1] (the last bin is closed).
    """

    edges_ns: tuple[float, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.edges_ns) != len(self.counts) + 1:
            raise ValueError(
                f"LatencyHistogram: {len(self.edges_ns)} edges for {len(self.counts)} counts; "
                "edges must be counts + 1"
            )

    @property
    def total(self) -> int:
        return sum(self.counts)


def _as_array(samples_ns: Sequence[int] | np.ndarray) -> np.ndarray:
    arr = np.asarray(samples_ns, dtype=np.int64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError("latency samples must be a non-empty 1-D sequence of integer ns")
    return arr


def summarize(samples_ns: Sequence[int] | np.ndarray) -> LatencySummary:
    """Summary of delays given in arrival order (the order matters for jitter only)."""
    arr = _as_array(samples_ns)
    p50, p90, p99, p999 = (
        int(v) for v in np.percentile(arr, PERCENTILES, method="inverted_cdf")
    )
    jitter = float(np.mean(np.abs(np.diff(arr)))) if arr.size > 1 else 0.0
    return LatencySummary(
        count=int(arr.size),
        min_ns=int(arr.min()),
        mean_ns=float(arr.mean()),
        p50_ns=p50,
        p90_ns=p90,
        p99_ns=p99,
        p999_ns=p999,
        max_ns=int(arr.max()),
        jitter_ns=jitter,
    )


def histogram(samples_ns: Sequence[int] | np.ndarray, bins_per_decade: int = 10) -> LatencyHistogram:
    """Histogram on log10-spaced bins covering whole decades around the samples.

    Samples below 1 ns (a clock step of zero) are counted in the first bin, whose lower edge
    is 1 ns.
    """
    if bins_per_decade < 1:
        raise ValueError(f"bins_per_decade must be >= 1, got {bins_per_decade}")
    arr = np.maximum(_as_array(samples_ns), 1)
    lo = math.floor(math.log10(int(arr.min())))
    hi = math.floor(math.log10(int(arr.max()))) + 1
    edges = np.logspace(lo, hi, (hi - lo) * bins_per_decade + 1)
    counts, _ = np.histogram(arr, bins=edges)
    return LatencyHistogram(tuple(float(e) for e in edges), tuple(int(c) for c in counts))


def cdf_points(hist: LatencyHistogram) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Upper bin edges and the cumulative share of samples at or below each (for CDF plots)."""
    total = hist.total
    if total == 0:
        raise ValueError("cannot build a CDF from an empty histogram")
    cum = np.cumsum(hist.counts) / total
    return tuple(hist.edges_ns[1:]), tuple(float(c) for c in cum)
