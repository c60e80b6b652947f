"""A performance sweep over one DUT: frame sizes × algorithms × tunnel counts × placements ×
directions.

``PerfSweep`` is the plan's ``[perf]`` table as a frozen record. Each case is a
``SweepPoint`` plus its scenario: the preset ``<layout>-<algorithm>`` (one tunnel) or its
``harness.scenario.scale`` version with N tunnels (N > 1; traffic spread evenly over all of
them, at least one frame per tunnel per trial), with every SA's type switched to the placement
(``with_sa_type``), so lookaside and inline see the same traffic and SAs. ``cases()``
builds each distinct scenario once (a 10 000-tunnel one takes about 2 s to build and check). Offline DUTs get one ``OfflineMeasurer`` trial per case (processing rate per CPU second,
real drops, offline processing latency); live DUTs get the RFC 2544 NDR/PDR search and
latency at fractions of the PDR (``harness.measure.sweep.run_point``).
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from harness.dut.base import Dut
from harness.measure.rates import FrameSize
from harness.measure.search import SearchParams
from harness.measure.sweep import LATENCY_FRACTIONS, CryptoDirection, SweepPoint, run_point
from harness.perf.live import LiveMeasurer
from harness.perf.metrics import live_metrics, offline_histograms, offline_metrics
from harness.perf.offline import DEFAULT_BURST, OfflineMeasurer
from harness.perf.replay import replay_experiment, replay_metrics
from harness.perf.scenario_ops import esp_layout, first_tunnel, with_sa_type
from harness.results.convert import point_histograms, point_metrics
from harness.results.record import HistogramRecord, Metric
from harness.scenario import SaType, Scenario
from harness.scenario.presets import build_preset
from harness.scenario.scale import MAX_TUNNELS, scale_scenario

Progress = Callable[[str], None]  # called once per finished unit of work, with its label


@dataclass(frozen=True)
class ReplayPlan:
    windows: tuple[int, ...] = (32, 64, 128, 1024)
    depths: tuple[int, ...] = (16, 48, 100, 200)
    packets: int = 2000
    every: int = 8


@dataclass(frozen=True)
class PerfSweep:
    """What to measure; durations in seconds, loads in packets/s, counts in frames."""

    layout: str = "tun44"
    algorithms: tuple[str, ...] = ("aes128gcm",)
    frame_sizes: tuple[FrameSize, ...] = (64, 512, 1518)
    placements: tuple[SaType, ...] = (SaType.NO_OFFLOAD, SaType.INLINE_CRYPTO)
    directions: tuple[CryptoDirection, ...] = (CryptoDirection.ENCRYPT, CryptoDirection.DECRYPT)
    tunnels: tuple[int, ...] = (1,)
    trial_duration_s: float = 0.2
    offered_load_pps: float = 50_000.0  # offline: sets the frame count (load × duration)
    max_frames: int = 20_000
    burst: int = DEFAULT_BURST
    search: SearchParams | None = None  # live DUTs: the NDR/PDR search
    replay: ReplayPlan | None = None

    def __post_init__(self) -> None:
        bad = [n for n in self.tunnels if not 1 <= n <= MAX_TUNNELS]
        if bad:
            raise ValueError(f"tunnels {bad}: each must be 1..{MAX_TUNNELS}")
        for algo in self.algorithms:
            build_preset(f"{self.layout}-{algo}")  # ValueError naming the bad part

    def _grid(self) -> Iterator[tuple[SweepPoint, str]]:
        for frame, algo, n, sa_type, direction in itertools.product(
                self.frame_sizes, self.algorithms, self.tunnels, self.placements, self.directions):
            preset = f"{self.layout}-{algo}"
            out_sa = first_tunnel(build_preset(preset)).outbound
            assert out_sa is not None
            yield SweepPoint(frame, out_sa.spec.algorithm_label, esp_layout(out_sa), n, direction, sa_type.value), preset

    def points(self) -> list[SweepPoint]:
        """Every point, frame size varying slowest (no scenario is built)."""
        return [point for point, _ in self._grid()]

    def cases(self) -> list[tuple[SweepPoint, Scenario]]:
        """Every point with its scenario; each distinct scenario is built once."""
        built: dict[tuple[str, int, str], Scenario] = {}
        out = []
        for point, preset in self._grid():
            key = (preset, point.tunnels, point.sa_type)
            if key not in built:
                built[key] = point_scenario(preset, point.tunnels, SaType(point.sa_type))
            out.append((point, built[key]))
        return out

    @property
    def work_units(self) -> int:
        replay = 0 if self.replay is None else len(self.replay.windows) * len(self.replay.depths)
        return len(self.points()) + replay


def point_scenario(preset: str, tunnels: int, sa_type: SaType) -> Scenario:
    """The preset with ``tunnels`` tunnels (the preset itself for 1) and SA type ``sa_type``."""
    base = build_preset(preset)
    return with_sa_type(base if tunnels == 1 else scale_scenario(base, tunnels), sa_type)


Result = tuple[list[Metric], list[HistogramRecord]]


def run_offline(sweep: PerfSweep, dut: Dut, progress: Progress = lambda _: None) -> Iterator[Result]:
    """One offline trial per case, then the replay experiment; yields metrics per unit."""
    for point, scenario in sweep.cases():
        m = OfflineMeasurer(dut, scenario, point.direction, point.frame, burst=sweep.burst,
                            max_frames=sweep.max_frames)
        trial = m.run_trial(sweep.trial_duration_s, sweep.offered_load_pps)
        progress(point.test_id)
        yield offline_metrics(point, trial), offline_histograms(point, trial)
    yield from _replay(sweep, dut, progress)


def run_live(sweep: PerfSweep, dut: Dut, progress: Progress = lambda _: None,
             cases: list[tuple[SweepPoint, Scenario]] | None = None) -> Iterator[Result]:
    """NDR/PDR search and latency trials per case (needs ``sweep.search``), then replay.
    ``cases``: ``sweep.cases()`` when the caller has built them already."""
    if sweep.search is None:
        raise ValueError("a live sweep needs search bounds ([perf.search] in the plan)")
    for point, scenario in (sweep.cases() if cases is None else cases):
        measurer = LiveMeasurer(dut, scenario, point.direction, point.frame, burst=sweep.burst,
                                max_frames=sweep.max_frames)
        result = run_point(point, measurer, sweep.search, LATENCY_FRACTIONS)
        progress(point.test_id)
        yield point_metrics(result) + live_metrics(result, measurer.trials), point_histograms(result)
    yield from _replay(sweep, dut, progress)


def _replay(sweep: PerfSweep, dut: Dut, progress: Progress) -> Iterator[Result]:
    plan = sweep.replay
    if plan is None:
        return
    for window in plan.windows:
        for depth in plan.depths:
            cases = replay_experiment(dut, (window,), (depth,), packets=plan.packets, every=plan.every,
                                      layout=sweep.layout, burst=sweep.burst)
            progress(f"replay-w{window}-d{depth}")
            yield replay_metrics(cases), []
