"""One self-contained HTML file per report: inline CSS, images as base64 data URIs, no
external assets, so it opens from disk or as a CI artifact.

Sections (element ids), in reading order: ``summary`` (a verdict banner and the headline
numbers a person takes in at a glance), ``conformance`` (failing tests, per-suite counts,
algorithm x layout matrix, requirements cited), ``findings`` (grouped), ``performance``
(tables and plots, incl. RFC 2544 §26.4 back-to-back bursts for a live run), ``comparison`` (against a baseline, per-metric tolerance), ``trend``
(nightly history), ``details`` (run provenance).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from harness.results.frame import metrics_frame
from harness.results.record import Params, RunRecord
from reports import plots
from reports.compare import Comparison, Status
from reports.conformance import Status as VStatus
from reports.conformance import status_frame
from reports.html_conformance import conformance_section, findings_section
from reports.html_parts import details, duration_ns, esc, figure, number, rate, table
from reports.tables import (ThroughputBasis, back_to_back_table, comparison_table, metric_table, peak, plain,
                            point_summary, throughput_basis, throughput_grid, throughput_table)

CSS = """body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1240px;padding:0 1em;color:#222}
h1{font-size:1.3em;margin:.2em 0}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.05em;margin:1.2em 0 .4em}table{border-collapse:collapse;font-size:12px;margin:.3em 0}
td,th{border:1px solid #d4d4d4;padding:2px 7px;text-align:left}td{font-variant-numeric:tabular-nums}
thead th{background:#f2f2f2}table.dataframe td{text-align:right}table.comparison td:nth-child(-n+4){text-align:left}
.side{display:flex;flex-wrap:wrap;gap:2.5em;align-items:flex-start}.side .legend{max-width:36em}
td.c{text-align:center;min-width:3.2em}.c.pass{background:#d6f5d6}.c.warn{background:#ffe9b3}
.c.fail{background:#f9c0c0;font-weight:bold}.c.error{background:#e88;font-weight:bold}.c.xfail{background:#e6dcf5}
.c.skip{background:#eee;color:#666}.c.none{background:#fafafa}span.c{padding:0 .4em;border-radius:3px}
table.matrix th.rowhead{font-weight:normal;white-space:nowrap}
.banner{display:flex;gap:1.5em;align-items:center;padding:.8em 1.2em;border-radius:8px;margin:.6em 0}
.banner.pass{background:#e3f7e3;border:2px solid #3a3}.banner.fail{background:#fde3e3;border:2px solid #c33}
.verdict{font-size:2.2em;font-weight:bold}.banner.pass .verdict{color:#282}.banner.fail .verdict{color:#b22}
.facts{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;font-size:14px}.facts b{color:#555}
.counts span{margin-right:.8em}.finding{border-left:4px solid #ccc;padding:.1em .8em;margin:.6em 0}
.finding.fail{border-color:#c33}.finding.warn{border-color:#e9a400}.finding p{margin:.3em 0}
.finding ul{margin:.2em 0;font-size:12px}.sev{font-weight:bold;padding:0 .3em;border-radius:3px}
.sev.fail{background:#f9c0c0}.sev.warn{background:#ffe9b3}.sev.info{background:#dde8f7}
pre{background:#f6f6f6;padding:6px;overflow-x:auto;font-size:12px}.warn-text{color:#a60}.dim{color:#777;font-size:12px}
.regressed{background:#f9c0c0}.improved{background:#d6f5d6}img{max-width:100%}figure{margin:.8em 0}
figcaption{font-size:12px;color:#666}details{margin:.4em 0}summary{cursor:pointer;color:#246}
.legend{font-size:12px;color:#444}.trends{display:flex;flex-wrap:wrap;gap:1em}.trends figure{width:48%}"""


@dataclass(frozen=True)
class Trend:
    """A metric's history: its name, the parameters of the series, unit, ``History.trend`` frame."""

    metric: str
    params: Params
    unit: str
    frame: pd.DataFrame

    @property
    def title(self) -> str:
        """Short: the metric and the parameter values (no names), e.g. ``capacity_pps · 64b ...``."""
        compact = point_summary(pd.Series(dict(self.params)))
        return f"{self.metric} · {compact}" if compact else self.metric

    @property
    def caption(self) -> str:
        return ", ".join(f"{k}={plain(v)}" for k, v in self.params)


def _profiles(record: RunRecord) -> str:
    names = dict.fromkeys([str(v) for k, v in record.params if k == "profile"]
                          + [str(dict(v.params)["profile"]) for v in record.verdicts if "profile" in dict(v.params)])
    return ", ".join(names) or "-"


def _headline_perf(metrics: pd.DataFrame) -> list[tuple[str, str]]:
    basis = throughput_basis(metrics)
    out = []
    if basis is not None:
        best = peak(metrics, basis.pps_metric)
        gbps = peak(metrics, basis.gbps_metric)
        text = f"{rate(best.value)} at {point_summary(best)}" if best is not None else ""
        if gbps is not None:
            text += f"; {gbps.value:.3g} Gbit/s L1 at {point_summary(gbps)}"
        out.append(("throughput", f"{text} — {basis.label}"))
    p50, p99 = metrics[metrics.metric == "latency_p50_ns"], peak(metrics, "latency_p99_ns")
    if not p50.empty and p99 is not None:
        offline = "latency_kind" in metrics.columns and (metrics.latency_kind == "offline-processing").any()
        out.append(("latency", ("offline processing time: " if offline else "") + f"p50 {duration_ns(p50.value.median())} (median of {len(p50)} points); "
                    f"worst p99 {duration_ns(p99.value)} at {point_summary(p99)}"))
    return out


def _headline_regressions(comparison: Comparison | None) -> str:
    if comparison is None:
        return "no baseline chosen"
    n = {s: len(comparison.by_status(s)) for s in Status}
    return (f"{n[Status.REGRESSED]} regressed, {n[Status.IMPROVED]} improved, {n[Status.UNCHANGED]} unchanged "
            f"of {len(comparison.rows)} vs {comparison.baseline_label}")


def summary_section(record: RunRecord, metrics: pd.DataFrame, comparison: Comparison | None) -> str:
    statuses = status_frame(record).status.value_counts().to_dict()
    bad = statuses.get(VStatus.FAIL.value, 0) + statuses.get(VStatus.ERROR.value, 0)
    regressed = comparison is not None and comparison.regressed
    verdict = "FAIL" if bad or regressed else "PASS"
    counts = " ".join(f'<span class="c {s.value}">{statuses[s.value]} {s.value}</span>'
                      for s in VStatus if statuses.get(s.value)) or "no conformance tests"
    facts = [("DUT", f"{record.dut.name} [{record.dut.kind}] {record.dut.version}".strip()),
             ("profile", _profiles(record)), ("plan", dict(record.params).get("plan", "-"))]
    rows = "".join(f"<b>{esc(k)}</b><span>{esc(v)}</span>" for k, v in facts)
    rows += f'<b>tests</b><span class="counts">{counts}</span>'
    rows += "".join(f"<b>{esc(k)}</b><span>{esc(v)}</span>" for k, v in _headline_perf(metrics))
    reg_cls = ' class="c fail"' if regressed else ""
    rows += f"<b>regressions</b><span{reg_cls}>{esc(_headline_regressions(comparison))}</span>"
    why = []
    if bad:
        why.append(f"{bad} test{'s' if bad > 1 else ''} failed")
    if regressed:
        why.append("performance regressed")
    return (f'<section id="summary"><div class="banner {verdict.lower()}"><div class="verdict">{verdict}</div>'
            f'<div class="facts">{rows}</div></div>'
            + (f"<p><b>Why:</b> {esc('; '.join(why))}.</p>" if why else "") + "</section>")


def details_section(record: RunRecord) -> str:
    items = {
        "run": record.run_id, "time (UTC)": record.created_utc.isoformat(),
        "tool": f"{record.tool.name} {record.tool.version} {record.tool.commit[:12]}"
                + (" (dirty checkout)" if record.tool.dirty else ""),
        "cfg sha256": record.dut.cfg_sha256 or "-",
        "machine": f"{record.machine.hostname}: {record.machine.cpu_model}, {record.machine.cores} cores, "
                   f"kernel {record.machine.kernel}, {record.machine.platform}, Python {record.machine.python}",
        "parameters": ", ".join(f"{k}={v}" for k, v in record.params) or "-",
    }
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in items.items())
    return f'<section id="details"><h2>Run details</h2><table>{rows}</table></section>'


OFFLINE_NOTE = ("<p class=\"dim\">Offline: the reference gateway processes each trial's frames in this "
                "process; capacity is frames per CPU second of that work, not a rate on a wire, and "
                "latency is per-packet processing time. A live DUT gets NDR/PDR from an RFC 2544 search.</p>")


def performance_section(record: RunRecord, metrics: pd.DataFrame, link_l1_bps: float | None) -> str:
    head = '<section id="performance"><h2>Performance</h2>'
    basis = throughput_basis(metrics)
    if metrics.empty:
        return head + "<p>No performance metrics in this run.</p></section>"
    parts = [head]
    if basis is not None:
        parts += [f"<h3>Throughput: {esc(basis.label)}</h3>", OFFLINE_NOTE if basis is ThroughputBasis.CAPACITY else "",
                  f"<p>{esc(basis.pps_metric)}, packets per second, per SA type:</p>",
                  table(throughput_grid(metrics, basis.pps_metric), index=True),
                  details("all throughput figures per point", table(throughput_table(metrics)))]
        if "clear_frame_bytes" in metrics.columns:
            parts.append(figure(plots.throughput_vs_frame_size(metrics, link_l1_bps, basis), "throughput vs frame size"))
    parts.append(back_to_back_part(metrics))
    lat = [h for h in record.histograms if h.name == "latency" and sum(h.counts) > 0]
    if lat:
        parts += ["<h3>Latency</h3>", figure(plots.latency_cdf(lat), "latency CDF"),
                  details("histogram of one point", figure(plots.latency_histogram(lat[0]), "latency histogram"))]
    if "sa_type" in metrics.columns and metrics.sa_type.nunique() > 1:
        parts += ["<h3>Crypto placement (lookaside vs CPU vs inline)</h3>",
                  figure(plots.placement_bars(metrics), "lookaside vs inline")]
    replay = metric_table(metrics, "replay_wrong_drop_ratio", "replay_window", ["reorder_depth"])
    if not replay.empty:
        model = metric_table(metrics, "replay_model_drop_ratio", "replay_window", ["reorder_depth"])
        parts += ["<h3>Anti-replay under reordering</h3>",
                  "<p>Share of legitimate, merely reordered packets the DUT dropped as replays, by window "
                  "(rows) and reorder depth (columns):</p>", table(replay, index=True),
                  "<p>The same share predicted by the RFC 4303 §3.4.3 window model; a DUT that follows the "
                  "RFC matches it:</p>", table(model, index=True)]
    return "".join(parts) + "</section>"


B2B_NOTE = ("<p>RFC 2544 §26.4: the longest burst sent back to back at the tester's maximum rate that the "
            "DUT forwarded without loss, by a binary search between min and max frames, averaged over the "
            "searches. <b>search bound</b>: the longest burst tried passed, so the DUT may buffer more.</p>")


def back_to_back_part(metrics: pd.DataFrame) -> str:
    """The back-to-back table and bars; empty when the run has no ``b2b_frames``."""
    b2b = back_to_back_table(metrics)
    if b2b.empty:
        return ""
    return ("<h3>Back-to-back frames</h3>" + B2B_NOTE + table(b2b)
            + figure(plots.back_to_back_bars(b2b), "back-to-back frames"))


def comparison_section(comparison: Comparison | None) -> str:
    if comparison is None:
        return '<section id="comparison"><h2>Comparison</h2><p>No baseline chosen.</p></section>'
    warn = "".join(f'<p class="warn-text">warning: {esc(w)}</p>' for w in comparison.warnings)
    tol = f"tolerance {number(comparison.tolerance_pct)} %"
    if comparison.per_metric_tolerance_pct:
        tol += " (per metric: " + ", ".join(f"{k} {number(v)} %" for k, v in comparison.per_metric_tolerance_pct) + ")"
    tbl = comparison_table(comparison).drop(columns=["params"]).sort_values(["metric", "point"])
    regressed, improved = tbl[tbl.status == "regressed"], tbl[tbl.status == "improved"]
    rest = tbl[~tbl.status.isin(["regressed", "improved"])]
    verdict = "REGRESSED" if comparison.regressed else "no regression"
    return (f'<section id="comparison"><h2>Comparison</h2><p>Against {esc(comparison.baseline_label)}, {esc(tol)}: '
            f"<b>{verdict}</b></p>{warn}<h3>Regressed beyond tolerance ({len(regressed)})</h3>"
            + (_per_metric(regressed, tbl) + details(f"the {len(regressed)} regressed points",
                                                     _status_table(regressed), open_=len(regressed) <= 15)
               if not regressed.empty else "<p>None.</p>")
            + details(f"improved beyond tolerance ({len(improved)})", _status_table(improved))
            + details(f"unchanged, new or missing ({len(rest)})", _status_table(rest)) + "</section>")


def _per_metric(changed: pd.DataFrame, all_rows: pd.DataFrame) -> str:
    """One line per metric: how many of its points changed and by how much (median, worst)."""
    per = changed.groupby("metric").change_pct.agg(["count", "median", lambda c: c.loc[c.abs().idxmax()]])
    per.columns = ["points", "median change %", "largest change %"]
    per.insert(1, "of", all_rows.groupby("metric").size().reindex(per.index))
    return table(per.reset_index())


def _status_table(df: pd.DataFrame) -> str:
    out = table(df, classes="comparison")
    for status in ("regressed", "improved"):
        out = out.replace(f"<td>{status}</td>", f'<td class="{status}">{status}</td>')
    return out


def trend_section(trends: Sequence[Trend]) -> str:
    figs = [figure(plots.trend(t.frame, t.title, t.unit), f"trend {t.metric}", t.caption)
            for t in trends if len(t.frame) > 1]
    body = f'<div class="trends">{"".join(figs)}</div>' if figs else "<p>Not enough history yet (one run).</p>"
    return f'<section id="trend"><h2>Trend</h2>{body}</section>'


def render_html(record: RunRecord, comparison: Comparison | None = None, trends: Sequence[Trend] = (),
                link_l1_bps: float | None = None) -> str:
    metrics = metrics_frame([record])
    body = [
        summary_section(record, metrics, comparison),
        conformance_section(record),
        findings_section(record),
        performance_section(record, metrics, link_l1_bps),
        comparison_section(comparison),
        trend_section(trends),
        details_section(record),
    ]
    title = f"IPsec harness report {record.run_id}"
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{esc(title)}</title><style>{CSS}</style>"
            f"</head><body><h1>{esc(title)}</h1>{''.join(body)}</body></html>")
