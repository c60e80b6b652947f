import argparse
import base64
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser

from harness.results.frame import metrics_frame
from harness.results.store import save_run
from reports import plots
from reports.cli import add_subparsers, compare_command, report_command
from reports.compare import baseline_from_run, compare
from reports.html_report import render_html
from reports.junit import junit_xml
from reports.conformance import conformance_matrix, status_frame
from reports.tables import throughput_table

PNG = b"\x89PNG\r\n\x1a\n"


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.imgs, self.links, self.pres, self.cells = set(), [], [], [], []
        self._pre = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.imgs.append(a["src"])
        if tag in ("link", "script") or (tag == "a" and "href" in a):
            self.links.append(a)
        if tag == "td" and "class" in a:
            self.cells.append(a["class"])
        self._pre = tag == "pre"  # the hex diff: <details><summary>..</summary><pre>

    def handle_data(self, data):
        if self._pre:
            self.pres.append(data)
            self._pre = False


def test_tables(make_record):
    rec = make_record()
    m = conformance_matrix(status_frame(rec))
    assert m.loc["aes-128-gcm", "tun44"].status.value == "pass"
    assert m.loc["aes-128-gcm", "tun66"].status.value == "fail"
    assert m.loc["aes-128-gcm", "trs4"].status.value == "error"
    assert m.loc["aes-256-cbc", "tun44"].status.value == "skip"
    t = throughput_table(metrics_frame([rec]))
    assert len(t) == 6 and list(t.clear_frame_bytes) == sorted(t.clear_frame_bytes)
    assert {"ndr_pps", "pdr_pps"} <= set(t.columns)


def test_html_is_single_self_contained_file(make_record):
    base, cur = make_record("b"), make_record("c", scale=0.5)
    page = render_html(cur, compare(cur, baseline_from_run(base)), link_l1_bps=10e9)
    p = Collector()
    p.feed(page)
    assert {"summary", "conformance", "findings", "performance", "comparison", "trend", "details"} <= p.ids
    assert p.links == []
    assert len(p.imgs) >= 4
    for src in p.imgs:
        head, data = src.split(",", 1)
        assert head == "data:image/png;base64" and base64.b64decode(data).startswith(PNG)
    assert any("<<ff>>" in pre for pre in p.pres)
    assert {"c pass", "c fail", "c skip", "c error"} <= set(p.cells)
    assert "REGRESSED" in page


def test_junit_counts(make_record):
    base, cur = make_record("b"), make_record("c", scale=0.5)
    comparison = compare(cur, baseline_from_run(base))
    root = ET.fromstring(junit_xml(cur, comparison))
    conf, perf = root.findall("testsuite")
    assert (conf.get("tests"), conf.get("failures"), conf.get("errors"), conf.get("skipped")) == ("4", "1", "1", "1")
    assert len(conf.findall("testcase")) == 4
    assert "<<ff>>" in conf.find("testcase/failure").text
    n_reg = sum(r.status.value == "regressed" for r in comparison.rows)
    assert n_reg > 0 and int(perf.get("failures")) == n_reg == len(perf.findall("testcase/failure"))
    assert int(root.get("tests")) == 4 + len(comparison.rows)


def test_cli_report_and_compare(tmp_path, make_record, capsys):
    res = tmp_path / "res"
    for i in (1, 2, 3):
        save_run(make_record(f"r{i}", day=i), res)
    out = tmp_path / "o" / "r.html"
    assert report_command(res, baseline="median:2", out=out) == 0
    assert out.stat().st_size > 10_000 and out.with_suffix(".junit.xml").is_file()
    save_run(make_record("r4", scale=0.5, day=4), res)
    assert report_command(res, baseline="r1") == 1
    assert (res / "report.html").is_file()
    assert report_command(tmp_path / "nothing") == 2
    assert report_command(res, baseline="median:x") == 2
    assert report_command(res, baseline="no-such-run") == 2
    runs = res / "runs"
    assert compare_command(runs / "r1.json", runs / "r2.json") == 0
    assert compare_command(runs / "r1.json", res) == 1  # res's newest run is r4
    # Throughput up, nothing else changed: not a regression.
    r1 = make_record("r1", day=1)
    up = replace(r1, run_id="up", metrics=tuple(
        replace(m, value=m.value * 1.5) if m.unit == "pps" else m for m in r1.metrics))
    save_run(up, tmp_path / "up")
    assert compare_command(runs / "r1.json", tmp_path / "up") == 0
    assert compare_command(tmp_path / "up", runs / "r1.json") == 1
    bad = tmp_path / "bad.json"
    bad.write_text("[1]")
    assert compare_command(bad, runs / "r1.json") == 2
    assert "bad.json" in capsys.readouterr().err


def test_add_subparsers(tmp_path):
    parser = argparse.ArgumentParser(prog="ipsec-harness")
    add_subparsers(parser.add_subparsers(dest="command", required=True))
    ns = parser.parse_args(["report", str(tmp_path), "--baseline", "median:5"])
    assert ns.baseline == "median:5" and callable(ns.handler)
    assert ns.handler(ns) == 2  # empty directory: bad input, not a traceback
    ns = parser.parse_args(["compare", "a.json", "b.json", "--tolerance", "2"])
    assert ns.tolerance == 2.0
