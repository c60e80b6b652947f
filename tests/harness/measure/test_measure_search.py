"""The search on synthetic DUTs whose capacity is known."""
import itertools
import random

import pytest

from harness.measure.burst import BurstParams, back_to_back, search_back_to_back
from harness.measure.search import SearchParams, StopReason, bound_from_trials, search_ndr_pdr
from harness.measure.synthetic import SyntheticDut
from harness.measure.trial import TrialResult


def params(**kw):
    base = dict(min_load_pps=10_000, max_load_pps=10_000_000, trial_duration_s=1.0,
                pdr_loss_ratio=0.005, precision=0.005, max_trials=60)
    base.update(kw)
    return SearchParams(**base)


@pytest.mark.parametrize("capacity", [123_456.0, 2_000_000.0, 9_876_543.0])
def test_finds_known_capacity_within_precision(capacity):
    p = params()
    r = search_ndr_pdr(SyntheticDut(capacity, random.Random(1)), p)
    assert r.stop_reason is StopReason.PRECISION
    assert r.ndr.lower_pps <= capacity < r.ndr.upper_pps
    assert r.ndr.relative_width <= p.precision
    # PDR: loss (L - C) / L <= 0.5 % holds up to C / 0.995.
    assert r.pdr.lower_pps <= capacity / 0.995 < r.pdr.upper_pps
    assert r.pdr.lower_pps >= r.ndr.lower_pps
    assert len(r.trials) < p.max_trials


def test_dut_that_never_loses():
    r = search_ndr_pdr(SyntheticDut(1e12, random.Random(1)), params())
    assert len(r.trials) == 1
    assert r.ndr.lower_pps == r.pdr.lower_pps == 10_000_000 and r.ndr.upper_pps is None


class AlwaysLoses:
    def measure(self, duration_s, load):
        offered = round(duration_s * load)
        return TrialResult.from_counts(duration_s, load, offered, offered // 2)


def test_dut_that_always_loses():
    r = search_ndr_pdr(AlwaysLoses(), params())
    assert [t.offered_load_pps for t in r.trials] == [10_000_000, 10_000]
    assert r.ndr.lower_pps is None and r.pdr.lower_pps is None
    assert r.pdr.upper_pps == 10_000


def test_noisy_loss_pdr_still_close_and_ndr_conservative():
    capacity = 1_000_000.0
    dut = SyntheticDut(capacity, random.Random(42), noise_probability=0.3, noise_max_ratio=0.002)
    r = search_ndr_pdr(dut, params())
    # Noise adds at most 0.2 % loss, so the PDR boundary lies in [C/0.995 .. C/0.997] terms.
    assert capacity * (1 - 0.005) <= r.pdr.lower_pps <= capacity / 0.995
    assert r.ndr.lower_pps is None or r.ndr.lower_pps <= capacity
    at_lower = [t for t in r.trials if t.offered_load_pps == r.pdr.lower_pps]
    assert at_lower and all(t.loss_ratio <= 0.005 for t in at_lower)
    assert all(t.loss_ratio > 0.005 for t in r.trials if t.offered_load_pps == r.pdr.upper_pps)


def test_trial_budget_and_time_budget():
    r = search_ndr_pdr(SyntheticDut(500_000, random.Random(1)), params(max_trials=3))
    assert r.stop_reason is StopReason.TRIAL_BUDGET and len(r.trials) == 3
    ticks = itertools.count(0, 5.0)  # every clock read advances 5 s
    r = search_ndr_pdr(SyntheticDut(500_000, random.Random(1)), params(max_total_time_s=20.0),
                       clock=lambda: next(ticks))
    assert r.stop_reason is StopReason.TIME_BUDGET and 1 <= len(r.trials) < 5


def test_bounds_distrust_pass_above_a_failure():
    def t(load, lost):
        return TrialResult.from_counts(1.0, load, 1000, 1000 - lost)
    b = bound_from_trials([t(100, 5), t(200, 0), t(50, 0)], 0.0)
    assert (b.lower_pps, b.upper_pps) == (50, 100)


@pytest.mark.parametrize("bad", [dict(min_load_pps=0), dict(max_load_pps=5_000), dict(precision=0),
                                 dict(pdr_loss_ratio=1.0), dict(max_trials=0),
                                 dict(trial_duration_s=10, max_total_time_s=5)])
def test_bad_params(bad):
    with pytest.raises(ValueError):
        params(**bad)


def test_back_to_back_finds_buffer():
    dut = SyntheticDut(1e6, random.Random(1), buffer_frames=777)
    r = search_back_to_back(dut.send_burst, BurstParams(1, 100_000))
    assert (r.longest_lossless, r.first_lossy) == (777, 778)
    rep = back_to_back(dut.send_burst, BurstParams(1, 10_000), repetitions=3)
    assert rep.mean_frames == 777 and len(rep.searches) == 3
    assert search_back_to_back(dut.send_burst, BurstParams(1, 500)).longest_lossless == 500
    tiny = SyntheticDut(1e6, random.Random(1), buffer_frames=0)
    assert search_back_to_back(tiny.send_burst, BurstParams(1, 500)).longest_lossless is None
