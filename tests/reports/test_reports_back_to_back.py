"""Back-to-back (RFC 2544 §26.4) in reports: a table and bars per point in the HTML report,
"search bound" when the search's maximum passed, and ``b2b_frames`` compared as
higher-is-better. Metrics come from ``harness.perf.back_to_back.back_to_back_metrics`` over
searches against a synthetic DUT with a known buffer."""
from __future__ import annotations

import dataclasses
import random

from harness.measure.burst import BurstParams, back_to_back
from harness.measure.esp_size import EspLayout, EspMode
from harness.measure.sweep import CryptoDirection, SweepPoint
from harness.measure.synthetic import SyntheticDut
from harness.perf.back_to_back import back_to_back_metrics
from harness.results.frame import metrics_frame
from harness.results.record import Direction
from reports import plots
from reports.compare import Status, baseline_from_run, compare
from reports.html_report import render_html
from reports.tables import back_to_back_table

PNG = b"\x89PNG\r\n\x1a\n"
PARAMS = BurstParams(100, 5_000, precision_frames=1)
LAYOUT = EspLayout(8, 16, 4, EspMode.TUNNEL4)
BUFFERS = {(64, 1, CryptoDirection.ENCRYPT): 777, (64, 1000, CryptoDirection.DECRYPT): 1234,
           (1518, 1, CryptoDirection.ENCRYPT): 9_999}  # 9 999 > max_frames: the bound is the limit


def b2b_metrics(scale: float = 1.0):
    out = []
    for (frame, tunnels, direction), buffer in BUFFERS.items():
        point = SweepPoint(frame, "aes-128-gcm", LAYOUT, tunnels, direction, "no-offload")
        dut = SyntheticDut(1e6, random.Random(1), buffer_frames=int(buffer * scale))
        out += back_to_back_metrics(point, back_to_back(dut.send_burst, PARAMS, repetitions=2), PARAMS)
    return tuple(out)


def with_b2b(record, scale: float = 1.0):
    return dataclasses.replace(record, metrics=record.metrics + b2b_metrics(scale))


def test_table_has_a_row_per_point_in_frame_size_order(make_record):
    table = back_to_back_table(metrics_frame([with_b2b(make_record())]))
    assert list(table.frame_size) == ["64b", "64b", "1518b"]
    assert list(table["back-to-back frames"]) == [777, 1234, 5_000]
    assert list(table["limited by"]) == ["DUT", "DUT", "search bound"]
    assert set(table.tunnels) == {1, 1000} and set(table["max"]) == {5_000} and set(table.repetitions) == {2}
    assert back_to_back_table(metrics_frame([make_record()])).empty


def test_html_shows_the_table_and_bars(make_record):
    record = with_b2b(make_record())
    page = render_html(record)
    perf = page[page.index('id="performance"'):page.index('id="comparison"')]
    assert "Back-to-back frames" in perf and "search bound" in perf
    assert "1,234" in perf or "1234" in perf
    assert 'alt="back-to-back frames"' in perf
    assert "Back-to-back" not in render_html(make_record())
    assert plots.back_to_back_bars(back_to_back_table(metrics_frame([record]))).startswith(PNG)


def test_b2b_frames_is_compared_higher_is_better(make_record):
    base = with_b2b(make_record("b"))
    worse, better = with_b2b(make_record("w"), scale=0.5), with_b2b(make_record("g"), scale=1.5)
    rows = {r.params: r for r in compare(worse, baseline_from_run(base), 10.0).rows if r.name == "b2b_frames"}
    assert len(rows) == len(BUFFERS) and all(r.direction is Direction.HIGHER_IS_BETTER for r in rows.values())
    by_tunnels = {dict(p)["tunnels"]: r for p, r in rows.items() if dict(p)["frame_size"] == "64b"}
    assert by_tunnels[1].status is Status.REGRESSED and by_tunnels[1000].status is Status.REGRESSED
    capped = [r for p, r in rows.items() if dict(p)["frame_size"] == "1518b"]
    assert capped[0].status is Status.UNCHANGED  # 9 999 / 2 still passes the 5 000 bound
    improved = [r for r in compare(better, baseline_from_run(base), 10.0).rows if r.name == "b2b_frames"]
    assert sorted(r.status.value for r in improved) == ["improved", "improved", "unchanged"]
