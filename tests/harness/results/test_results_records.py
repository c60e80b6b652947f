import json
import sqlite3
from datetime import datetime

import pandas as pd
import pytest

from harness.results import provenance
from harness.results.frame import METRIC_COLUMNS, metrics_frame, verdicts_frame
from harness.results.history import History
from harness.results.record import Direction, Metric, RecordError, freeze_params, from_dict, to_dict
from harness.results.store import find_run, load_run, load_runs, write_run


def test_json_round_trip(make_record):
    rec = make_record()
    assert from_dict(json.loads(json.dumps(to_dict(rec)))) == rec
    assert rec.metrics and rec.verdicts and rec.histograms


def test_store_json_and_parquet_round_trip(tmp_path, make_record):
    a, b = make_record("r1", day=1), make_record("r2", day=2)
    write_run(b, tmp_path)
    path = write_run(a, tmp_path)
    assert load_run(path) == a
    assert [r.run_id for r in load_runs(tmp_path)] == ["r1", "r2"]  # oldest first
    assert find_run(tmp_path, "r2") == b
    table = pd.read_parquet(tmp_path / "runs" / "r1.parquet")
    assert len(table) == len(a.metrics)
    assert set(table["metric"]) == {m.name for m in a.metrics}
    with pytest.raises(RecordError, match="already stored"):
        write_run(a, tmp_path)


def test_bad_files_give_clear_errors(tmp_path, make_record):
    (tmp_path / "runs").mkdir()
    bad = tmp_path / "runs" / "x.json"
    bad.write_text("{\n  nope")
    with pytest.raises(RecordError, match=r"x.json:2:3: not JSON"):
        load_run(bad)
    raw = to_dict(make_record())
    raw["schema_version"] = 99
    with pytest.raises(RecordError, match="schema_version 99"):
        from_dict(raw, "f.json")
    del raw["schema_version"], raw["tool"]
    raw["schema_version"] = 1
    with pytest.raises(RecordError, match="f.json: missing field 'tool'"):
        from_dict(raw, "f.json")


def test_param_and_metric_validation():
    with pytest.raises(RecordError):
        freeze_params({"value": 1})
    with pytest.raises(RecordError):
        freeze_params({"Bad Name": 1})
    with pytest.raises(RecordError):
        Metric.of("x", float("nan"), "pps", Direction.HIGHER_IS_BETTER)


def test_tidy_frame_shape(make_record):
    rec = make_record()
    df = metrics_frame([rec, make_record("r2", day=2)])
    assert len(df) == 2 * len(rec.metrics)
    assert df.columns[: len(METRIC_COLUMNS)].tolist() == METRIC_COLUMNS
    for col in ("frame_size", "algorithm", "tunnels", "crypto_direction", "load_fraction", "link_gbps"):
        assert col in df.columns
    pdr = df[(df.metric == "pdr_pps") & (df.run_id == "r1")]
    assert sorted(pdr.frame_size) == ["1518b", "1518b", "64b", "64b"]
    assert set(pdr.crypto_direction) == {"encrypt", "decrypt"}
    v = verdicts_frame([rec])
    assert list(v.outcome) == ["passed", "failed"] and list(v.findings) == [0, 1]


def test_history_sqlite(tmp_path, make_record):
    db = tmp_path / "h.sqlite"
    recs = [make_record(f"r{d}", capacity=100_000.0 * d, day=d) for d in (1, 2, 3)]
    with History(db) as h:
        for r in recs:
            h.add(r)
        h.add(recs[0])  # idempotent
        assert h.run_ids() == ["r1", "r2", "r3"]
        assert h.record("r2") == recs[1]
        assert [r.run_id for r in h.last(2)] == ["r2", "r3"]
        assert [r.run_id for r in h.last(5, exclude="r3")] == ["r1", "r2"]
        key = next(m for m in recs[0].metrics if m.name == "ndr_pps")
        trend = h.trend("ndr_pps", key.params)
        assert list(trend.run_id) == ["r1", "r2", "r3"]
        assert trend.value.is_monotonic_increasing
    count = sqlite3.connect(db).execute("SELECT COUNT(*) FROM metrics").fetchone()[0]
    assert count == sum(len(r.metrics) for r in recs)


def test_provenance_edges():
    tool = provenance.tool_info()
    assert tool.version and isinstance(tool.dirty, bool)
    m = provenance.machine_info()
    assert m.cores >= 1 and m.kernel
    assert provenance.cfg_sha256("sp ipv4 out\n") == provenance.cfg_sha256(b"sp ipv4 out\n")
    rid = provenance.new_run_id(datetime(2025, 1, 2, 3, 4, 5), "deadbeefcafe")
    assert rid.startswith("20250102T030405Z-deadbeef-")
