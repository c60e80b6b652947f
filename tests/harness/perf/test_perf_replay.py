"""Anti-replay under reordering on the reference gateway vs the RFC 4303 §3.4.3 model."""
from __future__ import annotations

import pytest

from harness.dut.reference import ReferenceDut
from harness.measure.replay import delayed_order, expected_drops
from harness.perf.replay import forwarded_in_order, replay_experiment, replay_metrics


@pytest.fixture(scope="module")
def dut():
    d = ReferenceDut()
    yield d
    d.close()


def test_measured_matches_model(dut):
    cases = replay_experiment(dut, (32, 128), (16, 48, 200), packets=600, every=8)
    assert [(c.window, c.depth) for c in cases] == [(32, 16), (32, 48), (32, 200), (128, 16), (128, 48), (128, 200)]
    for c in cases:
        assert c.result.measured_dropped == c.result.expected_dropped, c
    drops = {(c.window, c.depth): c.result.measured_dropped for c in cases}
    assert drops[(32, 16)] == 0 and drops[(32, 48)] > 0  # deeper than the window: wrongly dropped
    assert drops[(128, 48)] == 0 and drops[(128, 200)] > 0


def test_forwarded_counts_duplicates_once(dut):
    arrival = (1, 2, 3, 3, 2, 5, 4)  # two replays: the DUT forwards 5 distinct packets
    assert forwarded_in_order(dut, "tun44-aes128gcm-w64", arrival) == 5
    assert expected_drops(arrival, 64) == 2


def test_metrics_carry_window_and_depth(dut):
    cases = replay_experiment(dut, (64,), (100,), packets=400, every=10)
    metrics = {m.name: m for m in replay_metrics(cases)}
    assert set(metrics) == {"replay_wrong_drop_ratio", "replay_model_drop_ratio"}
    params = dict(metrics["replay_wrong_drop_ratio"].params)
    assert params == {"replay_window": 64, "reorder_depth": 100, "reorder_every": 10}
    expected = expected_drops(delayed_order(400, 100, 10), 64) / 400
    assert metrics["replay_model_drop_ratio"].value == pytest.approx(expected)
    assert metrics["replay_wrong_drop_ratio"].value == pytest.approx(expected)
