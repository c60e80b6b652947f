import random
from datetime import datetime, timezone

import pytest

from harness.measure.esp_size import EspLayout, EspMode
from harness.measure.search import SearchParams
from harness.measure.sweep import CryptoDirection, run_sweep, sweep_points
from harness.measure.synthetic import SyntheticDut
from harness.results.convert import sweep_metrics
from harness.results.record import (DutInfo, FindingRecord, MachineInfo, Outcome, ToolInfo, Verdict,
                                    freeze_params, new_record)

MACHINE = MachineInfo("lab1", "Linux-6.1-x86_64", "Xeon", 2, "6.1.0", "3.11.2")
HEXDIFF = "0000  45 00 00 54 <<00>> 01\n0000  45 00 00 54 <<ff>> 01"


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
        params = [("tun44", "aes-128-gcm"), ("tun66", "aes-128-gcm"), ("tun44", "aes-256-cbc")]
        verdicts = tuple(
            Verdict(f"test_outer[{c}-{a}]", "test_outer", o, freeze_params({"case": c, "algorithm": a}), 0.25,
                    (finding,) if o is Outcome.FAILED else (), "TTL" if o is Outcome.FAILED else "")
            for (c, a), o in zip(params, [Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED])
        ) + (Verdict("test_spd[bypass]", "test_spd", Outcome.ERROR, freeze_params({"case": "bypass"}), 0.1, (), "boom"),)
        return new_record(run_id, ToolInfo("ipsec-harness", "0.1.0", "abc123", False),
                          DutInfo("synthetic", "offline", "1", cfg), machine, {"link_gbps": 10},
                          metrics, verdicts, hists, created_utc=datetime(2025, 1, day, 3, 0, tzinfo=timezone.utc))
    return make
