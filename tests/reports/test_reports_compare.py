import pytest

from harness.results.record import Direction, MachineInfo, Metric
from reports.compare import Status, baseline_from_median, baseline_from_run, classify, compare

H, L = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER


@pytest.mark.parametrize("base,cur,direction,status", [
    (100, 120, H, Status.IMPROVED),   # throughput up: not a regression
    (100, 80, H, Status.REGRESSED),
    (100, 120, L, Status.REGRESSED),  # latency up: regression
    (100, 80, L, Status.IMPROVED),
    (100, 104, H, Status.UNCHANGED),  # within 5 %
    (100, 96, L, Status.UNCHANGED),
    (0, 0, L, Status.UNCHANGED),
    (0, 0.01, L, Status.REGRESSED),   # loss appearing from zero
])
def test_classify_direction_and_tolerance(base, cur, direction, status):
    assert classify(base, cur, direction, 5.0)[1] is status


def test_run_comparison(make_record):
    base = make_record("base", day=1)
    faster = make_record("fast", scale=1.5, day=1)
    c = compare(faster, baseline_from_run(base))
    pdr = [r for r in c.rows if r.name == "pdr_pps"]
    assert pdr and all(r.status is Status.IMPROVED for r in pdr)
    assert c.warnings == ()
    slower = compare(make_record("slow", scale=0.5, day=1), baseline_from_run(base))
    assert slower.regressed and slower.exit_code() == 1
    same = compare(make_record("same", day=1), baseline_from_run(base))
    assert not same.regressed and same.exit_code() == 0
    assert {r.status for r in same.rows} == {Status.UNCHANGED}
    assert {r.name for r in slower.by_status(Status.REGRESSED)} >= {"pdr_pps", "ndr_pps"}
    # A 50 % drop inside a 60 % tolerance is unchanged (tail latency is random, so rates only).
    loose = compare(make_record("slow", scale=0.5, day=1), baseline_from_run(base), tolerance_pct=60)
    assert all(r.status is Status.UNCHANGED for r in loose.rows if r.unit in ("pps", "Gbit/s"))
    per_metric = compare(make_record("slow", scale=0.5, day=1), baseline_from_run(base),
                         per_metric_tolerance_pct={"pdr_pps": 60})
    assert {r.status for r in per_metric.rows if r.name == "pdr_pps"} == {Status.UNCHANGED}
    assert {r.status for r in per_metric.rows if r.name == "ndr_pps"} == {Status.REGRESSED}


def test_latency_regression_detected(make_record):
    c = compare(make_record("slowlat", latency_ns=9_000), baseline_from_run(make_record("b")))
    regressed = {r.name for r in c.by_status(Status.REGRESSED)}
    assert "latency_p50_ns" in regressed and "pdr_pps" not in regressed


def test_cross_machine_and_dut_warnings(make_record):
    other = MachineInfo("lab2", "Linux", "EPYC", 64, "6.8", "3.12")
    c = compare(make_record("x", machine=other, cfg="cd" * 32), baseline_from_run(make_record("b")))
    assert any("different machine" in w for w in c.warnings)
    assert any("different DUT or cfg" in w for w in c.warnings)


def test_median_baseline_and_new_missing(make_record):
    runs = [make_record(f"r{i}", scale=s, day=i) for i, s in enumerate((1.0, 2.0, 1.1), start=1)]
    b = baseline_from_median(runs)
    key = next(m.key for m in runs[0].metrics if m.name == "pdr_pps")
    got = next(m.value for m in b.metrics if m.key == key)
    assert got == sorted(next(m.value for m in r.metrics if m.key == key) for r in runs)[1]
    cur = make_record("cur")
    extra = Metric.of("new_metric", 1.0, "pps", H)
    cur = type(cur)(**{**cur.__dict__, "metrics": cur.metrics[1:] + (extra,)})
    c = compare(cur, baseline_from_run(runs[0]))
    assert [r.name for r in c.by_status(Status.NEW)] == ["new_metric"]
    assert [r.name for r in c.by_status(Status.MISSING)] == [runs[0].metrics[0].name]
