import numpy as np
import pytest

from harness.measure.latency import cdf_points, histogram, summarize


def test_summary_matches_numpy_on_known_data():
    rng = np.random.default_rng(7)
    data = rng.integers(1_000, 2_000_000, size=10_001)
    s = summarize(data)
    for attr, q in (("p50_ns", 50), ("p90_ns", 90), ("p99_ns", 99), ("p999_ns", 99.9)):
        assert getattr(s, attr) == int(np.percentile(data, q, method="inverted_cdf"))
    assert s.min_ns == data.min() and s.max_ns == data.max() and s.count == data.size
    assert s.mean_ns == pytest.approx(data.mean())
    assert s.jitter_ns == pytest.approx(np.abs(np.diff(data)).mean())


def test_small_hand_computed():
    s = summarize([10, 30, 20, 40])
    assert (s.min_ns, s.p50_ns, s.max_ns) == (10, 20, 40)  # nearest rank: ceil(0.5*4) = 2nd
    assert s.jitter_ns == pytest.approx((20 + 10 + 20) / 3)
    assert summarize([5]).jitter_ns == 0.0


def test_histogram_log_bins_count_everything():
    data = [0, 1, 9, 10, 99, 100, 1_000, 12_345]
    h = histogram(data, bins_per_decade=2)
    assert h.total == len(data)
    assert h.edges_ns[0] == pytest.approx(1.0) and h.edges_ns[-1] == pytest.approx(1e5)
    ratios = np.diff(np.log10(h.edges_ns))
    assert np.allclose(ratios, 0.5)
    xs, cum = cdf_points(h)
    assert cum[-1] == pytest.approx(1.0) and list(cum) == sorted(cum) and len(xs) == len(h.counts)


def test_empty_rejected():
    with pytest.raises(ValueError):
        summarize([])
    with pytest.raises(ValueError):
        histogram([1], bins_per_decade=0)
