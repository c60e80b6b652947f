"""The live ``Measurer`` over a DUT on wires (``reference-live``, ``external``): frames are
sent paced at the offered load, everything the DUT emitted is collected with kernel RX
timestamps, and loss is counted by signature, so the RFC 2544 §26.1 NDR/PDR search
(``harness.measure.search``) over this measurer is meaningful.

One trial at load L for D seconds:

1. builds ``whole_rounds(min(round(L × D), max_frames), tunnels)`` frames
   (``harness.perf.traffic``; decrypt frames continue each SA's ESP sequence numbers from the
   previous trial, so an anti-replay window never sees old numbers; encrypt frames are clear
   and reused between trials of the same size);
2. sends them paced by the token bucket of ``harness.io.pacing`` (GCRA at L packets/s, at
   most ``burst`` back to back), recording the wall time (CLOCK_REALTIME) just before each
   burst is handed over. A DUT adapter with a tester port (``PacedDut``: reference-live,
   external) runs that loop on the port itself, one sendmmsg per burst, when its port's burst
   equals ``burst``; any other DUT gets one ``dut.send`` call per burst. The send is cut at
   D + ``SEND_SLACK_S``; frames never sent are not offered;
3. ``dut.collect()`` returns what the DUT emitted (after its output settled), with kernel RX
   timestamps (CLOCK_REALTIME, TPACKET_V3) taken on the tester's capture socket
   (``collect_counted``). Two guards keep a DUT starved of CPU (a loaded CI box) from reading
   as loss or leaking into the next trial: while frames are missing, ``collect`` is called
   again until ``LATE_QUIET_S`` pass with nothing new, ``LATE_GRACE_S`` at most (RFC 2544 §23
   waits 2 s for remaining frames); a frame whose RX timestamp precedes the trial's first send
   belongs to an earlier trial and is discarded (``LiveTrial.stale``), never credited to this
   one (trials reuse signatures);
4. counts: forwarded = distinct sent signatures seen on the right port, lost = offered -
   forwarded (integers, so forwarded + lost == offered always). ``lost`` is what the tester
   saw, as RFC 2544 counts it; frames the tester's own capture dropped (kernel
   PACKET_STATISTICS, ``LiveTrial.tester_capture_drops``) are reported beside it, and
   ``LiveTrial.dut_lost`` is the loss they do not explain;
5. latency per forwarded frame = its kernel RX timestamp minus the send time of its burst:
   one-way delay tester-send-call -> tester-capture, i.e. the tester's own syscall and veth
   hops, the DUT's queueing and processing and its send. A frame late in a burst carries up
   to the burst's send time on top. Frames without an RX timestamp give no sample.

When the tester cannot release frames as fast as asked (it shares the CPU with the DUT on a
small box), the trial records the load it actually offered (frames / send time) instead of
the one asked for, so the search never credits the DUT with a load it was not offered;
``LiveTrial.tester_limited`` says so. DUT CPU time is unknown for a device in another
process: ``None``.
"""
from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from harness.dut.base import Dut, ReceivedFrame
from harness.io.pacing import Rate, paced_send
from harness.io.afpacket import AfPacketPort
from harness.io.port import SendResult
from harness.measure.latency import histogram, summarize
from harness.measure.rates import FrameSize
from harness.measure.sweep import CryptoDirection
from harness.measure.trial import TrialResult
from harness.perf.counting import Counts, count, keyed
from harness.perf.offline import DEFAULT_BURST, MAX_TRIAL_FRAMES, frames_for, whole_rounds
from harness.perf.scenario_ops import dut_options, protected_tunnels
from harness.perf.traffic import FrameKey, KeyReader, PointTraffic, point_traffic
from harness.scenario import Scenario
from harness.verify.correlate import Correlation

SEND_SLACK_S = 5.0  # a trial's send may run this much past its duration before it is cut
LATE_GRACE_S = 2.0  # RFC 2544 §23: wait this long for remaining frames while some are missing
LATE_QUIET_S = 0.5  # ... but stop once this long brought nothing new
TESTER_SHORTFALL = 0.02  # achieved load below (1 - this) x asked: the trial is tester-limited


@runtime_checkable
class PacedDut(Protocol):
    """A live DUT adapter that lends its tester ports (``harness.dut.reference_live``,
    ``harness.dut.external``)."""

    def tester_port(self, dut_port: int) -> AfPacketPort: ...

    def send_paced(self, port: int, frames: Sequence[bytes], *, rate_pps: float | None,
                   duration_limit_s: float) -> SendResult: ...

    def tester_capture_drops(self) -> int: ...


@dataclass(frozen=True)
class LiveTrial:
    """One live trial: the ``TrialResult`` plus what is behind it."""

    result: TrialResult
    counts: Counts
    asked_load_pps: float  # the load the search asked for
    achieved_load_pps: float  # frames sent / send time
    send: SendResult
    tester_capture_drops: int | None = None  # None: the DUT adapter cannot tell
    stale: int = 0  # frames of earlier trials discarded
    late_collects: int = 0  # extra collects that brought late frames

    @property
    def tester_limited(self) -> bool:
        return self.achieved_load_pps < (1 - TESTER_SHORTFALL) * self.asked_load_pps

    @property
    def dut_lost(self) -> int:
        """Lost frames not explained by drops in the tester's own capture."""
        return self.counts.lost - min(self.counts.lost, self.tester_capture_drops or 0)


@dataclass(frozen=True)
class Collected:
    """What one trial's collects brought, counted (see the module docstring, step 3)."""

    received: list[ReceivedFrame]
    counts: Counts
    corr: Correlation
    stale: int
    late_collects: int


def _fresh(frames: Sequence[ReceivedFrame], since_ns: int) -> tuple[list[ReceivedFrame], int]:
    """``frames`` received at or after ``since_ns`` (or without a timestamp), and how many were older."""
    fresh = [f for f in frames if not f.ts_ns or f.ts_ns >= since_ns]
    return fresh, len(frames) - len(fresh)


def collect_counted(dut: Dut, keys: Sequence[FrameKey], out_port: int, read_key: KeyReader,
                    since_ns: int, clock: Callable[[], float] = time.monotonic) -> Collected:
    """Collect the DUT's output for frames sent from ``since_ns`` (CLOCK_REALTIME) with ``keys``,
    waiting for late frames while some are missing and discarding stale ones; count them."""
    received, stale = _fresh(dut.collect(), since_ns)
    counts, corr = count(keys, out_port, keyed(received, read_key))
    late, start = 0, clock()
    last_new = now = start
    while counts.lost and now - start < LATE_GRACE_S and now - last_new < LATE_QUIET_S:
        more, old = _fresh(dut.collect(), since_ns)
        stale, now = stale + old, clock()
        if more:
            late, last_new = late + 1, now
            received += more
            counts, corr = count(keys, out_port, keyed(received, read_key))
    return Collected(received, counts, corr, stale, late)


def latency_samples(send: SendResult, corr: Correlation, keys: Sequence[tuple[int, int]]) -> list[int]:
    """Per forwarded frame, kernel RX time minus its burst's send time (ns), in arrival order."""
    starts = [i for i, _ in send.bursts]
    index = {key: i for i, key in enumerate(keys)}
    out = []
    for key, rx in sorted(corr.matches.items(), key=lambda kv: kv[1].index):
        if rx.ts_ns:
            tx = send.bursts[bisect.bisect_right(starts, index[key]) - 1][1]
            out.append(max(rx.ts_ns - tx, 0))
    return out


class LiveMeasurer:
    """``Measurer`` over a live ``dut`` for one point; configures the DUT at construction."""

    def __init__(self, dut: Dut, scenario: Scenario, direction: CryptoDirection, frame: FrameSize, *,
                 burst: int = DEFAULT_BURST, max_frames: int = MAX_TRIAL_FRAMES) -> None:
        if burst < 1 or not 1 <= max_frames <= MAX_TRIAL_FRAMES:
            raise ValueError(f"need burst >= 1 and 1 <= max_frames <= {MAX_TRIAL_FRAMES}, got {burst}, {max_frames}")
        self.dut, self.scenario, self.direction, self.frame = dut, scenario, direction, frame
        self.burst, self.max_frames = burst, max_frames
        self.tunnels = len(protected_tunnels(scenario))
        self.trials: list[LiveTrial] = []
        self._next_seq = 1
        self._clear: PointTraffic | None = None
        dut.configure(scenario.to_cfg(), dut_options(scenario))
        dut.collect()  # drop anything emitted during start-up

    def traffic(self, n: int) -> PointTraffic:
        """Frames of one trial (see the module docstring, step 1)."""
        if self.direction is CryptoDirection.ENCRYPT:
            if self._clear is None or len(self._clear.frames) != n:
                self._clear = point_traffic(self.scenario, self.direction, self.frame, n)
            return self._clear
        t = point_traffic(self.scenario, self.direction, self.frame, n, seq_start=self._next_seq)
        self._next_seq += t.per_tunnel
        return t

    def _paced_port(self, port: int) -> PacedDut | None:
        """The DUT, when it can pace ``port`` itself in bursts of ``self.burst``."""
        dut = self.dut
        if isinstance(dut, PacedDut) and dut.tester_port(port).config.burst == self.burst:
            return dut
        return None

    def _send(self, frames: Sequence[bytes], port: int, rate_pps: float, limit_s: float) -> SendResult:
        paced = self._paced_port(port)
        if paced is not None:
            return paced.send_paced(port, frames, rate_pps=rate_pps, duration_limit_s=limit_s)
        dut = self.dut

        def send_batch(batch: Sequence[bytes], start: int, stop: int) -> int:
            dut.send(port, batch[start:stop])
            return stop - start

        return paced_send(frames, send_batch, rate=Rate(pps=rate_pps), burst=self.burst, duration_limit_s=limit_s)

    def run_trial(self, duration_s: float, offered_load_pps: float) -> LiveTrial:
        n = whole_rounds(frames_for(duration_s, offered_load_pps, self.max_frames), self.tunnels)
        t = self.traffic(n)
        dut = self.dut
        sent = self._send(t.frames, t.in_port, offered_load_pps, duration_s + SEND_SLACK_S)
        got = collect_counted(dut, t.keys[:sent.frames_sent], t.out_port, t.read_key, sent.first_tx_ns or 0)
        tester_drops = dut.tester_capture_drops() if isinstance(dut, PacedDut) else None
        counts, corr = got.counts, got.corr
        latency = latency_samples(sent, corr, t.keys)
        send_s = max(sent.elapsed_ns, 1) / 1e9
        achieved = sent.frames_sent / send_s
        result = TrialResult(
            duration_s=send_s, offered_load_pps=min(offered_load_pps, achieved), offered=sent.frames_sent,
            forwarded=counts.forwarded, lost=counts.lost, duplicated=counts.duplicated,
            reordered=counts.reordered, unexpected=counts.unexpected,
            latency=summarize(latency) if latency else None,
            latency_histogram=histogram(latency) if latency else None)
        trial = LiveTrial(result, counts, offered_load_pps, achieved, sent, tester_drops, got.stale,
                          got.late_collects)
        self.trials.append(trial)
        return trial

    def measure(self, duration_s: float, offered_load_pps: float) -> TrialResult:
        return self.run_trial(duration_s, offered_load_pps).result
