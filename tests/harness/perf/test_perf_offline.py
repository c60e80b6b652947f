"""The offline measurer's counts on the reference gateway and on a DUT that drops every 10th frame."""
from __future__ import annotations

from collections.abc import Sequence

import pytest

from harness.dut.base import DutOptions, ReceivedFrame
from harness.dut.reference import ReferenceDut
from harness.measure.rates import IMIX_SIMPLE
from harness.measure.sweep import CryptoDirection
from harness.perf.offline import MAX_TRIAL_FRAMES, OfflineMeasurer, frames_for
from harness.scenario.presets import build_preset


class DropEveryTenth:
    """Wraps a DUT and throws away every 10th frame offered to it (1-based: the 10th, 20th...)."""

    name = "drop-every-10th"

    def __init__(self, inner: ReferenceDut) -> None:
        self.inner = inner
        self.offered = 0

    def configure(self, cfg_text: str, options: DutOptions) -> None:
        self.offered = 0
        self.inner.configure(cfg_text, options)

    def send(self, port: int, frames: Sequence[bytes]) -> None:
        kept = []
        for f in frames:
            self.offered += 1
            if self.offered % 10:
                kept.append(f)
        self.inner.send(port, kept)

    def collect(self) -> list[ReceivedFrame]:
        return self.inner.collect()

    def counters(self) -> dict | None:
        return self.inner.counters()

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def dut():
    d = ReferenceDut()
    yield d
    d.close()


@pytest.mark.parametrize("direction", list(CryptoDirection), ids=lambda d: d.value)
@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "tun66-aes128cbc-sha256"])
def test_reference_forwards_everything(dut, preset, direction):
    m = OfflineMeasurer(dut, build_preset(preset), direction, 128, burst=16)
    trial = m.run_trial(0.01, 30_000)  # 300 frames
    r = trial.result
    assert (r.offered, r.forwarded, r.lost) == (300, 300, 0)
    assert (r.duplicated, r.reordered, r.unexpected) == (0, 0, 0)
    assert r.latency is not None and r.latency.count == 300
    assert len(trial.latency_ns) == 300 and min(trial.latency_ns) > 0
    assert trial.cpu_ns > 0 and trial.wall_ns > 0 and trial.cpu_pps > 0
    assert r.dut_cpu_time_ns == trial.cpu_ns
    assert trial.drops == {}


def test_loss_counted_exactly(dut):
    wrapped = DropEveryTenth(dut)
    m = OfflineMeasurer(wrapped, build_preset("tun44-aes128gcm"), CryptoDirection.ENCRYPT, 64, burst=7)
    r = m.measure(0.01, 45_700)  # 457 frames: 45 of them are a 10th
    assert (r.offered, r.forwarded, r.lost) == (457, 412, 45)
    assert r.loss_ratio == pytest.approx(45 / 457)
    assert r.latency is not None and r.latency.count == 412


def test_real_drop_is_named_by_the_dut(dut):
    """A frame the gateway itself drops (ESP replayed with anti-replay on) is lost and counted by reason."""
    scenario = build_preset("tun44-aes128gcm-w64")
    m = OfflineMeasurer(dut, scenario, CryptoDirection.DECRYPT, 128, burst=8)
    t = m.traffic(40)
    t.frames[10:20] = t.frames[0:10]  # ESP sequence numbers 1..10 again instead of 11..20
    r = m.run_trial(0.001, 40_000)
    assert (r.result.offered, r.result.forwarded, r.result.lost) == (40, 30, 10)
    assert sum(r.drops.values()) == 10


def test_imix_and_trial_reuses_frames(dut):
    m = OfflineMeasurer(dut, build_preset("tun44-aes128gcm"), CryptoDirection.DECRYPT, IMIX_SIMPLE)
    first = m.measure(0.01, 24_000)
    built = m.traffic(1)
    second = m.measure(0.005, 24_000)
    assert m.traffic(1) is built  # a smaller trial reuses the frames of the larger one
    assert (first.offered, first.forwarded, second.offered, second.forwarded) == (240, 240, 120, 120)


def test_frames_for_is_bounded():
    assert frames_for(1.0, 1e9, MAX_TRIAL_FRAMES) == MAX_TRIAL_FRAMES
    assert frames_for(0.001, 1.0, 100) == 1
    assert frames_for(0.5, 1000, 10_000) == 500
    with pytest.raises(ValueError):
        frames_for(0, 1000, 10)
    with pytest.raises(ValueError):
        OfflineMeasurer(ReferenceDut(), build_preset("tun44-aes128gcm"), CryptoDirection.ENCRYPT, 64,
                        max_frames=MAX_TRIAL_FRAMES + 1)
