"""Lookaside vs inline: the same traffic under every SA type gives the same counts and metrics."""
from __future__ import annotations

import pytest

from harness.dut.reference import ReferenceDut
from harness.measure.sweep import CryptoDirection
from harness.perf.metrics import offline_metrics
from harness.perf.offline import OfflineMeasurer
from harness.perf.scenario_ops import dut_options, with_sa_type
from harness.perf.sweep import PerfSweep, run_offline
from harness.scenario import SaType
from harness.scenario.presets import build_preset


def test_with_sa_type_rewrites_only_the_type():
    base = build_preset("tun44-aes128gcm")
    for sa_type in SaType:
        s = with_sa_type(base, sa_type)
        assert {sa.sa_type for sa in s.sas} == {sa_type}
        assert [sa.spec for sa in s.sas] == [sa.spec for sa in base.sas]
        assert s.policies == base.policies and s.routes == base.routes
        sa_lines = [line for line in s.to_cfg().splitlines() if line.startswith("sa ")]
        if sa_type.needs_port:
            assert all(f"type {sa_type.value} port_id 0" in line for line in sa_lines)
        assert dut_options(s) == dut_options(base)


def _key(metric):
    return metric.name, tuple((k, v) for k, v in metric.params if k != "sa_type")


@pytest.mark.parametrize("algorithm", ["aes128gcm", "aes128cbc-sha256"])
def test_every_placement_same_counts_and_metric_set(algorithm):
    sweep = PerfSweep(algorithms=(algorithm,), frame_sizes=(64, 1518), placements=tuple(SaType),
                      trial_duration_s=0.01, offered_load_pps=20_000, max_frames=200)
    dut = ReferenceDut()
    try:
        results = list(run_offline(sweep, dut))
    finally:
        dut.close()
    assert len(results) == len(sweep.cases()) == 2 * 4 * 2
    by_type: dict[str, set] = {}
    for metrics, hists in results:
        sa_type = dict(metrics[0].params)["sa_type"]
        by_type.setdefault(sa_type, set()).update(_key(m) for m in metrics)
        loss = next(m for m in metrics if m.name == "loss_ratio")
        assert loss.value == 0.0
        assert len(hists) == 1 and sum(hists[0].counts) == 200  # one latency sample per forwarded packet
    assert set(by_type) == {t.value for t in SaType}
    assert len({frozenset(v) for v in by_type.values()}) == 1


def test_forwarded_counts_identical_per_placement():
    dut = ReferenceDut()
    try:
        seen = {}
        for sa_type in SaType:
            sweep = PerfSweep(frame_sizes=(512,), placements=(sa_type,), trial_duration_s=0.01,
                              offered_load_pps=25_000, max_frames=250)
            for point, scenario in sweep.cases():
                trial = OfflineMeasurer(dut, scenario, point.direction, point.frame).run_trial(0.01, 25_000)
                seen[(sa_type, point.direction)] = (trial.counts, [m.name for m in offline_metrics(point, trial)])
    finally:
        dut.close()
    for direction in CryptoDirection:
        rows = {(c.forwarded, c.lost, tuple(names)) for (_, d), (c, names) in seen.items() if d is direction}
        assert len(rows) == 1 and next(iter(rows))[:2] == (250, 0)
