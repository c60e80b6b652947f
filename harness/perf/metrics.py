"""Offline trials -> run-record metrics and histograms, each with its unit and direction.

Names: ``capacity_pps`` (forwarded packets per DUT CPU second), ``capacity_clear_l1_gbps`` and
``capacity_encrypted_l1_gbps`` (that rate as L1 bit/s of the clear and the ESP frames),
``wall_pps`` (per wall second of the DUT calls), ``cpu_ns_per_packet``, ``loss_ratio``,
``dut_configure_s`` (wall time to load the cfg: grows with the tunnel count) and
``latency_*_ns`` with ``latency_kind=offline-processing`` (see ``harness.perf.offline``).
Live points use ``harness.results.convert.point_metrics`` (NDR/PDR, latency at fractions of
the PDR) plus ``live_metrics``: ``tester_max_pps``, the highest load the tester actually
offered in the point's trials (when NDR/PDR sit near it, the tester, not the DUT, was the
limit), ``tester_capture_drops`` (frames the tester's own capture lost over the point's trials:
loss not to be blamed on the DUT).
"""
from __future__ import annotations

from collections.abc import Sequence

from harness.measure.rates import pps_to_l1_bps
from harness.measure.sweep import PointResult, SweepPoint
from harness.perf.live import LiveTrial
from harness.perf.offline import LATENCY_KIND, OfflineTrial
from harness.results.convert import LATENCY_FIELDS
from harness.results.record import Direction, HistogramRecord, Metric, freeze_params

HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER


def offline_metrics(point: SweepPoint, trial: OfflineTrial) -> list[Metric]:
    """Metrics of one offline trial at ``point`` (parameters: the point's fields)."""
    p = point.params()
    r = trial.result
    out = [
        Metric.of("capacity_pps", trial.cpu_pps, "pps", HIGHER, **p),
        Metric.of("capacity_clear_l1_gbps", pps_to_l1_bps(trial.cpu_pps, point.frame) / 1e9, "Gbit/s", HIGHER, **p),
        Metric.of("capacity_encrypted_l1_gbps", pps_to_l1_bps(trial.cpu_pps, point.encrypted) / 1e9, "Gbit/s",
                  HIGHER, **p),
        Metric.of("wall_pps", trial.wall_pps, "pps", HIGHER, **p),
        Metric.of("loss_ratio", r.loss_ratio, "ratio", LOWER, **p),
        Metric.of("dut_configure_s", trial.configure_ns / 1e9, "s", LOWER, **p),
    ]
    if r.cpu_ns_per_packet is not None:
        out.append(Metric.of("cpu_ns_per_packet", r.cpu_ns_per_packet, "ns", LOWER, **p))
    if r.latency is not None:
        lat = p | {"latency_kind": LATENCY_KIND}
        out += [Metric.of(name, getattr(r.latency, f), "ns", LOWER, **lat) for f, name in LATENCY_FIELDS.items()]
    return out


def offline_histograms(point: SweepPoint, trial: OfflineTrial) -> list[HistogramRecord]:
    h = trial.result.latency_histogram
    if h is None:
        return []
    params = freeze_params(point.params() | {"latency_kind": LATENCY_KIND})
    return [HistogramRecord("latency", h.edges_ns, h.counts, "ns", params)]


def live_metrics(result: PointResult, trials: Sequence[LiveTrial]) -> list[Metric]:
    """What the tester managed in a live point (see the module docstring)."""
    if not trials:
        return []
    p = result.point.params()
    out = [Metric.of("tester_max_pps", max(t.achieved_load_pps for t in trials), "pps", HIGHER, **p)]
    drops = [t.tester_capture_drops for t in trials if t.tester_capture_drops is not None]
    if drops:
        out.append(Metric.of("tester_capture_drops", sum(drops), "packets", LOWER, **p))
    return out
