"""Records -> tidy pandas DataFrames: one row per observation, parameters as columns.

``metrics_frame``: one row per metric observation (run identity + metric + unit + direction +
one column per parameter, run-level parameters included). ``verdicts_frame``: one row per
conformance verdict. Parameters a row does not have are NaN/None.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from harness.results.record import RunRecord

RUN_COLUMNS = ["run_id", "created_utc", "tool_version", "commit", "dirty", "dut_name", "dut_kind",
               "cfg_sha256", "machine_id"]
METRIC_COLUMNS = [*RUN_COLUMNS, "metric", "value", "unit", "direction"]
VERDICT_COLUMNS = [*RUN_COLUMNS, "test_id", "test", "outcome", "duration_s", "findings", "message"]


def _run_fields(r: RunRecord) -> dict[str, Any]:
    return {
        "run_id": r.run_id,
        "created_utc": pd.Timestamp(r.created_utc),
        "tool_version": r.tool.version,
        "commit": r.tool.commit,
        "dirty": r.tool.dirty,
        "dut_name": r.dut.name,
        "dut_kind": r.dut.kind,
        "cfg_sha256": r.dut.cfg_sha256,
        "machine_id": r.machine.machine_id,
    }


def metrics_frame(records: Iterable[RunRecord]) -> pd.DataFrame:
    rows = []
    for r in records:
        run = _run_fields(r) | dict(r.params)
        for m in r.metrics:
            rows.append(run | {"metric": m.name, "value": m.value, "unit": m.unit,
                               "direction": m.direction.value} | dict(m.params))
    return pd.DataFrame(rows, columns=_columns(METRIC_COLUMNS, rows))


def verdicts_frame(records: Iterable[RunRecord]) -> pd.DataFrame:
    rows = []
    for r in records:
        run = _run_fields(r)
        for v in r.verdicts:
            rows.append(run | {"test_id": v.test_id, "test": v.test, "outcome": v.outcome.value,
                               "duration_s": v.duration_s, "findings": len(v.findings),
                               "message": v.message} | dict(v.params))
    return pd.DataFrame(rows, columns=_columns(VERDICT_COLUMNS, rows))


def param_columns(frame: pd.DataFrame, base: list[str]) -> list[str]:
    """The parameter columns of a frame built here (everything not in ``base``)."""
    return [c for c in frame.columns if c not in base]


def _columns(base: list[str], rows: list[dict[str, Any]]) -> list[str]:
    extra: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in base:
                extra[key] = None
    return [*base, *extra]
