"""Back-to-back in ``ipsec-harness run``/``nightly`` (``harness.cli_run``) and in a live sweep
(``harness.perf.back_to_back.with_back_to_back``), without root: the in-process reference
gateway behind a pretend wire that loses every frame of an unpaced burst past its buffer."""
from __future__ import annotations

import dataclasses
import time
from types import SimpleNamespace

import pytest

from harness.cli import main
from harness.cli_run import build_record, run_perf
from harness.dut.reference import ReferenceDut
from harness.io.port import SendResult, StopReason
from harness.measure.burst import BurstParams
from harness.measure.search import SearchParams
from harness.measure.sweep import CryptoDirection
from harness.perf import live
from harness.perf.back_to_back import BackToBackPlan, PacedDut, live_burst_sender, with_back_to_back
from harness.perf.sweep import PerfSweep
from harness.plan import DutKind, PlanError
from harness.scenario import SaType

BUFFER = 305


@pytest.fixture(autouse=True)
def short_late_wait(monkeypatch):
    """The fake wire's collect never blocks: wait for late frames 10 ms instead of 0.5 s."""
    monkeypatch.setattr(live, "LATE_QUIET_S", 0.01)


class BufferedWire:
    """``ReferenceDut`` as a live DUT: paced sends all arrive; an unpaced (back-to-back) burst
    keeps its first ``buffer`` frames only."""

    name = "buffered-wire"
    min_frame_len = 1

    def __init__(self, buffer: int) -> None:
        self.inner, self.buffer = ReferenceDut(), buffer
        self.unpaced_bursts: list[int] = []

    def configure(self, cfg_text, options):
        self.inner.configure(cfg_text, options)

    def send(self, port, frames):
        self.inner.send(port, frames)

    def collect(self):
        return self.inner.collect()

    def counters(self):
        return self.inner.counters()

    def close(self):
        self.inner.close()

    def tester_port(self, dut_port):
        return SimpleNamespace(config=SimpleNamespace(burst=0))  # not the measurer's: it paces via send()

    def send_paced(self, port, frames, *, rate_pps, duration_limit_s):
        if rate_pps is None:
            self.unpaced_bursts.append(len(frames))
        self.inner.send(port, list(frames if rate_pps is not None else frames[:self.buffer]))
        now = time.time_ns()
        return SendResult(len(frames), len(frames), sum(map(len, frames)), now, now, 1_000_000,
                          StopReason.COMPLETE, ((0, now),))

    def tester_capture_drops(self):
        return 0


SWEEP = PerfSweep(frame_sizes=(128,), placements=(SaType.NO_OFFLOAD,), directions=(CryptoDirection.ENCRYPT,),
                  tunnels=(1, 10), max_frames=400,
                  search=SearchParams(min_load_pps=2_000, max_load_pps=20_000, trial_duration_s=0.02, max_trials=3))
B2B = BackToBackPlan(BurstParams(10, 1_000, precision_frames=1, max_trials=20), repetitions=2, max_total_time_s=20)


def test_each_point_search_is_followed_by_its_back_to_back():
    wire = BufferedWire(BUFFER)
    assert isinstance(wire, PacedDut)
    labels: list[str] = []
    lines: list[str] = []
    results = list(with_back_to_back(SWEEP, B2B, wire, labels.append, lines.append))
    assert len(results) == 4
    names = [{m.name for m in metrics} for metrics, _ in results]
    assert "pdr_pps" in names[0] and "pdr_pps" in names[2]
    assert names[1] == names[3] == {"b2b_frames", "b2b_burst_pps"}
    assert [lab.startswith("b2b-") for lab in labels] == [False, True, False, True]
    found = {dict(m.params)["tunnels"]: m for metrics, _ in results for m in metrics if m.name == "b2b_frames"}
    assert found[1].value == BUFFER
    assert found[10].value == 300  # bursts come in whole rounds of 10 frames: 310 would lose 5
    assert dict(found[1].params)["b2b_repetitions"] == 2 and dict(found[1].params)["b2b_max_frames"] == 1_000
    assert len(lines) == 2 and "mean 305 frames" in lines[0]
    assert wire.unpaced_bursts and max(wire.unpaced_bursts) <= 1_000


def test_build_record_carries_the_back_to_back_plan():
    record = build_record("p", DutKind.REFERENCE_LIVE, SWEEP, (), (), (), B2B)
    params = dict(record.params)
    assert params["b2b_min_frames"] == 10 and params["b2b_max_frames"] == 1_000
    assert params["b2b_repetitions"] == 2 and params["b2b_max_total_time_s"] == 20
    assert "b2b_min_frames" not in dict(build_record("p", DutKind.REFERENCE_LIVE, SWEEP, (), (), ()).params)


def test_offline_back_to_back_is_refused():
    with pytest.raises(PlanError, match="need a wire"):
        run_perf(SWEEP, DutKind.REFERENCE, None, B2B)


def test_run_command_refuses_back_to_back_offline(tmp_path, capsys):
    rc = main(["run", "--scenario", "tun44-aes128gcm", "--sizes", "64", "--b2b-max-frames", "1000",
               "--results-dir", str(tmp_path / "r")])
    assert rc == 2
    assert "back-to-back bursts need a wire" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_nightly_plan_with_back_to_back_offline_exits_2(tmp_path, capsys):
    plan = tmp_path / "plan.toml"
    plan.write_text("[perf]\nframe_sizes = [64]\n[perf.back_to_back]\nmin_frames = 10\nmax_frames = 100\n")
    assert main(["nightly", str(plan)]) == 2
    assert f"{plan}: perf.back_to_back: back-to-back bursts need a wire" in capsys.readouterr().err


class StarvedWire(BufferedWire):
    """Emits each burst's output in two halves (the second only on the next collect, as a DUT
    paused longer than the quiet time does), optionally replaying the previous burst's output
    with its old timestamps first (frames that leaked past an earlier collect)."""

    def __init__(self, buffer: int, replay_previous: bool) -> None:
        super().__init__(buffer)
        self.replay_previous, self.previous, self.pending, self.sent_at = replay_previous, [], [], 0

    def send_paced(self, port, frames, *, rate_pps, duration_limit_s):
        result = super().send_paced(port, frames, rate_pps=rate_pps, duration_limit_s=duration_limit_s)
        self.sent_at = result.first_tx_ns
        out = [dataclasses.replace(f, ts_ns=self.sent_at + 1 + i) for i, f in enumerate(self.inner.collect())]
        stale = self.previous if self.replay_previous else []
        self.previous = out
        self.pending = [stale + out[:len(out) // 2], out[len(out) // 2:]]
        return result

    def collect(self):
        return self.pending.pop(0) if self.pending else []


def one_point_sender(wire):
    ((point, scenario),) = dataclasses.replace(SWEEP, tunnels=(1,)).cases()
    return live_burst_sender(wire, scenario, point.direction, point.frame)


def test_late_frames_are_waited_for_and_stale_ones_never_credited():
    wire = StarvedWire(BUFFER, replay_previous=True)
    send = one_point_sender(wire)
    first = send(200)
    assert (first.forwarded, first.lost) == (200, 0) and send.trials[0].late_collects == 1
    wire.buffer = 0  # the DUT now loses the whole burst; the previous burst's output comes again
    second = send(200)
    assert (second.forwarded, second.lost) == (0, 200)
    assert send.trials[1].stale == 200 and second.unexpected == 0

