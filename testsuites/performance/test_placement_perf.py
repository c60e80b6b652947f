"""Performance suite: lookaside vs inline on the session's DUT, and anti-replay under
reordering against the RFC 4303 §3.4.3 model. Offline DUTs only here (the live NDR/PDR
sweep runs through ``ipsec-harness nightly``); ids like ``512b-aes-128-gcm-1tnl-no-offload-encrypt``.
"""
from __future__ import annotations

import pytest

from harness.perf.offline import OfflineMeasurer
from harness.perf.replay import replay_experiment
from harness.perf.sweep import PerfSweep
from harness.scenario import SaType

pytestmark = pytest.mark.perf

SWEEP = PerfSweep(algorithms=("aes128gcm", "aes128cbc-sha256"), frame_sizes=(64, 512), placements=tuple(SaType),
                  trial_duration_s=0.01, offered_load_pps=30_000, max_frames=300)
CASES = SWEEP.cases()


@pytest.fixture
def offline_dut(dut):
    if dut.name != "reference":
        pytest.skip(f"offline measurement needs the in-process reference DUT, not {dut.name}")
    return dut


@pytest.mark.parametrize("point, scenario", CASES, ids=[p.test_id for p, _ in CASES])
def test_placement_forwards_all(offline_dut, point, scenario):
    trial = OfflineMeasurer(offline_dut, scenario, point.direction, point.frame).run_trial(
        SWEEP.trial_duration_s, SWEEP.offered_load_pps)
    assert trial.counts.lost == 0, f"{trial.counts.lost} lost; DUT drops {trial.drops}"
    assert trial.counts.duplicated == trial.counts.reordered == trial.counts.unexpected == 0
    assert trial.cpu_pps > 0


@pytest.mark.parametrize("window", [32, 64, 128, 1024], ids=lambda w: f"w{w}")
def test_replay_window_matches_model(offline_dut, window):
    for case in replay_experiment(offline_dut, (window,), (16, 48, 200, 1500), packets=1600):
        r = case.result
        assert r.measured_dropped == r.expected_dropped, (
            f"depth {case.depth}: dropped {r.measured_dropped}, RFC 4303 model {r.expected_dropped}")
