"""RFC 2544 §26.4 back-to-back frames against a live DUT.

``live_burst_sender`` gives ``harness.measure.burst`` its ``send_burst(n)``: ``n`` frames of one
point (built by ``LiveMeasurer.traffic``, so decrypt bursts continue each SA's ESP sequence
numbers and never trip anti-replay; with N tunnels a burst is rounded up to whole rounds of N
frames, one per tunnel, and the trial records the frames really sent) are handed to the tester
port unpaced — one sendmmsg loop, no rate (``send_paced(..., rate_pps=None)``) — i.e. back to
back at the tester's maximum rate; the DUT's output is then collected and counted by signature
with ``harness.perf.live.collect_counted``, as a rate trial's: late frames are waited for while
some are missing (``live.LATE_QUIET_S`` of silence, ``live.LATE_GRACE_S`` at most: RFC 2544 §23), so a DUT
that paused longer than ``collect``'s quiet time is not read as loss (a whole 100-frame burst
once read as lost in a nightly on a busy box), and frames stamped before the burst's first send
are discarded as stale (``BurstTrial.stale``), never credited to this burst (encrypt bursts of
one length reuse their signatures). A burst the DUT really cut short costs ``live.LATE_QUIET_S`` more.

A burst the tester could not send whole (cut at ``BURST_SEND_LIMIT_S``) counts its unsent
frames as lost: it was not a burst of ``n``.

``BackToBackPlan`` is the plan's ``[perf.back_to_back]`` table; ``run_point_back_to_back``
runs it on one point and ``with_back_to_back`` runs it after each point's NDR/PDR search of a
live sweep. ``back_to_back_metrics`` turns a point's report into run-record metrics.
"""
from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field

from harness.dut.base import Dut
from harness.measure.burst import BackToBackReport, BurstParams, back_to_back
from harness.measure.rates import FrameSize
from harness.measure.sweep import CryptoDirection, SweepPoint
from harness.measure.trial import TrialResult
from harness.perf.counting import Counts
from harness.perf.live import LiveMeasurer, PacedDut, collect_counted
from harness.perf.offline import MAX_TRIAL_FRAMES
from harness.perf.sweep import PerfSweep, Progress, Result, run_live
from harness.results.record import Direction, Metric
from harness.scenario import Scenario

BURST_SEND_LIMIT_S = 5.0  # a burst's send is cut after this long (bounds a stuck tester)


@dataclass(frozen=True)
class BurstTrial:
    """One burst: what was asked, what the tester sent, the counts, the tester capture's drops,
    frames of earlier bursts discarded, and how many extra collects waited for late frames."""

    asked: int
    result: TrialResult
    counts: Counts
    send_elapsed_ns: int
    tester_capture_drops: int
    stale: int = 0
    late_collects: int = 0

    @property
    def send_pps(self) -> float:
        """The rate the tester released the burst at (frames sent / send time)."""
        return self.counts.offered / (max(self.send_elapsed_ns, 1) / 1e9)


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
        got = collect_counted(self._measurer.dut, t.keys[:sent.frames_sent], t.out_port, t.read_key,
                              sent.first_tx_ns or 0)
        counts = got.counts
        drops = self._paced.tester_capture_drops()
        send_s = max(sent.elapsed_ns, 1) / 1e9
        result = TrialResult(
            duration_s=send_s, offered_load_pps=sent.frames_sent / send_s, offered=len(t.frames),
            forwarded=counts.forwarded, lost=len(t.frames) - counts.forwarded,
            duplicated=counts.duplicated, reordered=counts.reordered, unexpected=counts.unexpected)
        self.trials.append(BurstTrial(len(t.frames), result, counts, sent.elapsed_ns, drops, got.stale,
                                      got.late_collects))
        return result


def live_burst_sender(dut: Dut, scenario: Scenario, direction: CryptoDirection,
                      frame: FrameSize) -> LiveBurstSender:
    """The burst sender of one point over ``dut`` (see ``LiveBurstSender``)."""
    return LiveBurstSender(dut, scenario, direction, frame)


@dataclass(frozen=True)
class BackToBackPlan:
    """``[perf.back_to_back]``: the burst search bounds, how many searches per point (RFC 2544
    asks for 50; a nightly affords a few) and a time budget per point, s."""

    params: BurstParams
    repetitions: int = 2
    max_total_time_s: float = 60.0

    def __post_init__(self) -> None:
        if self.repetitions < 1:
            raise ValueError(f"repetitions must be >= 1, got {self.repetitions}")
        if not self.max_total_time_s > 0:
            raise ValueError(f"max_total_time_s must be > 0, got {self.max_total_time_s}")
        if self.params.max_frames > MAX_TRIAL_FRAMES:
            raise ValueError(f"max_frames must be <= {MAX_TRIAL_FRAMES}, got {self.params.max_frames}")


@dataclass(frozen=True)
class PointBackToBack:
    """One point's back-to-back searches and every burst sent for them."""

    point: SweepPoint
    report: BackToBackReport
    trials: tuple[BurstTrial, ...] = field(repr=False)

    def summary(self) -> str:
        """One line for people, e.g. ``b2b 64b-...: mean 19844.5 frames, searches [(19689, 20000)], 10 bursts``;
        when no burst came through whole, every burst's counts (to tell a DUT from a tester fault)."""
        mean = self.report.mean_frames
        found = f"mean {mean:g} frames" if mean is not None else "no lossless burst, bursts (sent:forwarded" \
            f" stale late-collects tester-drops) {[self._burst(t) for t in self.trials]}"
        return (f"b2b {self.point.test_id}: {found}, searches (longest lossless, first lossy) "
                f"{[(s.longest_lossless, s.first_lossy) for s in self.report.searches]} of "
                f"{self.report.asked} asked, {len(self.trials)} bursts")

    @staticmethod
    def _burst(t: BurstTrial) -> str:
        return f"{t.counts.offered}:{t.counts.forwarded} {t.stale} {t.late_collects} {t.tester_capture_drops}"


def run_point_back_to_back(dut: Dut, point: SweepPoint, scenario: Scenario, plan: BackToBackPlan) -> PointBackToBack:
    """``plan`` on one point (configures the DUT with ``scenario`` afresh)."""
    sender = live_burst_sender(dut, scenario, point.direction, point.frame)
    report = back_to_back(sender, plan.params, plan.repetitions, max_total_time_s=plan.max_total_time_s)
    return PointBackToBack(point, report, tuple(sender.trials))


def back_to_back_metrics(point: SweepPoint, report: BackToBackReport, params: BurstParams,
                         trials: tuple[BurstTrial, ...] = ()) -> list[Metric]:
    """``b2b_frames``: the mean longest lossless burst over the repetitions (see
    ``BackToBackReport.mean_frames``), with the point's parameters plus the search bounds and
    the repetitions asked (a value equal to ``b2b_max_frames`` means the bound, not the DUT,
    was the limit); ``b2b_burst_pps``: the median rate the tester released the bursts at
    (``trials``; the "maximum rate" of §26.4 is the tester's here). Empty when some repetition
    lost even ``min_frames``."""
    mean = report.mean_frames
    if mean is None:
        return []
    p = point.params() | {"b2b_min_frames": params.min_frames, "b2b_max_frames": params.max_frames,
                          "b2b_repetitions": report.asked}
    out = [Metric.of("b2b_frames", mean, "frames", Direction.HIGHER_IS_BETTER, **p)]
    if trials:
        out.append(Metric.of("b2b_burst_pps", statistics.median(t.send_pps for t in trials), "pps",
                             Direction.HIGHER_IS_BETTER, **p))
    return out


def with_back_to_back(sweep: PerfSweep, plan: BackToBackPlan, dut: Dut, progress: Progress = lambda _: None,
                      log: Progress = lambda _: None) -> Iterator[Result]:
    """``run_live``'s results, each point's followed by its back-to-back metrics (``log`` gets
    ``PointBackToBack.summary()``), then the rest (replay). ``run_live`` yields one result per
    case, in ``sweep.cases()`` order, before anything else."""
    cases = sweep.cases()
    live = run_live(sweep, dut, progress, cases)
    for (point, scenario), result in zip(cases, live):
        yield result
        done = run_point_back_to_back(dut, point, scenario, plan)
        progress(f"b2b-{point.test_id}")
        log(done.summary())
        yield back_to_back_metrics(point, done.report, plan.params, done.trials), []
    yield from live
