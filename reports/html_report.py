"""One self-contained HTML file per report: inline CSS, images as base64 data URIs, no
external assets, so it opens from disk or as a CI artifact.

Sections (element ids): ``summary``, ``conformance`` (matrix, pass/fail per cell),
``findings`` (with hex diffs in <pre>), ``performance`` (tables and plots), ``comparison``
(against a baseline, with warnings), ``trend`` (nightly history).
"""
from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import pandas as pd

from harness.results.frame import metrics_frame, verdicts_frame
from harness.results.record import RunRecord
from reports import plots
from reports.compare import Comparison
from reports.tables import comparison_table, conformance_matrix, run_summary, throughput_table

CSS = """body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ccc;padding:2px 6px}td.pass{background:#cfc}td.FAIL,td.ERROR{background:#fcc}
td.skip{background:#eee}pre{background:#f6f6f6;padding:6px;overflow-x:auto}.warn{color:#a60}
.regressed{background:#fcc}.improved{background:#cfc}img{max-width:100%}"""

Trend = tuple[str, str, pd.DataFrame]  # metric, unit, History.trend() frame


def img(png: bytes, alt: str, mime: str = "image/png") -> str:
    return f'<img alt="{html.escape(alt)}" src="data:{mime};base64,{base64.b64encode(png).decode()}">'


def _table(df: pd.DataFrame, cell_class: bool = False) -> str:
    if df.empty:
        return "<p>No data.</p>"
    if not cell_class:
        return df.to_html(float_format=lambda v: f"{v:,.4g}", na_rep="")
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for idx, row in df.iterrows():
        name = " / ".join(map(str, idx)) if isinstance(idx, tuple) else str(idx)
        cells = "".join(f'<td class="{html.escape(str(v))}">{html.escape(str(v))}</td>' for v in row)
        body.append(f"<tr><th>{html.escape(name)}</th>{cells}</tr>")
    return f"<table><tr><th></th>{head}</tr>{''.join(body)}</table>"


def _summary(record: RunRecord, counts: dict[str, int]) -> str:
    items = {
        "run": record.run_id, "time (UTC)": record.created_utc.isoformat(),
        "tool": f"{record.tool.name} {record.tool.version} {record.tool.commit[:12]}"
                + (" (dirty)" if record.tool.dirty else ""),
        "DUT": f"{record.dut.name} [{record.dut.kind}] {record.dut.version}",
        "cfg sha256": record.dut.cfg_sha256 or "-",
        "machine": f"{record.machine.hostname}: {record.machine.cpu_model}, {record.machine.cores} cores, "
                   f"kernel {record.machine.kernel}, {record.machine.platform}",
        "parameters": ", ".join(f"{k}={v}" for k, v in record.params) or "-",
        "tests": ", ".join(f"{k} {v}" for k, v in counts.items()),
    }
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in items.items())
    return f'<section id="summary"><h2>Summary</h2><table>{rows}</table></section>'


def _findings(record: RunRecord) -> str:
    parts = []
    for v in record.verdicts:
        for f in v.findings:
            parts.append(
                f"<h3>{html.escape(v.test_id)}: {html.escape(f.severity)} {html.escape(f.requirement)} "
                f"{html.escape(f.field)}</h3><p>{html.escape(f.packet)}: expected "
                f"<code>{html.escape(f.expected)}</code>, observed <code>{html.escape(f.observed)}</code>"
                f" {html.escape(f.detail)}</p>" + (f"<pre>{html.escape(f.hexdiff)}</pre>" if f.hexdiff else ""))
    return '<section id="findings"><h2>Findings</h2>' + ("".join(parts) or "<p>No findings.</p>") + "</section>"


def _performance(record: RunRecord, metrics: pd.DataFrame, link_l1_bps: float | None) -> str:
    parts = ['<section id="performance"><h2>Performance</h2>']
    if metrics.empty:
        return parts[0] + "<p>No performance metrics in this run.</p></section>"
    parts.append(_table(throughput_table(metrics)))
    if "clear_frame_bytes" in metrics.columns:
        parts.append(img(plots.throughput_vs_frame_size(metrics, link_l1_bps), "throughput vs frame size"))
    lat = [h for h in record.histograms if h.name == "latency"]
    if lat:
        parts.append(img(plots.latency_cdf(lat), "latency CDF"))
        parts.append(img(plots.latency_histogram(lat[-1]), "latency histogram"))
    if "sa_type" in metrics.columns and metrics.sa_type.nunique() > 1:
        parts.append("<h3>Crypto placement (lookaside vs inline)</h3>")
        parts.append(img(plots.placement_bars(metrics), "lookaside vs inline"))
    return "".join(parts) + "</section>"


def _comparison(comparison: Comparison | None) -> str:
    if comparison is None:
        return '<section id="comparison"><h2>Comparison</h2><p>No baseline chosen.</p></section>'
    warn = "".join(f'<p class="warn">warning: {html.escape(w)}</p>' for w in comparison.warnings)
    table = comparison_table(comparison)
    styled = table.to_html(float_format=lambda v: f"{v:,.4g}", na_rep="", index=False)
    for status in ("regressed", "improved"):
        styled = styled.replace(f"<td>{status}</td>", f'<td class="{status}">{status}</td>')
    verdict = "REGRESSED" if comparison.regressed else "no regression"
    return (f'<section id="comparison"><h2>Comparison</h2><p>Against {html.escape(comparison.baseline_label)}, '
            f"tolerance {comparison.tolerance_pct} %: <b>{verdict}</b></p>{warn}{styled}</section>")


def _trend(trends: Sequence[Trend]) -> str:
    imgs = "".join(img(plots.trend(df, m, u), f"trend {m}") for m, u, df in trends if len(df))
    return f'<section id="trend"><h2>Trend</h2>{imgs or "<p>No history.</p>"}</section>'


def render_html(record: RunRecord, comparison: Comparison | None = None, trends: Sequence[Trend] = (),
                link_l1_bps: float | None = None) -> str:
    metrics, verdicts = metrics_frame([record]), verdicts_frame([record])
    body = [
        _summary(record, run_summary(metrics, verdicts)),
        '<section id="conformance"><h2>Conformance</h2>' + _table(conformance_matrix(verdicts), cell_class=True)
        + "</section>",
        _findings(record),
        _performance(record, metrics, link_l1_bps),
        _comparison(comparison),
        _trend(trends),
    ]
    title = html.escape(f"IPsec harness report {record.run_id}")
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title><style>{CSS}</style>"
            f"</head><body><h1>{title}</h1>{''.join(body)}</body></html>")
