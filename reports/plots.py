"""matplotlib figures for reports, rendered off-screen (Agg) to PNG or SVG bytes.

Throughput vs frame size (pps and L1 Gbit/s, with the link's line rate), latency CDFs and a
histogram from stored log-binned histograms, crypto-placement bars (same traffic, SA type
switched), RFC 2544 §26.4 back-to-back bursts per point, and a metric's trend over nightly runs. Throughput is PDR for a live run and
capacity (packets per CPU second) for an offline one, labelled as such (``tables.ThroughputBasis``).
Panels without data are not drawn: a figure has only the panels it can fill.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from harness.measure.rates import line_rate_pps  # noqa: E402
from harness.results.record import HistogramRecord  # noqa: E402
from reports.tables import ThroughputBasis, throughput_basis  # noqa: E402

SERIES_KEYS = ("algorithm", "crypto_direction", "sa_type", "tunnels")
LATENCY_KEYS = ("algorithm", "crypto_direction", "sa_type", "frame_size", "tunnels", "load_fraction")


def render(fig: Figure, fmt: str = "png") -> bytes:
    """Figure -> image bytes; closes the figure."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"image format must be 'png' or 'svg', got {fmt!r}")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=80)
    plt.close(fig)
    return buf.getvalue()


def _series(df: pd.DataFrame) -> list[tuple[tuple[str, ...], pd.DataFrame]]:
    """Groups by the series keys that vary, SA type first (it picks the colour)."""
    keys = [k for k in ("sa_type", *SERIES_KEYS) if k in df.columns and df[k].nunique() > 1]
    keys = list(dict.fromkeys(keys))
    if not keys:
        return [((), df)]
    return [(tuple(str(v) for v in (name if isinstance(name, tuple) else (name,))), grp)
            for name, grp in df.groupby(keys)]


def _legend(ax: Axes) -> None:
    if ax.lines or ax.patches:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def throughput_vs_frame_size(metrics: pd.DataFrame, link_l1_bps: float | None = None,
                             basis: ThroughputBasis | None = None, fmt: str = "png") -> bytes:
    """Two panels, pps and clear-side L1 Gbit/s against clear frame size, one line per
    (algorithm, direction, SA type) that varies. ``basis`` defaults to what the run has."""
    basis = basis or throughput_basis(metrics)
    if basis is None:
        raise ValueError("no throughput metrics (pdr_pps or capacity_pps) to plot")
    sized = metrics[metrics.frame_size != "imix"] if "frame_size" in metrics.columns else metrics
    pps = sized[sized.metric == basis.pps_metric]
    gbps = sized[sized.metric == basis.gbps_metric]
    fig, (ax_pps, ax_bps) = plt.subplots(1, 2, figsize=(14, 4.5), layout="constrained")
    for ax, df, unit in ((ax_pps, pps, "packets/s"), (ax_bps, gbps, "Gbit/s, L1, clear side")):
        series = _series(df)
        styles = _line_styles([combo for combo, _ in series])
        for combo, grp in series:
            grp = grp.groupby("clear_frame_bytes")["value"].median()
            colour, dash = styles[combo]
            ax.plot(grp.index, grp.values, marker="o", color=colour, linestyle=dash, label=" ".join(combo) or "all")
        ax.set_xlabel("clear frame size (bytes)")
        ax.set_ylabel(unit)
        ax.grid(True, alpha=0.3)
    if link_l1_bps and not pps.empty:
        sizes = np.array(sorted(pps.clear_frame_bytes.unique()), dtype=float)
        ax_pps.plot(sizes, [line_rate_pps(link_l1_bps, int(s)) for s in sizes], "k--", label="line rate")
        ax_bps.axhline(link_l1_bps / 1e9, color="k", linestyle="--", label="line rate")
    ax_pps.set_yscale("log")
    _legend(ax_bps)
    fig.suptitle(f"Throughput vs frame size: {basis.label}")
    return render(fig, fmt)


def varying_keys(hists: Sequence[HistogramRecord], keys: Sequence[str] = LATENCY_KEYS) -> list[str]:
    """The parameter names among ``keys`` whose value differs between the histograms."""
    values: dict[str, set[str]] = {k: set() for k in keys}
    for h in hists:
        params = dict(h.params)
        for k in keys:
            values[k].add(str(params.get(k, "")))
    return [k for k in keys if len(values[k]) > 1]


def hist_label(h: HistogramRecord, keys: Sequence[str]) -> str:
    params = dict(h.params)
    return " ".join(str(params[k]) for k in keys if k in params) or h.name


def _latency_axis(hists: Sequence[HistogramRecord]) -> str:
    kinds = {dict(h.params).get("latency_kind") for h in hists}
    what = "processing time per packet (offline)" if kinds == {"offline-processing"} else "one-way latency"
    return f"{what} ({hists[0].unit})"


PANEL_KEYS = ("algorithm", "crypto_direction")


def latency_cdf(hists: Sequence[HistogramRecord], fmt: str = "png") -> bytes:
    """One panel per (algorithm, crypto direction) present, titled with both; in a panel one
    line per remaining varying parameter set (colour: SA type, dashes: frame size), one legend."""
    hists = [h for h in hists if sum(h.counts) > 0]
    if not hists:
        raise ValueError("no non-empty latency histogram to plot")
    keys = varying_keys(hists)
    panel_keys = [k for k in PANEL_KEYS if k in keys]
    line_keys = [k for k in keys if k not in panel_keys]
    panels = sorted({hist_label(h, panel_keys) for h in hists}) if panel_keys else [""]
    ncols = min(2, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.2 * ncols + 2.2, 3.4 * nrows + 0.5), layout="constrained",
                             squeeze=False, sharex=True, sharey=True)
    styles = _line_styles([[str(dict(h.params).get(k, "")) for k in line_keys] for h in hists])
    for ax, panel in zip(axes.flat, panels):
        for h in hists:
            if panel_keys and hist_label(h, panel_keys) != panel:
                continue
            counts = np.asarray(h.counts, dtype=float)
            colour, dash = styles[tuple(str(dict(h.params).get(k, "")) for k in line_keys)]
            ax.step(h.edges[1:], np.cumsum(counts) / counts.sum(), where="post", color=colour, linestyle=dash,
                    label=hist_label(h, line_keys))
        ax.set_xscale("log")
        ax.grid(True, alpha=0.3)
        ax.set_title(panel or "all", fontsize=10)
    for ax in axes.flat[len(panels):]:
        ax.remove()
    for ax in axes[-1]:
        ax.set_xlabel(_latency_axis(hists))
    for row in axes:
        row[0].set_ylabel("share at or below")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if len(handles) > 1:
        fig.legend(handles, labels, loc="outside right upper", fontsize=7, title=" ".join(line_keys), title_fontsize=7)
    fig.suptitle("Latency CDF")
    return render(fig, fmt)


def _line_styles(combos: Sequence[Sequence[str]]) -> dict[tuple[str, ...], tuple[str, str]]:
    """Colour by the first value, dash pattern by the rest, so related lines look related."""
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    dashes = ["-", "--", ":", "-."]
    first: dict[str, int] = {}
    rest: dict[tuple[str, ...], int] = {}
    out = {}
    for combo in combos:
        a, b = (combo[0] if combo else ""), tuple(combo[1:])
        first.setdefault(a, len(first))
        rest.setdefault(b, len(rest))
        out[tuple(combo)] = (colours[first[a] % len(colours)], dashes[rest[b] % len(dashes)])
    return out


def latency_histogram(hist: HistogramRecord, fmt: str = "png") -> bytes:
    fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
    edges = np.asarray(hist.edges)
    ax.bar(edges[:-1], hist.counts, width=np.diff(edges), align="edge", edgecolor="black", linewidth=0.3)
    ax.set_xscale("log")
    ax.set_xlabel(f"{_latency_axis([hist])}, log bins")
    ax.set_ylabel("packets")
    ax.set_title(f"Latency histogram: {hist_label(hist, LATENCY_KEYS)}", fontsize=10)
    return render(fig, fmt)


THROUGHPUT_PANEL = {ThroughputBasis.PDR: ("pdr_pps", "PDR (pps)"),
                    ThroughputBasis.CAPACITY: ("capacity_pps", "capacity (packets per CPU s)")}
PLACEMENT_PANELS = (("latency_p50_ns", "latency p50 (ns)"), ("latency_p99_ns", "latency p99 (ns)"),
                    ("cpu_ns_per_packet", "CPU ns / packet"))


def placement_panels(basis: ThroughputBasis | None) -> tuple[tuple[str, str], ...]:
    """(metric, panel title) pairs: the run's throughput kind first, then latency and CPU."""
    return ((THROUGHPUT_PANEL[basis],) if basis else ()) + PLACEMENT_PANELS


def _placement_grid(sub: pd.DataFrame) -> pd.DataFrame:
    """Median per frame size (x) and SA type (bars); frame sizes in byte order, not string order."""
    grid = sub.pivot_table(index="frame_size", columns="sa_type", values="value", aggfunc="median")
    if "clear_frame_bytes" in sub.columns:
        grid = grid.reindex(sub.sort_values("clear_frame_bytes").frame_size.unique())
    return grid


def placement_bars(metrics: pd.DataFrame, load_fraction: float = 0.5, fmt: str = "png") -> bytes:
    """Lookaside vs CPU vs inline crypto (the SA types present): one column per metric that has
    data, one row per (algorithm, crypto direction), bars per frame size."""
    basis = throughput_basis(metrics)
    frames = []
    for name, title in placement_panels(basis):
        sub = metrics[metrics.metric == name]
        if "load_fraction" in sub.columns and sub.load_fraction.notna().any() and not name.endswith("_pps"):
            sub = sub[sub.load_fraction == load_fraction]
        if not sub.empty and "sa_type" in sub.columns:
            frames.append((title, sub))
    if not frames:
        raise ValueError("no per-placement metrics to plot")
    row_keys = [k for k in ("algorithm", "crypto_direction") if k in metrics.columns and metrics[k].nunique() > 1]
    rows = sorted({tuple(r) for r in metrics[row_keys].dropna().itertuples(index=False)}) if row_keys else [()]
    fig, axes = plt.subplots(len(rows), len(frames), figsize=(4 * len(frames) + 1.5, 2.8 * len(rows) + 0.6),
                             layout="constrained", squeeze=False)
    for i, row in enumerate(rows):
        for j, (title, sub) in enumerate(frames):
            ax = axes[i][j]
            for k, v in zip(row_keys, row):
                sub = sub[sub[k] == v]
            if sub.empty:  # this metric was not measured for this row (e.g. back-to-back only)
                ax.axis("off")
                continue
            _placement_grid(sub).plot.bar(ax=ax, rot=0, legend=False, width=0.8, logy=title.startswith("latency"))
            ax.set_title(f"{title}\n{' '.join(map(str, row))}" if row else title, fontsize=9)
            ax.set_xlabel("")
            ax.tick_params(labelsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", fontsize=8, title="SA type")
    fig.suptitle("Crypto placement, same traffic" + (f" (latency/CPU at {load_fraction:.0%} of PDR)"
                                                    if basis is ThroughputBasis.PDR else ""))
    return render(fig, fmt)


def back_to_back_bars(table: pd.DataFrame, fmt: str = "png") -> bytes:
    """``tables.back_to_back_table`` as horizontal bars, one per point, with the search's upper
    bound marked: a bar at the mark means the bound, not the DUT, was the limit."""
    if table.empty:
        raise ValueError("no back-to-back metrics to plot")
    point = [c for c in table.columns if c in ("frame_size", "algorithm", "tunnels", "sa_type", "crypto_direction")]
    labels = [" ".join(f"{v} tnl" if k == "tunnels" else str(v) for k, v in zip(point, row))
              for row in table[point].itertuples(index=False)]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(table) + 1.4), layout="constrained")
    ys = np.arange(len(table))
    ax.barh(ys, table["back-to-back frames"], color="#4c72b0")
    ax.scatter(table["max"], ys, marker="|", s=300, color="k", label="search upper bound", zorder=3)
    ax.set_yticks(ys, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("longest lossless burst, frames (mean over the searches)")
    ax.grid(True, axis="x", alpha=0.3)
    _legend(ax)
    ax.set_title("Back-to-back frames (RFC 2544 §26.4)", fontsize=10)
    return render(fig, fmt)


def trend(series: pd.DataFrame, title: str, unit: str, fmt: str = "png") -> bytes:
    """``series`` has ``created_utc`` and ``value`` (``History.trend`` output), one point per
    run, evenly spaced; ``title`` is short (the metric and a compact parameter summary; the full
    parameters go in a caption)."""
    fig, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
    ax.plot(range(len(series)), series["value"], marker="o")
    ticks = sorted(set(np.linspace(0, len(series) - 1, min(len(series), 6)).round().astype(int)))
    when = pd.to_datetime(series["created_utc"]).dt.strftime("%m-%d %H:%M").tolist()
    ax.set_xticks(ticks, [when[i] for i in ticks], fontsize=8)
    ax.set_xlabel("run (oldest first), UTC")
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    return render(fig, fmt)
