"""Tidy DataFrames -> report tables (plain DataFrames; HTML rendering is in ``html_report``).

Throughput comes in two kinds, never mixed in one table or plot: a live run's RFC 2544
search gives NDR/PDR (``pdr_pps``...), an offline run against the in-process reference gives
capacity in packets per CPU second (``capacity_pps``...). ``throughput_basis`` picks the one a
run has, preferring PDR. ``back_to_back_table``: the RFC 2544 §26.4 longest lossless burst per
live point (``b2b_frames``), the rate the tester sent it at and whether the search's upper bound,
not the DUT, was the limit.
"""
from __future__ import annotations

import enum
from collections.abc import Sequence

import pandas as pd

from reports.compare import Comparison


class ThroughputBasis(enum.Enum):
    """Which throughput metrics a run holds; the value is the metric-name prefix."""

    PDR = "pdr"
    CAPACITY = "capacity"

    @property
    def label(self) -> str:
        return THROUGHPUT_LABELS[self]

    @property
    def pps_metric(self) -> str:
        return f"{self.value}_pps"

    @property
    def gbps_metric(self) -> str:
        return f"{self.value}_clear_l1_gbps"


THROUGHPUT_LABELS = {
    ThroughputBasis.PDR: "PDR (live RFC 2544 search)",
    ThroughputBasis.CAPACITY: "capacity, packets per CPU second (offline)",
}
POINT_KEYS = ("frame_size", "clear_frame_bytes", "encrypted_frame_bytes", "algorithm", "tunnels", "sa_type",
              "crypto_direction")


def throughput_basis(metrics: pd.DataFrame) -> ThroughputBasis | None:
    """PDR when the run searched live, capacity when it measured offline, else None."""
    if metrics.empty:
        return None
    names = set(metrics.metric)
    return next((b for b in ThroughputBasis if b.pps_metric in names), None)


def throughput_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Throughput per point in pps and L1 Gbit/s, ordered by clear frame size: NDR/PDR for a
    live run, capacity (packets per CPU second) for an offline one."""
    basis = throughput_basis(metrics)
    if basis is None:
        return pd.DataFrame()
    names = (["ndr_pps"] if basis is ThroughputBasis.PDR else ["wall_pps"]) + [
        basis.pps_metric, basis.gbps_metric, f"{basis.value}_encrypted_l1_gbps"]
    sub = metrics[metrics.metric.isin(names)]
    keys = [c for c in POINT_KEYS if c in sub.columns and sub[c].notna().any()]
    table = sub.pivot_table(index=keys, columns="metric", values="value", aggfunc="median").reset_index()
    table = table[[*keys, *(n for n in names if n in table.columns)]]
    order = ["clear_frame_bytes", *keys[3:]] if "clear_frame_bytes" in keys else keys
    return table.sort_values(order).reset_index(drop=True)


B2B_COLUMNS = {"b2b_frames": "back-to-back frames", "b2b_burst_pps": "burst sent at (pps)"}
B2B_LIMIT = "limited by"


def back_to_back_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """A row per point with back-to-back metrics (the point keys that vary, frame sizes in byte
    order), the search bounds, the mean longest lossless burst, the tester's burst rate and what
    limited the result: ``search bound`` when it reached ``b2b_max_frames`` (the DUT may
    buffer more), else ``DUT``."""
    sub = metrics[metrics.metric.isin(list(B2B_COLUMNS))] if "metric" in metrics.columns else metrics.iloc[0:0]
    if sub.empty:
        return pd.DataFrame()
    point = [c for c in POINT_KEYS if c in sub.columns and sub[c].nunique() > 1
             and not c.endswith("_frame_bytes")] or ["frame_size"]
    bounds = ["b2b_min_frames", "b2b_max_frames", "b2b_repetitions"]
    grid = sub.pivot_table(index=[*point, *bounds], columns="metric", values="value", aggfunc="median").reset_index()
    if "frame_size" in point and "clear_frame_bytes" in sub.columns:
        size = sub.groupby("frame_size")["clear_frame_bytes"].median()
        grid = grid.sort_values(point, key=lambda col: col.map(size) if col.name == "frame_size" else col)
    grid[B2B_LIMIT] = ["search bound" if f >= hi else "DUT" for f, hi in zip(grid.b2b_frames, grid.b2b_max_frames)]
    grid = grid[[*point, *bounds, *(c for c in B2B_COLUMNS if c in grid.columns), B2B_LIMIT]]
    grid.columns.name = None
    names = B2B_COLUMNS | {"b2b_min_frames": "min", "b2b_max_frames": "max", "b2b_repetitions": "repetitions"}
    return grid.rename(columns=names).reset_index(drop=True)


def metric_table(metrics: pd.DataFrame, metric: str, index: str, columns: Sequence[str]) -> pd.DataFrame:
    """One metric as a grid, e.g. PDR pps by frame size x (algorithm, direction)."""
    sub = metrics[metrics.metric == metric]
    if sub.empty:
        return pd.DataFrame()
    cols = [c for c in columns if c in sub.columns and sub[c].notna().any()]
    return _plain_labels(sub.pivot_table(index=index, columns=cols or None, values="value", aggfunc="median"))


def comparison_table(comparison: Comparison) -> pd.DataFrame:
    return pd.DataFrame([
        {"metric": r.name, "point": point_summary(pd.Series(dict(r.params), dtype=object)),
         "params": ", ".join(f"{k}={v}" for k, v in r.params), "unit": r.unit,
         "direction": r.direction.value, "baseline": r.baseline, "current": r.current,
         "change_pct": r.change_pct, "tolerance_pct": r.tolerance_pct, "status": r.status.value}
        for r in comparison.rows
    ], columns=["metric", "point", "params", "unit", "direction", "baseline", "current", "change_pct", "tolerance_pct",
                "status"])


def throughput_grid(metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One throughput metric as a grid people read: a row per (algorithm, crypto direction,
    frame size) that varies, a column per SA type; frame sizes in byte order."""
    sub = metrics[metrics.metric == metric]
    if sub.empty:
        return pd.DataFrame()
    keys = [k for k in ("algorithm", "crypto_direction", "tunnels") if k in sub.columns and sub[k].nunique() > 1]
    cols = "sa_type" if "sa_type" in sub.columns and sub.sa_type.notna().any() else None
    grid = sub.pivot_table(index=[*keys, "frame_size"], columns=cols, values="value", aggfunc="median")
    if "clear_frame_bytes" in sub.columns:
        size = sub.groupby("frame_size")["clear_frame_bytes"].median()
        order = sorted(grid.index, key=lambda ix: (*(ix[:-1] if keys else ()), size.get(ix[-1] if keys else ix, 0)))
        grid = grid.reindex(order)
    grid.columns.name = None
    return grid


def peak(metrics: pd.DataFrame, metric: str, highest: bool = True) -> pd.Series | None:
    """The row of ``metric`` with the highest (or lowest) value, None when the run lacks it."""
    sub = metrics[metrics.metric == metric]
    if sub.empty:
        return None
    return sub.loc[sub.value.idxmax() if highest else sub.value.idxmin()]


def plain(value: object) -> str:
    """A parameter value for people: whole floats without ``.0`` (pandas turns int columns
    holding NaN into floats)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def point_summary(row: pd.Series, keys: Sequence[str] = ("frame_size", "algorithm", "sa_type", "crypto_direction")) -> str:
    """Compact parameter values of a metric row, e.g. ``64b aes-128-gcm inline-crypto-offload
    encrypt`` (plus ``N tunnels`` when not 1)."""
    out = [plain(row[k]) for k in keys if k in row.index and pd.notna(row[k])]
    if "tunnels" in row.index and pd.notna(row["tunnels"]) and row["tunnels"] != 1:
        out.append(f"{plain(row['tunnels'])} tunnels")
    return " ".join(out)


def _plain_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Index and column labels through ``plain`` (32.0 -> 32)."""
    return df.rename(index=plain, columns=plain)
