"""``harness.measure`` sweep results -> metrics and histograms with units and directions.

These are the live (RFC 2544 search) points: their latency is tester send call -> kernel RX
timestamp on the tester's capture socket, so latency metrics and histograms carry
``latency_kind=live-kernel-rx`` (offline ones, ``harness.perf.metrics``, carry
``offline-processing``); loss and CPU metrics do not.
"""
from __future__ import annotations

from collections.abc import Iterable

from harness.measure.rates import pps_to_l1_bps
from harness.measure.search import RateBound
from harness.measure.sweep import LatencyTrial, PointResult
from harness.results.record import Direction, HistogramRecord, Metric, ParamValue, freeze_params

HIGHER = Direction.HIGHER_IS_BETTER
LOWER = Direction.LOWER_IS_BETTER

LATENCY_FIELDS = {"min_ns": "latency_min_ns", "mean_ns": "latency_mean_ns", "p50_ns": "latency_p50_ns",
                  "p90_ns": "latency_p90_ns", "p99_ns": "latency_p99_ns", "p999_ns": "latency_p999_ns",
                  "max_ns": "latency_max_ns", "jitter_ns": "latency_jitter_ns"}
LATENCY_KIND = "live-kernel-rx"


def _rate_metrics(label: str, bound: RateBound, result: PointResult) -> list[Metric]:
    if bound.lower_pps is None:
        return []
    pt = result.point
    params = pt.params()
    pps = bound.lower_pps
    return [
        Metric.of(f"{label}_pps", pps, "pps", HIGHER, **params),
        Metric.of(f"{label}_clear_l1_gbps", pps_to_l1_bps(pps, pt.frame) / 1e9, "Gbit/s", HIGHER, **params),
        Metric.of(f"{label}_encrypted_l1_gbps", pps_to_l1_bps(pps, pt.encrypted) / 1e9, "Gbit/s", HIGHER, **params),
    ]


def _latency_metrics(lt: LatencyTrial, params: dict[str, ParamValue]) -> list[Metric]:
    at = params | {"load_fraction": lt.fraction}
    out = [Metric.of("loss_ratio", lt.trial.loss_ratio, "ratio", LOWER, **at)]
    if lt.trial.latency is not None:
        lat = at | {"latency_kind": LATENCY_KIND}
        out += [Metric.of(name, getattr(lt.trial.latency, f), "ns", LOWER, **lat) for f, name in LATENCY_FIELDS.items()]
    cpu = lt.trial.cpu_ns_per_packet
    if cpu is not None:
        out.append(Metric.of("cpu_ns_per_packet", cpu, "ns", LOWER, **at))
    return out


def point_metrics(result: PointResult) -> list[Metric]:
    """NDR/PDR (pps and L1 Gbit/s on the clear and on the encrypted side) and, per latency
    trial, loss, latency statistics and DUT CPU time per packet, all with the point's params."""
    out = _rate_metrics("ndr", result.search.ndr, result) + _rate_metrics("pdr", result.search.pdr, result)
    params = result.point.params()
    for lt in result.latency:
        out += _latency_metrics(lt, params)
    return out


def point_histograms(result: PointResult) -> list[HistogramRecord]:
    out = []
    for lt in result.latency:
        h = lt.trial.latency_histogram
        if h is not None:
            params = freeze_params(result.point.params() | {"load_fraction": lt.fraction, "latency_kind": LATENCY_KIND})
            out.append(HistogramRecord("latency", h.edges_ns, h.counts, "ns", params))
    return out


def sweep_metrics(results: Iterable[PointResult]) -> tuple[tuple[Metric, ...], tuple[HistogramRecord, ...]]:
    metrics: list[Metric] = []
    hists: list[HistogramRecord] = []
    for r in results:
        metrics += point_metrics(r)
        hists += point_histograms(r)
    return tuple(metrics), tuple(hists)
