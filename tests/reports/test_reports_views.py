"""The report's views: capacity fallback for offline runs, the conformance matrix and summaries,
grouped findings, per-metric tolerances shared with the nightly check, the summary banner."""
import argparse
import re
from dataclasses import replace

import pandas as pd
import pytest

from harness.results.frame import metrics_frame
from harness.results.record import FindingRecord, Outcome, Verdict, freeze_params
from harness.results.store import save_run
from reports.cli import add_subparsers, report_command
from reports.compare import Status as CStatus
from reports.compare import baseline_from_run, compare
from reports.conformance import (Status, conformance_matrix, failing_tests, reason, requirement_uses, status_frame,
                                 suite_summary)
from reports.findings import group_findings, record_findings, value_pattern
from reports.html_conformance import findings_section
from reports.html_report import Trend, render_html, summary_section, trend_section
from reports.tables import ThroughputBasis, throughput_basis, throughput_grid, throughput_table


def finding(sev="FAIL", req="A6", field="outer.ttl", packet="port 1, frame #0", exp="64", obs="255"):
    return FindingRecord(sev, req, field, packet, exp, obs)


# capacity fallback ---------------------------------------------------------------------------

def test_offline_run_falls_back_to_capacity(make_offline_record, make_record):
    off = metrics_frame([make_offline_record()])
    assert throughput_basis(off) is ThroughputBasis.CAPACITY
    assert throughput_basis(metrics_frame([make_record()])) is ThroughputBasis.PDR
    table = throughput_table(off)
    assert {"capacity_pps", "capacity_clear_l1_gbps", "wall_pps"} <= set(table.columns)
    assert "pdr_pps" not in table.columns and len(table) == 3 * 2 * 2
    assert list(table.clear_frame_bytes) == sorted(table.clear_frame_bytes)
    grid = throughput_grid(off, "capacity_pps")
    assert list(grid.columns) == ["inline-crypto-offload", "no-offload"]
    assert list(grid.index) == [(d, s) for d in ("decrypt", "encrypt") for s in ("64b", "512b", "1518b")]
    assert grid.loc[("encrypt", "64b"), "inline-crypto-offload"] == 90_000.0


def test_html_labels_the_throughput_kind(make_offline_record, make_record):
    offline = render_html(make_offline_record())
    assert "capacity, packets per CPU second (offline)" in offline and "PDR (live RFC 2544 search)" not in offline
    assert 'alt="throughput vs frame size"' in offline and 'alt="lookaside vs inline"' in offline
    live = render_html(make_record())
    assert "PDR (live RFC 2544 search)" in live and "packets per CPU second" not in live


# conformance ---------------------------------------------------------------------------------

def conformance_record(make_offline_record):
    """Two algorithms x two layouts, a WARN-only pass, an xfail, a failure, a skip."""
    def scenario(layout, algorithm):
        mode, fam = ("tunnel", "ipv4") if layout == "tun44" else ("tunnel", "ipv6")
        return {"mode": mode, "inner_family": fam, "outer_family": fam, "algorithm": algorithm,
                "preset": f"{layout}-{algorithm}", "profile": "secgw-library"}

    def v(name, lay, alg, outcome=Outcome.PASSED, findings=(), message="", suite="conformance"):
        return Verdict(f"testsuites/{suite}/test_{name}.py::test_{name}[{lay}-{alg}]", f"test_{name}", outcome,
                       freeze_params(scenario(lay, alg)), 0.1, tuple(findings), message)
    warn = finding("WARN", "SG-L2", "eth.src", exp="02:00:00:00:d0:00", obs="02:00:00:00:00:00")
    verdicts = [
        v("algorithms", "tun44", "aes-128-gcm"), v("algorithms", "tun66", "aes-128-gcm", findings=[warn]),
        v("algorithms", "tun44", "aes-256-cbc"), v("algorithms", "tun66", "aes-256-cbc"),
        v("forwarding", "tun44", "aes-128-gcm", Outcome.SKIPPED, [finding()], "xfail: known verifier bug"),
        v("forwarding", "tun66", "aes-256-cbc", Outcome.FAILED, [finding(), finding(packet="port 1, frame #1")],
          "x = 1\nE   AssertionError: TTL wrong\nE   second line\nlater"),
        v("replay", "tun44", "aes-256-cbc", Outcome.SKIPPED, message="DUT unavailable", suite="negative"),
    ]
    return make_offline_record(verdict_list=verdicts)


def test_matrix_is_algorithm_by_layout_with_worst_status_and_counts(make_offline_record):
    m = conformance_matrix(status_frame(conformance_record(make_offline_record)))
    assert m.shape == (2, 2)
    assert list(m.index) == ["aes-128-gcm", "aes-256-cbc"] and list(m.columns) == ["tun44", "tun66"]
    assert (m.loc["aes-128-gcm", "tun44"].status, m.loc["aes-128-gcm", "tun44"].total) == (Status.PASS, 2)
    assert m.loc["aes-128-gcm", "tun66"].status is Status.WARN
    fail = m.loc["aes-256-cbc", "tun66"]
    assert fail.status is Status.FAIL and fail.text == "1 fail / 2" and "1 pass" in fail.title
    assert m.loc["aes-256-cbc", "tun44"].status is Status.PASS  # a skip does not hide a pass


def test_suite_summary_failing_tests_and_requirements(make_offline_record):
    rec = conformance_record(make_offline_record)
    frame = status_frame(rec)
    s = suite_summary(frame).set_index(["suite", "area"])
    assert s.loc[("conformance", "algorithms"), ["passed", "warn", "total"]].tolist() == [3, 1, 4]
    assert s.loc[("conformance", "forwarding"), ["failed", "xfail"]].tolist() == [1, 1]
    assert s.loc[("negative", "replay"), "skipped"] == 1
    assert s.loc[("total", ""), "total"] == len(rec.verdicts) == 7
    bad = failing_tests(frame)
    assert bad.test.tolist() == ["forwarding::test_forwarding[tun66-aes-256-cbc]"]
    assert bad.reason[0] == "AssertionError: TTL wrong | second line"
    uses = {u.id: u for u in requirement_uses(rec)}
    assert uses["A6"].status is Status.FAIL and uses["A6"].level == "MUST" and uses["A6"].source == "RFC 4301"
    assert (uses["A6"].failed_tests, uses["A6"].xfail_tests, uses["A6"].findings) == (1, 1, 3)
    assert uses["SG-L2"].status is Status.WARN and uses["SG-L2"].level == "SECGW"


def test_reason_without_assertion_lines():
    assert reason("\n  boom  \nmore") == "boom"
    assert reason("") == ""
    assert len(reason("E " + "x" * 500)) == 240


# findings ------------------------------------------------------------------------------------

def test_identical_findings_are_grouped_with_counts():
    frames = [("t1", False, finding(packet=f"port 1, frame #{i}")) for i in range(40)]
    seq = [("t2", False, finding("FAIL", "E3", "esp.seq", f"frame #{i}", str(i + 1), str(i + 2))) for i in range(5)]
    other = [("t3", False, finding("INFO", "E14", "tfc")), ("t1", False, finding("WARN", "SG-L2", "eth.src"))]
    groups = group_findings([*other, *frames, *seq])
    assert [(g.severity, g.requirement, g.count) for g in groups] == [
        ("FAIL", "A6", 40), ("FAIL", "E3", 5), ("WARN", "SG-L2", 1), ("INFO", "E14", 1)]
    a6, e3 = groups[0], groups[1]
    assert len(a6.examples) == 3 and a6.examples[0].packet == "port 1, frame #0" and a6.tests == ("t1",)
    assert e3.expected_values == ("1", "2", "3", "4", "5") and e3.distinct_observed == 5
    assert value_pattern("02:00:00:00:d0:00") == value_pattern("02:00:00:00:00:01") != value_pattern("not received")


def test_different_values_of_a_field_stay_apart_when_the_pattern_differs():
    groups = group_findings([("t", False, finding(obs="255")), ("t", False, finding(obs="not received"))])
    assert len(groups) == 2


def test_record_findings_marks_expected_failures(make_offline_record):
    groups = record_findings(conformance_record(make_offline_record))
    a6 = next(g for g in groups if g.requirement == "A6")
    assert a6.count == 3 and len(a6.tests) == 2 and not a6.expected_failure
    page = findings_section(conformance_record(make_offline_record))
    assert page.count("<b>A6</b>") == 1 and "× 3 in 2 tests" in page


def test_findings_render_fail_before_warn_and_hex_in_details(make_offline_record):
    rec = conformance_record(make_offline_record)
    diff = finding(sev="INFO", req="E14", field="tfc")
    rec = replace(rec, verdicts=rec.verdicts + (
        Verdict("t::x", "x", Outcome.PASSED, (), 0.0, (replace(diff, hexdiff="0000 <<ab>>"),)),))
    section = findings_section(rec)
    assert section.index(">FAIL<") < section.index(">WARN<") < section.index(">INFO<")
    assert re.search(r"<details><summary>hex diff[^<]*</summary><pre>0000 &lt;&lt;ab&gt;&gt;</pre></details>", section)


# per-metric tolerance ------------------------------------------------------------------------

def test_report_command_per_metric_tolerance_agrees_with_compare(tmp_path, make_offline_record, capsys):
    res = tmp_path / "res"
    save_run(make_offline_record("base", day=1), res)
    save_run(make_offline_record("cur", scale=0.8, day=2), res)  # rates -20 %, latency +25 %
    loose = {"latency_p50_ns": 30.0, "latency_p99_ns": 30.0, "cpu_ns_per_packet": 30.0}
    assert report_command(res, "base", tolerance_pct=21) == 1  # latency and CPU time +25 %
    assert "REGRESSED" in capsys.readouterr().out
    assert report_command(res, "base", tolerance_pct=21, per_metric_tolerance_pct=loose) == 0
    page = (res / "report.html").read_text()
    assert "latency_p50_ns 30 %" in page and "no regression" in page
    nightly_view = compare(make_offline_record("cur", scale=0.8, day=2), baseline_from_run(
        make_offline_record("base", day=1)), 21, loose)
    assert not nightly_view.regressed
    strict = compare(make_offline_record("cur", scale=0.8, day=2), baseline_from_run(
        make_offline_record("base", day=1)), 21)
    assert {r.name for r in strict.by_status(CStatus.REGRESSED)} == {"latency_p50_ns", "latency_p99_ns",
                                                                       "cpu_ns_per_packet"}
    assert {r.tolerance_pct for r in nightly_view.rows if r.name == "latency_p99_ns"} == {30.0}


def test_report_cli_metric_tolerance_option(tmp_path):
    parser = argparse.ArgumentParser()
    add_subparsers(parser.add_subparsers(dest="command", required=True))
    ns = parser.parse_args(["report", str(tmp_path), "--metric-tolerance", "latency_p99_ns=400",
                            "--metric-tolerance", "latency_max_ns=1000"])
    assert dict(ns.metric_tolerance) == {"latency_p99_ns": 400.0, "latency_max_ns": 1000.0}
    with pytest.raises(SystemExit):
        parser.parse_args(["report", str(tmp_path), "--metric-tolerance", "latency_p99_ns"])


def test_negative_per_metric_tolerance_is_refused(make_record):
    with pytest.raises(ValueError, match="latency_p99_ns"):
        compare(make_record(), baseline_from_run(make_record("b")), 5, {"latency_p99_ns": -1})


# summary and trend ---------------------------------------------------------------------------

def banner(record, comparison=None) -> str:
    return summary_section(record, metrics_frame([record]), comparison)


def test_summary_banner(make_offline_record, make_record):
    ok = banner(make_offline_record())
    assert 'class="verdict">PASS<' in ok and "gateway_ref [reference-offline]" in ok
    assert "90 kpps at 64b aes-128-gcm inline-crypto-offload encrypt" in ok  # headline throughput
    assert "offline processing time" in ok and "no baseline chosen" in ok
    failed = banner(conformance_record(make_offline_record))
    assert 'class="verdict">FAIL<' in failed and "1 test failed" in failed and "secgw-library" in failed
    cur = make_record("c", scale=0.5)
    regressed = banner(cur, compare(cur, baseline_from_run(make_record("b"))))
    assert "performance regressed" in regressed and re.search(r"\d+ regressed", regressed)


def test_trend_title_is_short_and_caption_full(make_offline_record):
    m = make_offline_record().metrics[0]
    frame = pd.DataFrame({"created_utc": pd.to_datetime(["2025-01-01", "2025-01-02"], utc=True), "value": [1.0, 2.0]})
    t = Trend(m.name, m.params, m.unit, frame)
    assert t.title == "capacity_pps · 64b aes-128-gcm no-offload encrypt"
    assert "clear_frame_bytes=64" in t.caption and "encrypted_frame_bytes=118" in t.caption
    assert f"<figcaption>{t.caption}</figcaption>" in trend_section([t])
    assert "Not enough history" in trend_section([Trend(m.name, m.params, m.unit, frame[:1])])
