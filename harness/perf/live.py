"""The live ``Measurer`` over a DUT on wires (``reference-live``, ``external``): frames are
sent paced at the offered load (``harness.io.pacing`` token bucket, bursts of ``burst``),
then everything the DUT emitted is collected with kernel RX timestamps, so loss here is loss
at that rate and the RFC 2544 NDR/PDR search (``harness.measure.search``) is meaningful.

The DUT is configured once; successive trials continue the ESP sequence numbers (so an
anti-replay window never sees old numbers) and each trial's frames are built fresh, at most
``MAX_TRIAL_FRAMES``. Latency is one-way: kernel RX time (CLOCK_REALTIME) minus the wall
time the frame's burst was handed to the DUT's send; frames without an RX timestamp give no
latency sample. DUT CPU time is unknown for a device in another process: ``None``.
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence

from harness.dut.base import Dut
from harness.io.pacing import Rate, paced_send
from harness.measure.latency import histogram, summarize
from harness.measure.rates import FrameSize
from harness.measure.sweep import CryptoDirection
from harness.measure.trial import TrialResult
from harness.perf.counting import count, keyed
from harness.perf.offline import DEFAULT_BURST, MAX_TRIAL_FRAMES, frames_for
from harness.perf.scenario_ops import dut_options
from harness.perf.traffic import point_traffic
from harness.scenario import Scenario

SEND_SLACK_S = 5.0  # a trial's send may run this much past its duration before it is cut


class LiveMeasurer:
    """``Measurer`` over a live ``dut`` for one point; configures the DUT at construction."""

    def __init__(self, dut: Dut, scenario: Scenario, direction: CryptoDirection, frame: FrameSize, *,
                 burst: int = DEFAULT_BURST, max_frames: int = MAX_TRIAL_FRAMES) -> None:
        self.dut, self.scenario, self.direction, self.frame = dut, scenario, direction, frame
        self.burst, self.max_frames = burst, max_frames
        self._next_seq = 1
        dut.configure(scenario.to_cfg(), dut_options(scenario))
        dut.collect()  # drop anything emitted during start-up

    def measure(self, duration_s: float, offered_load_pps: float) -> TrialResult:
        n = frames_for(duration_s, offered_load_pps, self.max_frames)
        t = point_traffic(self.scenario, self.direction, self.frame, n, seq_start=self._next_seq)
        self._next_seq += n
        dut, port = self.dut, t.in_port

        def send_batch(frames: Sequence[bytes], start: int, stop: int) -> int:
            dut.send(port, frames[start:stop])
            return stop - start

        sent = paced_send(t.frames, send_batch, rate=Rate(pps=offered_load_pps), burst=self.burst,
                          duration_limit_s=duration_s + SEND_SLACK_S)
        received = keyed(dut.collect(), t.read_key)
        counts, corr = count(t.stream_id, sent.frames_sent, t.out_port, received)
        starts = [i for i, _ in sent.bursts]
        latency = []
        for (_, seq), rx in corr.matches.items():
            if rx.ts_ns:
                tx = sent.bursts[bisect.bisect_right(starts, seq) - 1][1]
                latency.append(max(rx.ts_ns - tx, 0))
        return TrialResult(
            duration_s=max(sent.elapsed_ns, 1) / 1e9, offered_load_pps=offered_load_pps,
            offered=sent.frames_sent, forwarded=counts.forwarded, lost=counts.lost,
            duplicated=counts.duplicated, reordered=counts.reordered, unexpected=counts.unexpected,
            latency=summarize(latency) if latency else None,
            latency_histogram=histogram(latency) if latency else None)
