"""RFC 2544 §26.4 back-to-back frames against a live DUT.

``live_burst_sender`` gives ``harness.measure.burst`` its ``send_burst(n)``: ``n`` frames of one
point (built by ``LiveMeasurer.traffic``, so decrypt bursts continue each SA's ESP sequence
numbers and never trip anti-replay) are handed to the tester port unpaced — one sendmmsg loop,
no rate (``send_paced(..., rate_pps=None)``) — i.e. back to back at the tester's maximum rate;
``dut.collect()`` then returns what the DUT emitted and frames are counted by signature, as in
``harness.perf.live``. A burst the tester could not send whole (cut at ``BURST_SEND_LIMIT_S``)
counts its unsent frames as lost: it was not a burst of ``n``. ``back_to_back_metrics`` turns the search report into run-record metrics.
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.dut.base import Dut
from harness.measure.burst import BackToBackReport, BurstParams
from harness.measure.rates import FrameSize
from harness.measure.sweep import CryptoDirection, SweepPoint
from harness.measure.trial import TrialResult
from harness.perf.counting import Counts, count, keyed
from harness.perf.live import LiveMeasurer, PacedDut
from harness.results.record import Direction, Metric
from harness.scenario import Scenario

BURST_SEND_LIMIT_S = 5.0  # a burst's send is cut after this long (bounds a stuck tester)


@dataclass(frozen=True)
class BurstTrial:
    """One burst: what was asked, what the tester sent, the counts, the tester capture's drops."""

    asked: int
    result: TrialResult
    counts: Counts
    send_elapsed_ns: int
    tester_capture_drops: int


class LiveBurstSender:
    """``send_burst(n) -> TrialResult`` over a live DUT for one point; configures the DUT at
    construction (through ``LiveMeasurer``). Every burst is kept in ``trials``."""

    def __init__(self, dut: Dut, scenario: Scenario, direction: CryptoDirection, frame: FrameSize) -> None:
        if not isinstance(dut, PacedDut):
            raise TypeError(f"{type(dut).__name__} lends no tester port: back-to-back bursts need a live DUT")
        self._paced: PacedDut = dut
        self._measurer = LiveMeasurer(dut, scenario, direction, frame)
        self.trials: list[BurstTrial] = []

    def __call__(self, n: int) -> TrialResult:
        t = self._measurer.traffic(n)
        sent = self._paced.send_paced(t.in_port, t.frames, rate_pps=None,  # None: unpaced
                                      duration_limit_s=BURST_SEND_LIMIT_S)
        received = self._measurer.dut.collect()
        drops = self._paced.tester_capture_drops()
        counts, _ = count(t.keys[:sent.frames_sent], t.out_port, keyed(received, t.read_key))
        send_s = max(sent.elapsed_ns, 1) / 1e9
        result = TrialResult(
            duration_s=send_s, offered_load_pps=sent.frames_sent / send_s, offered=len(t.frames),
            forwarded=counts.forwarded, lost=len(t.frames) - counts.forwarded,
            duplicated=counts.duplicated, reordered=counts.reordered, unexpected=counts.unexpected)
        self.trials.append(BurstTrial(len(t.frames), result, counts, sent.elapsed_ns, drops))
        return result


def live_burst_sender(dut: Dut, scenario: Scenario, direction: CryptoDirection,
                      frame: FrameSize) -> LiveBurstSender:
    """The burst sender of one point over ``dut`` (see ``LiveBurstSender``)."""
    return LiveBurstSender(dut, scenario, direction, frame)


def back_to_back_metrics(point: SweepPoint, report: BackToBackReport, params: BurstParams) -> list[Metric]:
    """``b2b_frames``: the mean longest lossless burst over the repetitions, with the point's
    parameters plus the search bounds (a value equal to ``b2b_max_frames`` means the bound, not
    the DUT, was the limit). Empty when some repetition lost even ``min_frames``."""
    mean = report.mean_frames
    if mean is None:
        return []
    p = point.params() | {"b2b_min_frames": params.min_frames, "b2b_max_frames": params.max_frames,
                          "b2b_repetitions": len(report.searches)}
    return [Metric.of("b2b_frames", mean, "frames", Direction.HIGHER_IS_BETTER, **p)]
