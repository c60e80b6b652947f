"""Plots: every panel drawn has data, labels tell encrypt from decrypt, no matplotlib warnings
(a warning is an error here, e.g. constrained_layout giving up on an empty panel)."""
import pytest

from harness.results.frame import metrics_frame
from reports import plots
from reports.tables import ThroughputBasis

pytestmark = pytest.mark.filterwarnings("error::UserWarning")
PNG = b"\x89PNG\r\n\x1a\n"


def test_offline_plots_use_capacity(make_offline_record):
    rec = make_offline_record()
    df = metrics_frame([rec])
    svg = plots.throughput_vs_frame_size(df, 10e9, fmt="svg").decode()
    assert "capacity, packets per CPU second (offline)" in svg and "PDR" not in svg
    with pytest.raises(ValueError, match="capacity_pps"):
        plots.throughput_vs_frame_size(df[df.metric == "latency_p50_ns"])
    bars = plots.placement_bars(df, fmt="svg").decode()
    assert "capacity (packets per CPU s)" in bars and "CPU ns / packet" in bars


def test_placement_bars_draw_only_panels_with_data(make_offline_record):
    df = metrics_frame([make_offline_record()])
    only_capacity = df[df.metric == "capacity_pps"]
    svg = plots.placement_bars(only_capacity, fmt="svg").decode()
    assert "capacity (packets per CPU s)" in svg and "latency p99" not in svg and "no data" not in svg
    with pytest.raises(ValueError, match="no per-placement metrics"):
        plots.placement_bars(df[df.metric == "wall_pps"])


def test_latency_cdf_labels_name_the_crypto_direction(make_offline_record):
    hists = make_offline_record().histograms
    assert plots.varying_keys(hists) == ["crypto_direction"]
    assert {plots.hist_label(h, plots.varying_keys(hists)) for h in hists} == {"encrypt", "decrypt"}
    svg = plots.latency_cdf(hists, fmt="svg").decode()
    assert "encrypt" in svg and "decrypt" in svg and "processing time per packet (offline)" in svg
    assert "decrypt" in plots.latency_histogram(hists[1], fmt="svg").decode()


def test_live_plots_are_pngs(make_record):
    rec = make_record()
    df = metrics_frame([rec])
    for png in (plots.throughput_vs_frame_size(df, 10e9, ThroughputBasis.PDR), plots.latency_cdf(rec.histograms),
                plots.latency_histogram(rec.histograms[0]), plots.placement_bars(df)):
        assert png.startswith(PNG) and len(png) > 5_000


def test_trend_plot_titles_short(make_offline_record):
    import pandas as pd
    frame = pd.DataFrame({"created_utc": pd.to_datetime(["2025-01-01 03:00", "2025-01-01 04:00", "2025-01-03 00:00"],
                                                        utc=True), "value": [1.0, 2.0, 1.5]})
    svg = plots.trend(frame, "capacity_pps · 64b", "pps", fmt="svg").decode()
    assert "capacity_pps · 64b" in svg and "01-03 00:00" in svg
