"""RFC 2544 §26.1 throughput search: NDR (no loss) and PDR (loss ratio within a tolerance).

Binary search over offered load between ``min_load_pps`` and ``max_load_pps``, in the spirit of
FD.io CSIT's MLRsearch but kept simple: the first trial runs at the maximum load; each further
trial halves the interval of whichever criterion (PDR first, then NDR) is not yet settled.
Bounds are recomputed from the whole trial list every time, conservatively:

* upper bound = the lowest load that failed the criterion;
* lower bound = the highest load that passed *below* that upper bound (a pass above a failing
  load, which a noisy DUT can produce, is not trusted).

A criterion is settled when (upper - lower) / upper <= ``precision``, when the maximum load
passed (no upper bound), or when the minimum load failed (no lower bound). The search also
stops when the trial count or the total time budget would be exceeded; the result then says
so and carries the bounds reached.
"""
from __future__ import annotations

import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.measure.trial import Measurer, TrialResult


class StopReason(enum.Enum):
    PRECISION = "precision-reached"
    TRIAL_BUDGET = "trial-budget"
    TIME_BUDGET = "time-budget"


@dataclass(frozen=True)
class SearchParams:
    """Search bounds and budget. Loads in packets/s, times in seconds, ratios as fractions."""

    min_load_pps: float
    max_load_pps: float
    trial_duration_s: float = 1.0
    pdr_loss_ratio: float = 0.005  # 0.5 %
    precision: float = 0.005  # relative width goal (upper - lower) / upper
    max_trials: int = 40
    max_total_time_s: float = 600.0

    def __post_init__(self) -> None:
        if not 0 < self.min_load_pps < self.max_load_pps:
            raise ValueError(
                f"SearchParams: need 0 < min_load_pps < max_load_pps, got "
                f"{self.min_load_pps} and {self.max_load_pps}"
            )
        if not 0 <= self.pdr_loss_ratio < 1:
            raise ValueError(f"SearchParams.pdr_loss_ratio must be in [0, 1), got {self.pdr_loss_ratio}")
        if not 0 < self.precision < 1:
            raise ValueError(f"SearchParams.precision must be in (0, 1), got {self.precision}")
        if self.max_trials < 1:
            raise ValueError(f"SearchParams.max_trials must be >= 1, got {self.max_trials}")
        if not 0 < self.trial_duration_s <= self.max_total_time_s:
            raise ValueError(
                "SearchParams: need 0 < trial_duration_s <= max_total_time_s, got "
                f"{self.trial_duration_s} and {self.max_total_time_s}"
            )


@dataclass(frozen=True)
class RateBound:
    """Where the answer lies for one loss criterion (loads in packets/s).

    ``lower_pps`` is the reported rate (None: even the minimum load failed); ``upper_pps`` is
    the lowest failing load (None: the maximum load passed, the rate is at least that).
    """

    loss_ratio_limit: float
    lower_pps: float | None
    upper_pps: float | None

    @property
    def relative_width(self) -> float | None:
        if self.lower_pps is None or self.upper_pps is None:
            return None
        return (self.upper_pps - self.lower_pps) / self.upper_pps


@dataclass(frozen=True)
class SearchResult:
    ndr: RateBound
    pdr: RateBound
    trials: tuple[TrialResult, ...]
    stop_reason: StopReason


def passes(trial: TrialResult, loss_ratio_limit: float) -> bool:
    """NDR uses a limit of 0.0: any lost packet fails."""
    return trial.loss_ratio <= loss_ratio_limit


def bound_from_trials(trials: Sequence[TrialResult], loss_ratio_limit: float) -> RateBound:
    """Conservative bounds for one criterion from every trial so far (see module docstring)."""
    fails = [t.offered_load_pps for t in trials if not passes(t, loss_ratio_limit)]
    upper = min(fails) if fails else None
    ok = [
        t.offered_load_pps
        for t in trials
        if passes(t, loss_ratio_limit) and (upper is None or t.offered_load_pps < upper)
    ]
    return RateBound(loss_ratio_limit, max(ok) if ok else None, upper)


def next_load(bound: RateBound, params: SearchParams) -> float | None:
    """The next load to try for this criterion, or None when it is settled."""
    if bound.upper_pps is None:
        return None  # the maximum load passed
    if bound.lower_pps is None:
        return None if bound.upper_pps <= params.min_load_pps else params.min_load_pps
    width = bound.relative_width
    assert width is not None
    if width <= params.precision:
        return None
    return (bound.lower_pps + bound.upper_pps) / 2


def search_ndr_pdr(
    measurer: Measurer,
    params: SearchParams,
    clock: Callable[[], float] = time.monotonic,
) -> SearchResult:
    """Find NDR and PDR with one shared list of trials (every trial informs both)."""
    start = clock()
    trials: list[TrialResult] = []
    load: float | None = params.max_load_pps
    stop = StopReason.PRECISION
    while load is not None:
        if len(trials) >= params.max_trials:
            stop = StopReason.TRIAL_BUDGET
            break
        if clock() - start + params.trial_duration_s > params.max_total_time_s:
            stop = StopReason.TIME_BUDGET
            break
        trials.append(measurer.measure(params.trial_duration_s, load))
        pdr = bound_from_trials(trials, params.pdr_loss_ratio)
        ndr = bound_from_trials(trials, 0.0)
        load = next_load(pdr, params)
        if load is None:
            load = next_load(ndr, params)
    return SearchResult(
        ndr=bound_from_trials(trials, 0.0),
        pdr=bound_from_trials(trials, params.pdr_loss_ratio),
        trials=tuple(trials),
        stop_reason=stop,
    )
