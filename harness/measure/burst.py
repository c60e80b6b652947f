"""RFC 2544 §26.4 back-to-back frames: the longest burst at maximum rate with no loss.

``send_burst(n)`` sends ``n`` frames back to back at the maximum rate and returns the
``TrialResult``; a binary search over ``n`` finds the longest lossless burst. RFC 2544 asks
for the search to be repeated (at least 50 times) and the average reported; ``back_to_back``
does the repetitions and keeps every individual result.
"""
from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from harness.measure.trial import TrialResult

BurstSender = Callable[[int], TrialResult]


@dataclass(frozen=True)
class BurstParams:
    """Burst lengths in frames; stop when upper - lower <= ``precision_frames``."""

    min_frames: int
    max_frames: int
    precision_frames: int = 1
    max_trials: int = 40

    def __post_init__(self) -> None:
        if not 0 < self.min_frames < self.max_frames:
            raise ValueError(
                f"BurstParams: need 0 < min_frames < max_frames, got {self.min_frames} and {self.max_frames}"
            )
        if self.precision_frames < 1 or self.max_trials < 1:
            raise ValueError("BurstParams: precision_frames and max_trials must be >= 1")


@dataclass(frozen=True)
class BurstResult:
    """``longest_lossless`` None: even ``min_frames`` lost; ``first_lossy`` None: ``max_frames`` passed."""

    longest_lossless: int | None
    first_lossy: int | None
    trials: tuple[TrialResult, ...]


def search_back_to_back(send_burst: BurstSender, params: BurstParams) -> BurstResult:
    trials: list[TrialResult] = []

    def lossless(n: int) -> bool:
        trial = send_burst(n)
        trials.append(trial)
        return trial.lost == 0

    if lossless(params.max_frames):
        return BurstResult(params.max_frames, None, tuple(trials))
    if not lossless(params.min_frames):
        return BurstResult(None, params.min_frames, tuple(trials))
    lo, hi = params.min_frames, params.max_frames
    while hi - lo > params.precision_frames and len(trials) < params.max_trials:
        mid = (lo + hi) // 2
        if lossless(mid):
            lo = mid
        else:
            hi = mid
    return BurstResult(lo, hi, tuple(trials))


@dataclass(frozen=True)
class BackToBackReport:
    """RFC 2544 §26.4 reporting: every repetition plus the mean longest lossless burst."""

    searches: tuple[BurstResult, ...]

    @property
    def mean_frames(self) -> float | None:
        values = [s.longest_lossless for s in self.searches if s.longest_lossless is not None]
        if len(values) != len(self.searches):
            return None  # some repetition lost even the shortest burst
        return statistics.fmean(values)


def back_to_back(send_burst: BurstSender, params: BurstParams, repetitions: int = 50) -> BackToBackReport:
    if repetitions < 1:
        raise ValueError(f"repetitions must be >= 1, got {repetitions}")
    return BackToBackReport(tuple(search_back_to_back(send_burst, params) for _ in range(repetitions)))
