"""Live RFC 2544 §26.4 back-to-back search against ``reference-live`` (root): a bounded search
(bursts of 100..20 000 frames, 2 repetitions, well under 30 s on 2 cores), counts, a
confirming burst at the found length, and the ``b2b_frames`` metric."""
from __future__ import annotations

import time

import pytest

from harness.measure.burst import BurstParams, back_to_back
from harness.measure.sweep import CryptoDirection
from harness.perf.back_to_back import back_to_back_metrics, live_burst_sender
from harness.perf.sweep import PerfSweep
from harness.results.record import Direction

pytestmark = pytest.mark.live

PARAMS = BurstParams(min_frames=100, max_frames=20_000, precision_frames=500, max_trials=8)
REPETITIONS = 2
CONFIRMATIONS = 3
BUDGET_S = 30.0  # a bound on the test's work, not a speed assertion


def test_back_to_back_search(live_dut):
    sweep = PerfSweep(frame_sizes=(64,), placements=PerfSweep().placements[:1], directions=(CryptoDirection.ENCRYPT,))
    ((point, scenario),) = sweep.cases()
    sender = live_burst_sender(live_dut, scenario, point.direction, point.frame)
    start = time.monotonic()
    report = back_to_back(sender, PARAMS, repetitions=REPETITIONS)

    assert len(report.searches) == REPETITIONS
    for search in report.searches:
        assert search.longest_lossless is not None, f"even {PARAMS.min_frames} frames lost: {search.trials}"
        assert PARAMS.min_frames <= search.longest_lossless <= PARAMS.max_frames
        assert search.first_lossy is None or search.longest_lossless < search.first_lossy
    for trial in sender.trials:
        r = trial.result
        assert r.offered == trial.asked and r.forwarded + r.lost == r.offered and r.unexpected == 0
        assert 0 <= trial.tester_capture_drops
    assert len(sender.trials) == sum(len(s.trials) for s in report.searches)

    found = min(s.longest_lossless for s in report.searches)
    confirm = []
    while len(confirm) < CONFIRMATIONS and time.monotonic() - start < BUDGET_S:
        confirm.append(sender(found))
        if confirm[-1].lost == 0:
            break
    assert any(c.lost == 0 and c.forwarded == c.offered == found for c in confirm), confirm

    (metric,) = back_to_back_metrics(point, report, PARAMS)
    assert metric.name == "b2b_frames" and metric.unit == "frames"
    assert metric.direction is Direction.HIGHER_IS_BETTER
    assert metric.value == report.mean_frames
    params = dict(metric.params)
    assert params["tunnels"] == 1 and params["b2b_repetitions"] == REPETITIONS
    print(f"b2b_frames mean={report.mean_frames} per repetition="
          f"{[(s.longest_lossless, s.first_lossy) for s in report.searches]} bursts={len(sender.trials)}")
