"""Anti-replay under reordering, measured on a DUT (RFC 4303 §3.4.3 window vs reordering).

For each replay window W, an inbound ESP stream of the preset ``<layout>-<algo>-wW`` with
sequence numbers 1..count is sent in the order ``harness.measure.replay.delayed_order``
gives (every ``every``-th packet ``depth`` packets late) to a freshly configured DUT
(``-w W``); the packets the DUT forwards are counted by signature. Every packet is
legitimate, so every drop is wrong; ``measure_replay`` sets the measured share beside the
RFC model's expectation.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.dut.base import Dut
from harness.measure.replay import ReplayResult, delayed_order, measure_replay
from harness.measure.sweep import CryptoDirection
from harness.perf.counting import count, keyed
from harness.perf.scenario_ops import dut_options
from harness.perf.traffic import point_traffic
from harness.results.record import Direction, Metric
from harness.scenario.presets import build_preset

REPLAY_FRAME_BYTES = 128


@dataclass(frozen=True)
class ReplayCase:
    window: int
    depth: int
    every: int
    result: ReplayResult


def forwarded_in_order(dut: Dut, preset: str, arrival: Sequence[int], burst: int = 32) -> int:
    """Send ESP packets with sequence numbers ``arrival`` (in that order) through a freshly
    configured ``dut``; return how many distinct ones it forwarded on the clear side."""
    scenario = build_preset(preset)
    t = point_traffic(scenario, CryptoDirection.DECRYPT, REPLAY_FRAME_BYTES, max(arrival))
    dut.configure(scenario.to_cfg(), dut_options(scenario))
    frames = [t.frames[s - 1] for s in arrival]
    for i in range(0, len(frames), burst):
        dut.send(t.in_port, frames[i:i + burst])
    counts, _ = count(t.keys, t.out_port, keyed(dut.collect(), t.read_key))
    return counts.forwarded


def replay_experiment(dut: Dut, windows: Iterable[int], depths: Iterable[int], *, packets: int = 2000,
                      every: int = 8, layout: str = "tun44", algorithm: str = "aes128gcm",
                      burst: int = 32) -> list[ReplayCase]:
    """Every (window, depth) case on ``dut``."""
    out = []
    for window in windows:
        preset = f"{layout}-{algorithm}-w{window}"
        for depth in depths:
            arrival = delayed_order(packets, depth, every)
            result = measure_replay(lambda a: forwarded_in_order(dut, preset, a, burst), arrival, window)
            out.append(ReplayCase(window, depth, every, result))
    return out


def replay_metrics(cases: Iterable[ReplayCase]) -> list[Metric]:
    """Measured and model shares of wrongly dropped packets per (window, depth, every)."""
    out = []
    for c in cases:
        p = {"replay_window": c.window, "reorder_depth": c.depth, "reorder_every": c.every}
        out.append(Metric.of("replay_wrong_drop_ratio", c.result.measured_share, "ratio",
                             Direction.LOWER_IS_BETTER, **p))
        out.append(Metric.of("replay_model_drop_ratio", c.result.expected_share, "ratio",
                             Direction.LOWER_IS_BETTER, **p))
    return out
