import random
from datetime import datetime, timezone

import pytest

from harness.measure.esp_size import EspLayout, EspMode
from harness.measure.search import SearchParams
from harness.measure.sweep import CryptoDirection, run_sweep, sweep_points
from harness.measure.synthetic import SyntheticDut
from harness.results.convert import sweep_metrics
from harness.results.record import (Direction, DutInfo, FindingRecord, HistogramRecord, MachineInfo, Metric, Outcome,
                                    ToolInfo, Verdict, freeze_params, new_record)

MACHINE = MachineInfo("lab1", "Linux-6.1-x86_64", "Xeon", 2, "6.1.0", "3.11.2")
HEXDIFF = "0000  45 00 00 54 <<00>> 01\n0000  45 00 00 54 <<ff>> 01"
HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
LAYOUTS = {"tun44": ("tunnel", "ipv4", "ipv4"), "tun66": ("tunnel", "ipv6", "ipv6"), "trs4": ("transport", "ipv4", "ipv4")}


def scenario(layout: str, algorithm: str) -> dict:
    mode, inner, outer = LAYOUTS[layout]
    return {"mode": mode, "inner_family": inner, "outer_family": outer, "algorithm": algorithm,
            "preset": f"{layout}-{algorithm}", "profile": "secgw-library"}


def verdicts(finding: FindingRecord) -> tuple[Verdict, ...]:
    """conformance/test_outer on three presets (pass, fail, skip) and a negative-suite error."""
    cases = [("tun44", "aes-128-gcm", Outcome.PASSED), ("tun66", "aes-128-gcm", Outcome.FAILED),
             ("tun44", "aes-256-cbc", Outcome.SKIPPED)]
    out = tuple(
        Verdict(f"testsuites/conformance/test_outer.py::test_outer[{lay}-{alg}]", "test_outer", o,
                freeze_params(scenario(lay, alg)), 0.25, (finding,) if o is Outcome.FAILED else (),
                "E   AssertionError: TTL\nE   more" if o is Outcome.FAILED else "")
        for lay, alg, o in cases)
    return out + (Verdict("testsuites/negative/test_neg_spd.py::test_spd[bypass]", "test_spd", Outcome.ERROR,
                          freeze_params(scenario("trs4", "aes-128-gcm")), 0.1, (), "boom"),)


@pytest.fixture
def make_record():
    """A run over a synthetic DUT: lookaside is slower per packet than inline."""
    def make(run_id="r1", scale=1.0, day=1, machine=MACHINE, cfg="ab" * 32, latency_ns=5_000, seed=1):
        pts = sweep_points([64, 512, 1518], {"aes-128-gcm": EspLayout(8, 16, 4, EspMode.TUNNEL4)},
                           directions=[CryptoDirection.ENCRYPT], sa_types=["no-offload", "inline-crypto-offload"])
        def dut(p):
            cap = (300_000.0 if p.sa_type == "no-offload" else 600_000.0) * scale
            return SyntheticDut(cap, random.Random(seed), base_latency_ns=latency_ns,
                                cpu_ns_per_packet=2_000.0 if p.sa_type == "no-offload" else 900.0)
        metrics, hists = sweep_metrics(run_sweep(pts, dut, lambda p: SearchParams(1_000, p.max_load_pps(10e9), precision=0.01)))
        finding = FindingRecord("FAIL", "A6", "outer.ttl", "port 1, frame #3", "64", "255", "", HEXDIFF)
        return new_record(run_id, ToolInfo("ipsec-harness", "0.1.0", "abc123", False),
                          DutInfo("synthetic", "offline", "1", cfg), machine, {"link_gbps": 10},
                          metrics, verdicts(finding), hists, created_utc=datetime(2025, 1, day, 3, 0, tzinfo=timezone.utc))
    return make


SIZES = {"64b": (64, 118), "512b": (512, 566), "1518b": (1518, 1574)}


def offline_metrics(scale: float = 1.0) -> tuple[Metric, ...]:
    """What harness.perf's offline measurer emits (capacity, no PDR), per size/placement/direction."""
    out = []
    for size, (clear, enc) in SIZES.items():
        for sa, cap in (("no-offload", 50_000.0), ("inline-crypto-offload", 90_000.0)):
            for direction, k in (("encrypt", 1.0), ("decrypt", 0.8)):
                p = {"frame_size": size, "clear_frame_bytes": clear, "encrypted_frame_bytes": enc,
                     "algorithm": "aes-128-gcm", "sa_type": sa, "crypto_direction": direction, "tunnels": 1}
                pps = cap * k * scale
                lat = {**p, "latency_kind": "offline-processing"}
                out += [Metric.of("capacity_pps", pps, "pps", HIGHER, **p),
                        Metric.of("capacity_clear_l1_gbps", pps * (clear + 20) * 8 / 1e9, "Gbit/s", HIGHER, **p),
                        Metric.of("wall_pps", pps * 0.9, "pps", HIGHER, **p),
                        Metric.of("cpu_ns_per_packet", 1e9 / pps, "ns", LOWER, **lat),
                        Metric.of("latency_p50_ns", 2e5 / scale, "ns", LOWER, **lat),
                        Metric.of("latency_p99_ns", 9e5 / scale, "ns", LOWER, **lat)]
    return tuple(out)


def offline_histograms() -> tuple[HistogramRecord, ...]:
    edges = tuple(float(1000 * 2 ** i) for i in range(9))
    return tuple(
        HistogramRecord("latency", edges, counts, "ns", freeze_params(
            {"frame_size": "64b", "algorithm": "aes-128-gcm", "sa_type": "no-offload", "crypto_direction": d,
             "latency_kind": "offline-processing"}))
        for d, counts in (("encrypt", (0, 5, 20, 40, 20, 10, 4, 1)), ("decrypt", (0, 1, 10, 30, 30, 20, 8, 1))))


@pytest.fixture
def make_offline_record():
    """An offline run: capacity metrics, latency histograms per crypto direction, repeated findings."""
    def make(run_id="off1", scale=1.0, day=1, verdict_list=None):
        return new_record(run_id, ToolInfo("ipsec-harness", "0.1.0", "abc123", False),
                          DutInfo("gateway_ref", "reference-offline", "", "cd" * 32), MACHINE,
                          {"plan": "nightly-test", "measure": "offline"}, offline_metrics(scale),
                          tuple(verdict_list or ()), offline_histograms(),
                          created_utc=datetime(2025, 2, day, 3, 0, tzinfo=timezone.utc))
    return make
