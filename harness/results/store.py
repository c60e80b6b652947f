"""A results directory: ``runs/<run_id>.json`` (the full record) and ``runs/<run_id>.parquet``
(its tidy metrics table) per run. Loading reads the JSON files; Parquet is for other tools.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from harness.results.frame import metrics_frame
from harness.results.record import RecordError, RunRecord, from_dict, to_dict

RUNS_DIR = "runs"


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns mixing types (e.g. an int parameter in one run, a str in another) become str."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            kinds = {type(v) for v in out[col] if v is not None and not (isinstance(v, float) and pd.isna(v))}
            if len(kinds) > 1:
                out[col] = out[col].map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    return out


def write_run(record: RunRecord, results_dir: Path) -> Path:
    """Write the run's JSON and Parquet files; returns the JSON path. Refuses to overwrite."""
    runs = Path(results_dir) / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / f"{record.run_id}.json"
    if path.exists():
        raise RecordError(f"{path}: a run with id {record.run_id} is already stored")
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(to_dict(record), indent=1, sort_keys=True))
    tmp.replace(path)
    _parquet_ready(metrics_frame([record])).to_parquet(runs / f"{record.run_id}.parquet", index=False)
    return path


def load_run(path: Path) -> RunRecord:
    try:
        raw = json.loads(Path(path).read_text())
    except OSError as exc:
        raise RecordError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise RecordError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise RecordError(f"{path}: a run record must be a JSON object")
    return from_dict(raw, source=str(path))


def load_runs(results_dir: Path) -> list[RunRecord]:
    """Every run in the directory, oldest first."""
    runs = Path(results_dir) / RUNS_DIR
    if not runs.is_dir():
        raise RecordError(f"{results_dir}: no {RUNS_DIR}/ directory of run records")
    return sorted((load_run(p) for p in runs.glob("*.json")), key=lambda r: (r.created_utc, r.run_id))


def find_run(results_dir: Path, run_id: str) -> RunRecord:
    path = Path(results_dir) / RUNS_DIR / f"{run_id}.json"
    if not path.is_file():
        raise RecordError(f"{results_dir}: no run {run_id!r}")
    return load_run(path)


HISTORY_FILE = "history.sqlite"


def save_run(record: RunRecord, results_dir: Path) -> Path:
    """What a run calls at its end: JSON + Parquet files, and the run added to the history."""
    from harness.results.history import History  # noqa: PLC0415 - keeps store importable alone

    path = write_run(record, results_dir)
    with History(Path(results_dir) / HISTORY_FILE) as history:
        history.add(record)
    return path
