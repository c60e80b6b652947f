"""``ipsec-harness report`` and ``ipsec-harness compare`` as plain functions plus a helper that
mounts them on the main CLI's argparse subparsers.

Exit codes: 0 fine, 1 a metric regressed against the baseline, 2 bad input (message on stderr,
naming the file and reason; never a traceback).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from harness.results.history import History
from harness.results.record import RecordError, RunRecord
from harness.results.store import HISTORY_FILE, find_run, load_run, load_runs
from reports.compare import Baseline, Comparison, baseline_from_median, baseline_from_run, compare
from reports.html_report import Trend, render_html
from reports.junit import junit_xml
from reports.tables import comparison_table

EXIT_OK, EXIT_REGRESSED, EXIT_BAD_INPUT = 0, 1, 2
TREND_METRICS = ("pdr_pps", "ndr_pps", "capacity_pps", "latency_p50_ns", "latency_p99_ns")


def _median_n(spec: str) -> int:
    try:
        n = int(spec.split(":", 1)[1])
    except ValueError:
        n = 0
    if n < 1:
        raise RecordError(f"baseline {spec!r}: expected median:N with N >= 1")
    return n


def resolve_baseline(results_dir: Path, current: RunRecord, spec: str) -> Baseline:
    """``spec`` is a run id in ``results_dir`` or ``median:N`` (the N newest other runs in the
    history, or in the runs directory when there is no history)."""
    if not spec.startswith("median:"):
        return baseline_from_run(find_run(results_dir, spec))
    n = _median_n(spec)
    db = Path(results_dir) / HISTORY_FILE
    if db.is_file():
        with History(db) as history:
            runs = history.last(n, exclude=current.run_id)
    else:
        runs = [r for r in load_runs(results_dir) if r.run_id != current.run_id][-n:]
    if not runs:
        raise RecordError(f"{results_dir}: no earlier runs for baseline {spec!r}")
    return baseline_from_median(runs)


def _trends(results_dir: Path, current: RunRecord) -> list[Trend]:
    """The history of the first point of each trend metric the current run has."""
    db = Path(results_dir) / HISTORY_FILE
    if not db.is_file():
        return []
    out = []
    with History(db) as history:
        for name in TREND_METRICS:
            first = next((m for m in current.metrics if m.name == name), None)
            if first is not None:
                out.append(Trend(name, first.params, first.unit, history.trend(name, first.params)))
    return out


def report_command(results_dir: Path | str, baseline: str | None = None, out: Path | str | None = None,
                   tolerance_pct: float = 5.0, link_gbps: float | None = None,
                   per_metric_tolerance_pct: Mapping[str, float] | None = None) -> int:
    """Report on the newest run in ``results_dir``: HTML at ``out`` (default
    ``<results_dir>/report.html``) and JUnit XML next to it (``.junit.xml``).

    ``per_metric_tolerance_pct`` (metric name -> %) overrides ``tolerance_pct`` for the metrics
    it names, exactly as the nightly's regression check does, so both agree."""
    results_dir = Path(results_dir)
    try:
        runs = load_runs(results_dir)
        if not runs:
            raise RecordError(f"{results_dir}: no runs stored")
        current = runs[-1]
        comparison = None
        if baseline is not None:
            comparison = compare(current, resolve_baseline(results_dir, current, baseline), tolerance_pct,
                                 per_metric_tolerance_pct)
        html_path = Path(out) if out else results_dir / "report.html"
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(render_html(current, comparison, _trends(results_dir, current),
                                         link_gbps * 1e9 if link_gbps else None))
        html_path.with_suffix(".junit.xml").write_text(junit_xml(current, comparison))
    except (RecordError, OSError, ValueError) as exc:
        print(f"ipsec-harness report: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"report: {html_path}")
    return _print_comparison(comparison) if comparison else EXIT_OK


def _load_side(path: Path) -> RunRecord:
    """A run JSON file, or a results directory (its newest run)."""
    if path.is_dir():
        runs = load_runs(path)
        if not runs:
            raise RecordError(f"{path}: no runs stored")
        return runs[-1]
    return load_run(path)


def _print_comparison(comparison: Comparison) -> int:
    for w in comparison.warnings:
        print(f"warning: {w}", file=sys.stderr)
    table = comparison_table(comparison)
    regressed = table[table.status == "regressed"]
    if not regressed.empty:
        print(regressed[["metric", "point", "unit", "baseline", "current", "change_pct", "tolerance_pct"]]
              .to_string(index=False))
    counts = ", ".join(f"{n} {s}" for s, n in table.status.value_counts().items())
    print(f"{len(comparison.rows)} metrics vs {comparison.baseline_label} ({counts}): "
          + ("REGRESSED" if comparison.regressed else "no regression"))
    return EXIT_REGRESSED if comparison.regressed else EXIT_OK


def compare_command(a: Path | str, b: Path | str, tolerance_pct: float = 5.0) -> int:
    """Compare run ``b`` (current) against run ``a`` (baseline); each is a run JSON file or a
    results directory. Returns 1 when any metric regressed."""
    try:
        base, current = _load_side(Path(a)), _load_side(Path(b))
        comparison = compare(current, baseline_from_run(base), tolerance_pct)
    except (RecordError, OSError, ValueError) as exc:
        print(f"ipsec-harness compare: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _print_comparison(comparison)


def _metric_tolerance(text: str) -> tuple[str, float]:
    name, sep, pct = text.partition("=")
    try:
        value = float(pct)
    except ValueError:
        value = -1.0
    if not sep or not name or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected METRIC=PCT with PCT >= 0, e.g. latency_p99_ns=400")
    return name, value


def add_subparsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Mount ``report`` and ``compare``; each sets ``handler(namespace) -> int``."""
    rep = subparsers.add_parser("report", help="HTML + JUnit report of the newest run in a results directory")
    rep.add_argument("results_dir", type=Path)
    rep.add_argument("--baseline", help="run id, or median:N of the last N runs in the history")
    rep.add_argument("--out", type=Path, help="HTML file to write (default RESULTS_DIR/report.html)")
    rep.add_argument("--tolerance", type=float, default=5.0, help="relative tolerance in %% (default 5)")
    rep.add_argument("--metric-tolerance", type=_metric_tolerance, action="append", default=[], metavar="NAME=PCT",
                     help="tolerance for one metric, e.g. latency_p99_ns=400 (repeatable)")
    rep.add_argument("--link-gbps", type=float, help="link L1 rate for line-rate lines in plots")
    rep.set_defaults(handler=lambda ns: report_command(ns.results_dir, ns.baseline, ns.out, ns.tolerance, ns.link_gbps,
                                                       dict(ns.metric_tolerance)))
    cmp_ = subparsers.add_parser("compare", help="compare run B against baseline run A; exit 1 on regression")
    cmp_.add_argument("a", type=Path, help="baseline: run JSON or results directory")
    cmp_.add_argument("b", type=Path, help="current: run JSON or results directory")
    cmp_.add_argument("--tolerance", type=float, default=5.0, help="relative tolerance in %% (default 5)")
    cmp_.set_defaults(handler=lambda ns: compare_command(ns.a, ns.b, ns.tolerance))
