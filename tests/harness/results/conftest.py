import random
from datetime import datetime, timezone

import pytest

from harness.measure.esp_size import EspLayout, EspMode
from harness.measure.search import SearchParams
from harness.measure.sweep import run_sweep, sweep_points
from harness.measure.synthetic import SyntheticDut
from harness.results.convert import sweep_metrics
from harness.results.record import (DutInfo, FindingRecord, MachineInfo, Outcome, ToolInfo, Verdict,
                                    freeze_params, new_record)

MACHINE = MachineInfo("lab1", "Linux-6.1-x86_64", "Xeon", 2, "6.1.0", "3.11.2")


@pytest.fixture
def make_record():
    def make(run_id="r1", capacity=400_000.0, day=1, machine=MACHINE):
        pts = sweep_points([64, 1518], {"aes-128-gcm": EspLayout(8, 16, 4, EspMode.TUNNEL4)})
        results = run_sweep(pts, lambda p: SyntheticDut(capacity, random.Random(day), cpu_ns_per_packet=900.0),
                            lambda p: SearchParams(1_000, p.max_load_pps(10e9), precision=0.01))
        metrics, hists = sweep_metrics(results)
        finding = FindingRecord("FAIL", "E3", "esp.seq", "port 1, frame #3", "4", "5", "gap",
                                "0000  00 00 00 04\n0000  00 00 00 05")
        verdicts = (
            Verdict("test_seq[tun44-aes128gcm]", "test_seq", Outcome.PASSED, freeze_params({"case": "tun44", "algorithm": "aes-128-gcm"}), 0.1),
            Verdict("test_seq[tun66-aes128gcm]", "test_seq", Outcome.FAILED, freeze_params({"case": "tun66", "algorithm": "aes-128-gcm"}), 0.2, (finding,)),
        )
        return new_record(run_id, ToolInfo("ipsec-harness", "0.1.0", "abc123", False),
                          DutInfo("synthetic", "offline", "1", "ff" * 32), machine,
                          {"link_gbps": 10}, metrics, verdicts, hists,
                          created_utc=datetime(2025, 1, day, 3, 0, tzinfo=timezone.utc))
    return make
