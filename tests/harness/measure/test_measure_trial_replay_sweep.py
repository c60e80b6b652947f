import random

import pytest

from harness.measure.esp_size import EspLayout, EspMode
from harness.measure.rates import IMIX_SIMPLE
from harness.measure.replay import delayed_order, expected_drops, measure_replay
from harness.measure.search import SearchParams
from harness.measure.sweep import (CryptoDirection, SWEEP_FRAME_SIZES, TUNNEL_COUNTS, run_point,
                                   run_sweep, sweep_points)
from harness.measure.synthetic import SyntheticDut
from harness.measure.trial import TrialResult

GCM = EspLayout(8, 16, 4, EspMode.TUNNEL4)


def test_trial_counts_and_rates():
    t = TrialResult.from_counts(2.0, 1000.0, 2000, 1990, duplicated=3, dut_cpu_time_ns=1990 * 500)
    assert t.lost == 10 and t.loss_ratio == pytest.approx(0.005)
    assert t.offered_rate_pps == 1000 and t.forwarded_rate_pps == 995
    assert t.cpu_ns_per_packet == pytest.approx(500)
    with pytest.raises(ValueError, match="forwarded"):
        TrialResult(1.0, 1.0, offered=10, forwarded=5, lost=4)
    with pytest.raises(ValueError, match="duplicated"):
        TrialResult(1.0, 1.0, offered=1, forwarded=1, lost=0, duplicated=-1)


def test_replay_model_edges():
    # Arrival 1..70 with 5 arriving after 69: lag 64 -> too old for W=64, fine for W=65.
    order = [s for s in range(1, 71) if s != 5]
    order.insert(order.index(69) + 1, 5)
    assert expected_drops(order, 64) == 1
    assert expected_drops(order, 65) == 0
    assert expected_drops([1, 2, 2, 3, 1], 64) == 2  # duplicates


@pytest.mark.parametrize("window,depth,dropped", [(64, 63, 0), (64, 64, 2), (32, 100, 2), (16, 10, 0)])
def test_delayed_order_share(window, depth, dropped):
    order = delayed_order(400, depth, every=128)
    assert sorted(order) == list(range(1, 401))
    # delayed packets 128, 256, 384; the last lags only 16 when depth runs past the end.
    assert expected_drops(order, window) == dropped


def test_measured_replay_against_secgw_like_window():
    def secgw_forward(arrival, window=64):
        """A window that also accepts seq == top - W (DPDK's off-by-one)."""
        top, seen, fwd = 0, set(), 0
        for s in arrival:
            if s > top:
                top = s; seen.add(s); fwd += 1
            elif top - s > window or s in seen:
                continue
            else:
                seen.add(s); fwd += 1
        return fwd
    r = measure_replay(secgw_forward, delayed_order(300, 64, every=100), 64)
    assert r.expected_dropped == 2 and r.measured_dropped == 0
    assert r.expected_share == pytest.approx(2 / 300) and r.measured_share == 0


def test_sweep_points_cover_matrix_and_ids():
    pts = sweep_points(SWEEP_FRAME_SIZES, {"aes-128-gcm": GCM}, TUNNEL_COUNTS)
    assert len(pts) == 8 * 5 * 2
    enc = [p for p in pts if p.direction is CryptoDirection.ENCRYPT and p.frame == 64][0]
    dec = [p for p in pts if p.direction is CryptoDirection.DECRYPT and p.frame == 64][0]
    assert enc.rx_frame == 64 and enc.tx_frame == 118 and dec.rx_frame == 118 and dec.tx_frame == 64
    assert enc.params()["encrypted_frame_bytes"] == 118.0
    assert enc.test_id == "64b-aes-128-gcm-1tnl-no-offload-encrypt"
    assert enc.max_load_pps(10e9) == pytest.approx(10e9 / (138 * 8))
    assert len({p.test_id for p in pts}) == len(pts)
    assert [p for p in pts if p.frame is IMIX_SIMPLE][0].params()["frame_size"] == "imix"


def test_run_point_latency_at_fractions():
    dut = SyntheticDut(300_000, random.Random(3), base_latency_ns=2_000)
    pt = sweep_points([64], {"aes-128-gcm": GCM})[0]
    res = run_point(pt, dut, SearchParams(1_000, 1_000_000, precision=0.01))
    assert [lt.fraction for lt in res.latency] == [0.1, 0.5, 0.9]
    assert [lt.load_pps for lt in res.latency] == pytest.approx([f * res.search.pdr.lower_pps for f in (0.1, 0.5, 0.9)])
    p50 = [lt.trial.latency.p50_ns for lt in res.latency]
    assert p50[0] < p50[2]  # queueing grows with load in the model
    results = list(run_sweep(sweep_points([64, 1518], {"aes-128-gcm": GCM}),
                             lambda p: SyntheticDut(300_000, random.Random(1)),
                             lambda p: SearchParams(1_000, p.max_load_pps(10e9), precision=0.01)))
    assert len(results) == 4
