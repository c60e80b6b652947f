"""The offline ``Measurer`` over an in-process DUT (``ReferenceDut`` or any ``Dut`` whose
``send`` processes at once): what the DUT does per CPU second, not what a wire would see.

A trial at offered load L for D seconds offers ``min(round(L × D), max_frames)`` frames
(``MAX_TRIAL_FRAMES`` = 200 000 at most: bounded memory and time), rounded up to a multiple
of the tunnel count (at least one frame per tunnel), to a freshly configured
DUT, in bursts of ``burst`` frames: ``send`` then ``collect`` per burst. A synchronous DUT
cannot be overloaded this way, so the offered load only sets the frame count; what is
measured honestly is:

* counts (offered, forwarded, lost, duplicated, reordered, unexpected), by signature: loss
  here is a real drop by the DUT, never a modelled queue overflow;
* DUT CPU time (``time.process_time_ns`` around the DUT calls: every thread of this process,
  so a lookaside engine's worker thread is included) and wall time of the DUT calls, hence
  the processing rate in packets per CPU second and per wall second;
* "offline processing latency": per packet, the time from the start of its burst's ``send``
  to the end of the ``collect`` that returned it (``perf_counter_ns``). For a lookaside
  placement this includes the hand-off to the engine thread and the wait for completion;
  it is NOT a wire latency.

The RFC 2544 NDR/PDR search is meaningful over the live measurer (``harness.perf.live``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from harness.dut.base import Dut, ReceivedFrame
from harness.measure.latency import histogram, summarize
from harness.measure.rates import FrameSize
from harness.measure.sweep import CryptoDirection
from harness.measure.trial import TrialResult
from harness.perf.counting import Counts, count, keyed
from harness.perf.scenario_ops import dut_options
from harness.perf.traffic import PointTraffic, point_traffic
from harness.scenario import Scenario

MAX_TRIAL_FRAMES = 200_000
DEFAULT_BURST = 32
LATENCY_KIND = "offline-processing"


def frames_for(duration_s: float, load_pps: float, max_frames: int) -> int:
    """Frames of one trial: L × D, at least 1, at most ``max_frames``."""
    if duration_s <= 0 or load_pps <= 0:
        raise ValueError(f"need duration_s > 0 and load_pps > 0, got {duration_s} and {load_pps}")
    return max(1, min(round(load_pps * duration_s), max_frames))


def whole_rounds(n: int, tunnels: int) -> int:
    """``n`` frames rounded up to a multiple of ``tunnels`` (every tunnel gets the same share)."""
    return -(-n // tunnels) * tunnels


@dataclass(frozen=True)
class OfflineTrial:
    """One offline trial: the ``TrialResult`` plus the time bookkeeping behind it (ns)."""

    result: TrialResult
    counts: Counts
    cpu_ns: int  # process CPU time spent inside the DUT calls
    wall_ns: int  # wall time spent inside the DUT calls
    latency_ns: tuple[int, ...]  # offline processing latency per forwarded packet
    drops: dict[str, int] = field(default_factory=dict)  # DUT drop counters by reason
    configure_ns: int = 0  # wall time of ``dut.configure`` (parse the cfg, build the tables)

    @property
    def cpu_pps(self) -> float:
        """Forwarded packets per CPU second of the DUT."""
        return self.counts.forwarded / (self.cpu_ns / 1e9) if self.cpu_ns else 0.0

    @property
    def wall_pps(self) -> float:
        """Forwarded packets per wall second of the DUT calls."""
        return self.counts.forwarded / (self.wall_ns / 1e9) if self.wall_ns else 0.0


def _drops(counters: dict | None) -> dict[str, int]:
    raw = (counters or {}).get("drops", {})
    return {str(k): int(v) for k, v in raw.items() if int(v)} if isinstance(raw, dict) else {}


class OfflineMeasurer:
    """``Measurer`` over ``dut`` for one point (scenario, direction, frame size)."""

    def __init__(self, dut: Dut, scenario: Scenario, direction: CryptoDirection, frame: FrameSize, *,
                 burst: int = DEFAULT_BURST, max_frames: int = MAX_TRIAL_FRAMES) -> None:
        if burst < 1 or not 1 <= max_frames <= MAX_TRIAL_FRAMES:
            raise ValueError(f"need burst >= 1 and 1 <= max_frames <= {MAX_TRIAL_FRAMES}, got {burst}, {max_frames}")
        self.dut, self.scenario, self.direction, self.frame = dut, scenario, direction, frame
        self.burst, self.max_frames = burst, max_frames
        self.cfg_text, self.options = scenario.to_cfg(), dut_options(scenario)
        self.trials: list[OfflineTrial] = []
        self._traffic: PointTraffic | None = None

    def traffic(self, n: int) -> PointTraffic:
        """Frames for at least ``n`` packets (``n`` rounded up to a multiple of the tunnel
        count), built once for the largest trial so far and reused."""
        t = self._traffic
        if t is None or len(t.frames) < whole_rounds(n, t.tunnels):
            t = self._traffic = point_traffic(self.scenario, self.direction, self.frame, n)
        return t

    def _run_bursts(self, t: PointTraffic, n: int) -> tuple[list[ReceivedFrame], list[int], int, int]:
        dut, port, burst, frames = self.dut, t.in_port, self.burst, t.frames
        out: list[ReceivedFrame] = []
        stamp: list[int] = []  # per emitted frame: latency of its burst
        cpu = wall = 0
        clock, cpu_clock = time.perf_counter_ns, time.process_time_ns
        for i in range(0, n, burst):
            chunk = frames[i:min(i + burst, n)]
            c0, t0 = cpu_clock(), clock()
            dut.send(port, chunk)
            got = dut.collect()
            t1, c1 = clock(), cpu_clock()
            cpu += c1 - c0
            wall += t1 - t0
            out.extend(got)
            stamp.extend([t1 - t0] * len(got))
        return out, stamp, cpu, wall

    def run_trial(self, duration_s: float, offered_load_pps: float) -> OfflineTrial:
        t = self.traffic(frames_for(duration_s, offered_load_pps, self.max_frames))
        n = whole_rounds(frames_for(duration_s, offered_load_pps, self.max_frames), t.tunnels)
        c0 = time.perf_counter_ns()
        self.dut.configure(self.cfg_text, self.options)
        configure_ns = time.perf_counter_ns() - c0
        out, stamp, cpu, wall = self._run_bursts(t, n)
        counts, corr = count(t.keys[:n], t.out_port, keyed(out, t.read_key))
        latency = tuple(stamp[r.index] for r in corr.matches.values())
        result = TrialResult(
            duration_s=max(wall, 1) / 1e9, offered_load_pps=offered_load_pps, offered=n,
            forwarded=counts.forwarded, lost=counts.lost, duplicated=counts.duplicated,
            reordered=counts.reordered, unexpected=counts.unexpected,
            latency=summarize(latency) if latency else None,
            latency_histogram=histogram(latency) if latency else None, dut_cpu_time_ns=cpu)
        trial = OfflineTrial(result, counts, cpu, wall, latency, _drops(self.dut.counters()), configure_ns)
        self.trials.append(trial)
        return trial

    def measure(self, duration_s: float, offered_load_pps: float) -> TrialResult:
        return self.run_trial(duration_s, offered_load_pps).result
