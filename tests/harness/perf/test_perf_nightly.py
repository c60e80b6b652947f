"""``ipsec-harness nightly`` end to end on a tiny plan: history, report, exit codes."""
from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

from harness.cli import main
from harness.results.history import History
from harness.results.record import Metric
from harness.results.store import HISTORY_FILE, load_runs, save_run

TINY_PERF = """
[perf]
algorithms = ["aes128gcm"]
frame_sizes = [128]
placements = ["no-offload", "inline-crypto-offload"]
directions = ["encrypt"]
trial_duration_s = 0.01
offered_load_pps = 20000
max_frames = 200
"""


def write_plan(tmp: Path, extra: str = "") -> Path:
    plan = tmp / "plan.toml"
    plan.write_text(f'[plan]\nname = "tiny"\nresults_dir = "res"\n{TINY_PERF}{extra}')
    return plan


def test_nightly_writes_history_and_report_then_flags_a_regression(tmp_path, capsys):
    plan = write_plan(tmp_path)
    assert main(["nightly", str(plan)]) == 0
    res = tmp_path / "res"
    (first,) = load_runs(res)
    assert {m.name for m in first.metrics} >= {"capacity_pps", "wall_pps", "cpu_ns_per_packet", "latency_p50_ns"}
    assert {dict(m.params)["sa_type"] for m in first.metrics} == {"no-offload", "inline-crypto-offload"}
    html = (res / "report.html").read_text()
    assert 'id="performance"' in html and "data:image/png;base64," in html
    with History(res / HISTORY_FILE) as h:
        assert h.run_ids() == [first.run_id]

    # A baseline run with 10x the throughput, stored earlier: the next nightly must fail.
    fast = tuple(dataclasses.replace(m, value=m.value * 10) if m.name == "capacity_pps" else m
                 for m in first.metrics)
    baseline = dataclasses.replace(first, run_id="baseline-fast", metrics=fast,
                                   created_utc=first.created_utc - timedelta(days=1))
    save_run(baseline, res)
    plan = write_plan(tmp_path, '\n[baseline]\nspec = "baseline-fast"\ntolerance_pct = 50\n')
    capsys.readouterr()
    assert main(["nightly", str(plan)]) == 1
    err = capsys.readouterr().err
    assert "regressed: capacity_pps" in err
    with History(res / HISTORY_FILE) as h:
        assert len(h.run_ids()) == 3
    assert "REGRESSED" in (res / "report.html").read_text()


def test_nightly_fails_on_a_conformance_failure(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_tiny_suite.py").write_text(
        "def test_passes():\n    assert True\n\n\ndef test_fails():\n    assert 1 + 1 == 3\n")
    plan = tmp_path / "plan.toml"
    plan.write_text('[plan]\nresults_dir = "res"\n[[suite]]\nname = "tiny"\npaths = ["suite"]\ntimeout_s = 120\n')
    assert main(["nightly", str(plan)]) == 1
    (record,) = load_runs(tmp_path / "res")
    outcomes = sorted(v.outcome.value for v in record.verdicts)
    assert outcomes == ["failed", "passed"], outcomes
    assert json.loads((tmp_path / "res" / "runs" / f"{record.run_id}.json").read_text())["verdicts"]


def test_bad_plan_exits_2(tmp_path, capsys):
    plan = tmp_path / "plan.toml"
    plan.write_text("[perf]\nframe_sizes = [1]\n")
    assert main(["nightly", str(plan)]) == 2
    assert f"{plan}: perf.frame_sizes[0]" in capsys.readouterr().err


def test_run_command_writes_a_report(tmp_path):
    res = tmp_path / "r"
    rc = main(["run", "--scenario", "tun44-aes128gcm", "--sizes", "64", "--directions", "decrypt",
               "--duration", "0.01", "--load", "10000", "--results-dir", str(res)])
    assert rc == 0
    (record,) = load_runs(res)
    assert any(isinstance(m, Metric) and m.name == "capacity_pps" for m in record.metrics)
    assert (res / "report.html").is_file()
