"""Tidy DataFrames -> report tables (plain DataFrames; HTML rendering is in ``html_report``)."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from harness.results.frame import VERDICT_COLUMNS, param_columns
from reports.compare import Comparison

OUTCOME_MARK = {"passed": "pass", "failed": "FAIL", "error": "ERROR", "skipped": "skip"}


def case_label(row: pd.Series, params: Sequence[str]) -> str:
    """Readable column label from parameter values, e.g. ``tun44-aes-128-gcm``."""
    vals = [str(row[p]) for p in params if p in row and pd.notna(row[p])]
    return "-".join(vals) or "-"


def conformance_matrix(verdicts: pd.DataFrame, rows: Sequence[str] = ("test",),
                       cols: Sequence[str] | None = None) -> pd.DataFrame:
    """Outcome per cell: ``rows`` columns -> index, ``cols`` parameters -> columns.

    By default rows are test functions and columns every parameter combination.
    """
    if verdicts.empty:
        return pd.DataFrame()
    cols = list(cols) if cols is not None else [
        c for c in param_columns(verdicts, VERDICT_COLUMNS) if c not in rows]
    frame = verdicts.assign(case=verdicts.apply(case_label, axis=1, params=cols),
                            mark=verdicts["outcome"].map(OUTCOME_MARK))
    return frame.pivot_table(index=list(rows), columns="case", values="mark", aggfunc="first").fillna("")


def metric_table(metrics: pd.DataFrame, metric: str, index: str, columns: Sequence[str]) -> pd.DataFrame:
    """One metric as a grid, e.g. PDR pps by frame size x (algorithm, direction)."""
    sub = metrics[metrics.metric == metric]
    if sub.empty:
        return pd.DataFrame()
    cols = [c for c in columns if c in sub.columns and sub[c].notna().any()]
    return sub.pivot_table(index=index, columns=cols or None, values="value", aggfunc="median")


def throughput_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """NDR/PDR in pps and L1 Gbit/s per point, ordered by clear frame size."""
    names = ["ndr_pps", "pdr_pps", "pdr_clear_l1_gbps", "pdr_encrypted_l1_gbps"]
    sub = metrics[metrics.metric.isin(names)]
    if sub.empty:
        return pd.DataFrame()
    keys = [c for c in ("frame_size", "clear_frame_bytes", "encrypted_frame_bytes", "algorithm",
                        "tunnels", "sa_type", "crypto_direction") if c in sub.columns]
    table = sub.pivot_table(index=keys, columns="metric", values="value", aggfunc="median").reset_index()
    return table.sort_values(["clear_frame_bytes", *keys[3:]] if "clear_frame_bytes" in keys else keys)


def comparison_table(comparison: Comparison) -> pd.DataFrame:
    return pd.DataFrame([
        {"metric": r.name, "params": ", ".join(f"{k}={v}" for k, v in r.params), "unit": r.unit,
         "direction": r.direction.value, "baseline": r.baseline, "current": r.current,
         "change_pct": r.change_pct, "status": r.status.value}
        for r in comparison.rows
    ])


def run_summary(metrics: pd.DataFrame, verdicts: pd.DataFrame) -> dict[str, int]:
    counts = verdicts["outcome"].value_counts().to_dict() if not verdicts.empty else {}
    return {"tests": len(verdicts), **{k: int(counts.get(k, 0)) for k in OUTCOME_MARK},
            "metrics": len(metrics)}


