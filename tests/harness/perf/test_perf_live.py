"""Live RFC 2544 measurement against ``reference-live`` (root): a small bounded NDR/PDR search
(about 20-40 s on 2 cores), counts, kernel-timestamp latency, and the run record it lands in."""
from __future__ import annotations

import json

import pytest

from harness.cli_run import build_record
from harness.measure.search import SearchParams
from harness.measure.sweep import LATENCY_FRACTIONS, CryptoDirection, run_point
from harness.perf.live import LiveMeasurer
from harness.perf.metrics import live_metrics
from harness.perf.sweep import PerfSweep
from harness.plan import DutKind
from harness.results.convert import point_histograms, point_metrics
from harness.results.record import from_dict, to_dict

pytestmark = pytest.mark.live

SEARCH = SearchParams(min_load_pps=2_000, max_load_pps=150_000, trial_duration_s=0.3, pdr_loss_ratio=0.005,
                      precision=0.1, max_trials=6, max_total_time_s=30.0)


def test_search_counts_latency_and_record(live_dut):
    sweep = PerfSweep(frame_sizes=(64,), placements=PerfSweep().placements[:1], directions=(CryptoDirection.ENCRYPT,),
                      search=SEARCH)
    ((point, scenario),) = sweep.cases()
    measurer = LiveMeasurer(live_dut, scenario, point.direction, point.frame, max_frames=60_000)
    result = run_point(point, measurer, SEARCH, LATENCY_FRACTIONS)

    ndr, pdr = result.search.ndr.lower_pps, result.search.pdr.lower_pps
    assert ndr is not None and pdr is not None, f"even {SEARCH.min_load_pps} pps lost packets: {result.search.trials}"
    assert ndr <= pdr
    assert 1 <= len(result.search.trials) <= SEARCH.max_trials
    for trial in measurer.trials:
        r = trial.result
        assert r.offered == trial.send.frames_sent > 0
        assert r.forwarded + r.lost == r.offered and r.unexpected == 0
        assert r.offered_load_pps <= trial.asked_load_pps
        assert trial.tester_capture_drops is not None and 0 <= trial.dut_lost <= r.lost
        assert trial.send.bursts and trial.send.bursts[-1][0] < r.offered
    at_fraction = [lt.trial for lt in result.latency]
    assert len(at_fraction) == len(LATENCY_FRACTIONS)
    lowest = at_fraction[0]
    assert lowest.latency is not None and lowest.latency.count == lowest.forwarded > 0
    assert 0 < lowest.latency.min_ns <= lowest.latency.p50_ns <= lowest.latency.max_ns < 10**9

    metrics = point_metrics(result) + live_metrics(result, measurer.trials)
    record = build_record("live-test", DutKind.REFERENCE_LIVE, sweep, (), metrics, point_histograms(result))
    again = from_dict(json.loads(json.dumps(to_dict(record))))  # survives the JSON round trip
    names = {m.name for m in again.metrics}
    assert {"ndr_pps", "pdr_pps", "latency_p50_ns", "tester_max_pps", "tester_capture_drops"} <= names
    assert again.dut.kind == "reference-live" and dict(again.params)["measure"] == "live"
    assert dict(next(m for m in again.metrics if m.name == "ndr_pps").params)["tunnels"] == 1
    kinds = {m.name: dict(m.params).get("latency_kind") for m in again.metrics}
    assert kinds["latency_p50_ns"] == "live-kernel-rx" and kinds["ndr_pps"] is None
    assert all(dict(h.params)["latency_kind"] == "live-kernel-rx" for h in again.histograms)
