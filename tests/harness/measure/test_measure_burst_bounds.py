"""RFC 2544 §26.4 back-to-back search (``harness.measure.burst``): bounded in bursts and time,
and what a search cut by its deadline still proves. A fake clock advances per burst."""
from __future__ import annotations

import random

import pytest

from harness.measure.burst import BurstParams, back_to_back, search_back_to_back
from harness.measure.synthetic import SyntheticDut


class Clock:
    """Monotonic seconds that advance ``per_burst`` each time the wrapped sender is called."""

    def __init__(self, per_burst: float) -> None:
        self.now, self.per_burst, self.bursts = 0.0, per_burst, 0

    def __call__(self) -> float:
        return self.now

    def sender(self, dut: SyntheticDut):
        def send(n: int):
            self.now += self.per_burst
            self.bursts += 1
            return dut.send_burst(n)
        return send


def dut(buffer: int) -> SyntheticDut:
    return SyntheticDut(1e6, random.Random(1), buffer_frames=buffer)


def test_deadline_cuts_bisection_but_keeps_proven_bounds():
    clock = Clock(per_burst=1.0)
    r = search_back_to_back(clock.sender(dut(777)), BurstParams(1, 100_000), deadline=5.0, clock=clock)
    assert clock.bursts == 5 and len(r.trials) == 5 and not r.complete
    assert r.longest_lossless is not None and r.first_lossy is not None
    assert r.longest_lossless <= 777 < r.first_lossy  # both bounds still true, only less precise
    assert all(t.lost == 0 for t in r.trials if t.offered <= r.longest_lossless)


def test_search_without_deadline_is_complete_and_exact():
    clock = Clock(per_burst=1.0)
    r = search_back_to_back(clock.sender(dut(777)), BurstParams(1, 100_000), clock=clock)
    assert r.complete and (r.longest_lossless, r.first_lossy) == (777, 778)


def test_repetitions_stop_at_the_time_budget():
    clock = Clock(per_burst=1.0)
    rep = back_to_back(clock.sender(dut(300)), BurstParams(100, 1000, precision_frames=10), repetitions=50,
                       max_total_time_s=25.0, clock=clock)
    assert clock.bursts == 25  # no burst starts at or past the deadline
    assert rep.asked == 50 and 1 <= len(rep.searches) < 50
    assert sum(len(s.trials) for s in rep.searches) == 25
    assert all(s.longest_lossless is not None and s.longest_lossless <= 300 for s in rep.searches)
    assert rep.mean_frames is not None and 290 <= rep.mean_frames <= 300


def test_a_search_cut_after_the_first_burst_proves_nothing_and_is_left_out_of_the_mean():
    clock = Clock(per_burst=1.0)
    params = BurstParams(100, 1000, precision_frames=1000)  # max lost, min passes: 2 bursts a search
    rep = back_to_back(clock.sender(dut(500)), params, repetitions=10, max_total_time_s=5.0, clock=clock)
    assert [len(s.trials) for s in rep.searches] == [2, 2, 1]
    last = rep.searches[-1]
    assert (last.longest_lossless, last.first_lossy, last.complete) == (None, 1000, False)
    assert rep.mean_frames == 100  # the two complete searches; the cut one neither counts nor voids it


def test_mean_is_none_when_even_the_shortest_burst_lost():
    rep = back_to_back(dut(50).send_burst, BurstParams(100, 1000), repetitions=2)
    assert rep.mean_frames is None and all(s.complete for s in rep.searches)


@pytest.mark.parametrize("kwargs", [dict(repetitions=0), dict(max_total_time_s=0)])
def test_bad_bounds(kwargs):
    with pytest.raises(ValueError):
        back_to_back(dut(5).send_burst, BurstParams(1, 10), **kwargs)


def test_max_trials_below_two_is_refused():
    with pytest.raises(ValueError, match="max_trials"):
        BurstParams(1, 10, max_trials=1)
