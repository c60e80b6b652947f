"""RFC 2544 §26.4 back-to-back frames: the longest burst at maximum rate with no loss.

``send_burst(n)`` sends ``n`` frames back to back at the maximum rate and returns the
``TrialResult``; a binary search over ``n`` finds the longest lossless burst. RFC 2544 asks
for the search to be repeated (at least 50 times) and the average reported; ``back_to_back``
does the repetitions and keeps every individual result.

Bounded in count and time: a search sends at most ``max_trials`` bursts, and with a deadline
(``back_to_back(..., max_total_time_s=T)``) no burst starts after it. A search cut by the
deadline keeps what it proved (its lower bound passed, its upper bound lost), only less
precisely; repetitions not started are not run, and the report says how many were asked.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.measure.trial import TrialResult

BurstSender = Callable[[int], TrialResult]
Clock = Callable[[], float]  # monotonic seconds


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
        if self.precision_frames < 1 or self.max_trials < 2:
            raise ValueError("BurstParams: need precision_frames >= 1 and max_trials >= 2 "
                             f"(the two bounds), got {self.precision_frames} and {self.max_trials}")


@dataclass(frozen=True)
class BurstResult:
    """``longest_lossless`` None: even ``min_frames`` lost; ``first_lossy`` None: ``max_frames``
    passed. ``complete`` False: the deadline cut the search before either bound was tried
    (nothing proved), or before it reached its precision (bounds still hold)."""

    longest_lossless: int | None
    first_lossy: int | None
    trials: tuple[TrialResult, ...]
    complete: bool = True


def search_back_to_back(send_burst: BurstSender, params: BurstParams, *, deadline: float | None = None,
                        clock: Clock = time.monotonic) -> BurstResult:
    """The longest lossless burst in ``[min_frames, max_frames]``: ``max_frames`` first (a DUT
    that buffers everything costs one burst), then ``min_frames``, then bisection. No burst
    starts once ``clock()`` passes ``deadline``."""
    trials: list[TrialResult] = []

    def lossless(n: int) -> bool:
        trial = send_burst(n)
        trials.append(trial)
        return trial.lost == 0

    def late() -> bool:
        return deadline is not None and clock() >= deadline

    if late():
        return BurstResult(None, None, (), complete=False)
    if lossless(params.max_frames):
        return BurstResult(params.max_frames, None, tuple(trials))
    if late():
        return BurstResult(None, params.max_frames, tuple(trials), complete=False)
    if not lossless(params.min_frames):
        return BurstResult(None, params.min_frames, tuple(trials))
    lo, hi = params.min_frames, params.max_frames
    while hi - lo > params.precision_frames and len(trials) < params.max_trials and not late():
        mid = (lo + hi) // 2
        if lossless(mid):
            lo = mid
        else:
            hi = mid
    return BurstResult(lo, hi, tuple(trials), complete=hi - lo <= params.precision_frames)


@dataclass(frozen=True)
class BackToBackReport:
    """RFC 2544 §26.4 reporting: every repetition run plus the mean longest lossless burst.
    ``asked``: repetitions asked for (more than ``len(searches)`` when the deadline came first)."""

    searches: tuple[BurstResult, ...]
    asked: int

    @property
    def mean_frames(self) -> float | None:
        """The mean of the longest lossless bursts found (for a search the deadline cut, its
        proven lower bound; one cut before any lossless burst counts for nothing). None when
        some repetition lost even the shortest burst, or none found a lossless one."""
        if any(s.longest_lossless is None and s.complete for s in self.searches):
            return None  # some repetition lost even the shortest burst
        values = [s.longest_lossless for s in self.searches if s.longest_lossless is not None]
        return statistics.fmean(values) if values else None


def back_to_back(send_burst: BurstSender, params: BurstParams, repetitions: int = 50, *,
                 max_total_time_s: float | None = None, clock: Clock = time.monotonic) -> BackToBackReport:
    """``repetitions`` searches, none started (and no burst sent) after ``max_total_time_s``."""
    if repetitions < 1:
        raise ValueError(f"repetitions must be >= 1, got {repetitions}")
    if max_total_time_s is not None and max_total_time_s <= 0:
        raise ValueError(f"max_total_time_s must be > 0, got {max_total_time_s}")
    deadline = None if max_total_time_s is None else clock() + max_total_time_s
    searches: list[BurstResult] = []
    while len(searches) < repetitions and (deadline is None or clock() < deadline):
        search = search_back_to_back(send_burst, params, deadline=deadline, clock=clock)
        if search.trials:
            searches.append(search)
    return BackToBackReport(tuple(searches), repetitions)
