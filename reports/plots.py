"""matplotlib figures for reports, rendered off-screen (Agg) to PNG or SVG bytes.

Throughput vs frame size (pps and L1 Gbit/s, with the link's line rate), latency CDF and
histogram from stored log-binned histograms, lookaside-vs-inline bars (same traffic, SA type
switched), and a metric's trend over nightly runs.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from harness.measure.rates import line_rate_pps  # noqa: E402
from harness.results.record import HistogramRecord  # noqa: E402

SERIES_KEYS = ("algorithm", "crypto_direction", "sa_type", "tunnels")


def render(fig: Figure, fmt: str = "png") -> bytes:
    """Figure -> image bytes; closes the figure."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"image format must be 'png' or 'svg', got {fmt!r}")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=80)
    plt.close(fig)
    return buf.getvalue()


def _series(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    keys = [k for k in SERIES_KEYS if k in df.columns and df[k].nunique() > 1]
    if not keys:
        return [("all", df)]
    return [("-".join(str(v) for v in (name if isinstance(name, tuple) else (name,))), grp)
            for name, grp in df.groupby(keys)]


def throughput_vs_frame_size(metrics: pd.DataFrame, link_l1_bps: float | None = None,
                             metric: str = "pdr", fmt: str = "png") -> bytes:
    """Two panels: ``<metric>_pps`` and ``<metric>_clear_l1_gbps`` against clear frame size."""
    fig, (ax_pps, ax_bps) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    pps = metrics[(metrics.metric == f"{metric}_pps") & (metrics.frame_size != "imix")]
    gbps = metrics[(metrics.metric == f"{metric}_clear_l1_gbps") & (metrics.frame_size != "imix")]
    for ax, df, unit in ((ax_pps, pps, "pps"), (ax_bps, gbps, "Gbit/s (L1)")):
        for label, grp in _series(df):
            grp = grp.groupby("clear_frame_bytes")["value"].median()
            ax.plot(grp.index, grp.values, marker="o", label=label)
        ax.set_xlabel("clear frame size (bytes)")
        ax.set_ylabel(f"{metric.upper()} {unit}")
        ax.grid(True, alpha=0.3)
    if link_l1_bps and not pps.empty:
        sizes = np.array(sorted(pps.clear_frame_bytes.unique()), dtype=float)
        ax_pps.plot(sizes, [line_rate_pps(link_l1_bps, int(s)) for s in sizes], "k--", label="line rate")
        ax_bps.axhline(link_l1_bps / 1e9, color="k", linestyle="--", label="line rate")
    ax_pps.set_yscale("log")
    for ax in (ax_pps, ax_bps):
        if ax.lines:
            ax.legend(fontsize=7)
    fig.suptitle(f"{metric.upper()} throughput vs frame size")
    return render(fig, fmt)


def _label(h: HistogramRecord, keys: Sequence[str]) -> str:
    params = dict(h.params)
    return " ".join(f"{k}={params[k]}" for k in keys if k in params) or h.name


def latency_cdf(hists: Sequence[HistogramRecord], label_keys: Sequence[str] = ("frame_size", "sa_type", "load_fraction"),
                fmt: str = "png") -> bytes:
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for h in hists:
        counts = np.asarray(h.counts, dtype=float)
        if counts.sum() == 0:
            continue
        ax.step(h.edges[1:], np.cumsum(counts) / counts.sum(), where="post", label=_label(h, label_keys))
    ax.set_xscale("log")
    ax.set_xlabel(f"one-way latency ({hists[0].unit if hists else 'ns'})")
    ax.set_ylabel("share of packets at or below")
    ax.grid(True, alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=7)
    ax.set_title("Latency CDF")
    return render(fig, fmt)


def latency_histogram(hist: HistogramRecord, fmt: str = "png") -> bytes:
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    edges = np.asarray(hist.edges)
    ax.bar(edges[:-1], hist.counts, width=np.diff(edges), align="edge", edgecolor="black", linewidth=0.3)
    ax.set_xscale("log")
    ax.set_xlabel(f"one-way latency ({hist.unit}), log bins")
    ax.set_ylabel("packets")
    ax.set_title(f"Latency histogram: {_label(hist, ('frame_size', 'sa_type', 'load_fraction'))}")
    return render(fig, fmt)


PLACEMENT_PANELS = (("pdr_pps", "PDR (pps)"), ("latency_p50_ns", "latency p50 (ns)"),
                    ("latency_p99_ns", "latency p99 (ns)"), ("cpu_ns_per_packet", "CPU ns / packet"))


def placement_bars(metrics: pd.DataFrame, load_fraction: float = 0.5, fmt: str = "png") -> bytes:
    """Lookaside vs inline (any SA types present): one panel per metric, bars per frame size."""
    fig, axes = plt.subplots(1, len(PLACEMENT_PANELS), figsize=(14, 4), layout="constrained")
    for ax, (name, title) in zip(axes, PLACEMENT_PANELS):
        sub = metrics[metrics.metric == name]
        if "load_fraction" in sub.columns and name != "pdr_pps":
            sub = sub[sub.load_fraction == load_fraction]
        if sub.empty or "sa_type" not in sub.columns:
            ax.set_title(f"{title}\n(no data)")
            continue
        grid = sub.pivot_table(index="frame_size", columns="sa_type", values="value", aggfunc="median")
        if "clear_frame_bytes" in sub.columns:  # 64b before 512b, not string order
            grid = grid.reindex(sub.sort_values("clear_frame_bytes").frame_size.unique())
        grid.plot.bar(ax=ax, rot=0)
        ax.set_title(title)
        ax.set_xlabel("frame size")
        ax.legend(fontsize=7)
    fig.suptitle(f"Crypto placement, same traffic (latency/CPU at {load_fraction:.0%} of PDR)")
    return render(fig, fmt)


def trend(series: pd.DataFrame, metric: str, unit: str, fmt: str = "png") -> bytes:
    """``series`` has ``created_utc`` and ``value`` (``History.trend`` output)."""
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    ax.plot(pd.to_datetime(series["created_utc"]), series["value"], marker="o")
    ax.set_ylabel(f"{metric} ({unit})")
    ax.set_title(f"Trend: {metric}")
    ax.grid(True, alpha=0.3)
    fig.autofmt_xdate()
    return render(fig, fmt)
