"""Run history in SQLite (stdlib ``sqlite3``) for nightly trends and median baselines.

Tables: ``runs`` (one row per run with its full JSON record) and ``metrics`` (one row per
metric observation, parameters as canonical JSON) so trends are one indexed query.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from types import TracebackType

import pandas as pd

from harness.results.record import SCHEMA_VERSION, Params, RecordError, RunRecord, from_dict, to_dict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, created_utc TEXT NOT NULL, machine_id TEXT NOT NULL,
    dut_name TEXT NOT NULL, cfg_sha256 TEXT NOT NULL, record_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL REFERENCES runs(run_id), name TEXT NOT NULL, params_json TEXT NOT NULL,
    value REAL NOT NULL, unit TEXT NOT NULL, direction TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS metrics_by_name ON metrics (name, params_json);
"""


def params_json(params: Params) -> str:
    return json.dumps(dict(params), sort_keys=True)


class History:
    """An open history database; use as a context manager so the connection is closed."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path)
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self._db.commit()
        elif int(row[0]) != SCHEMA_VERSION:
            self._db.close()
            raise RecordError(f"{self.path}: history schema {row[0]} is not {SCHEMA_VERSION}")

    def __enter__(self) -> History:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def add(self, record: RunRecord) -> None:
        """Store a run (again storing the same run id replaces it)."""
        with self._db:
            self._db.execute("DELETE FROM metrics WHERE run_id = ?", (record.run_id,))
            self._db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (record.run_id, record.created_utc.isoformat(), record.machine.machine_id,
                 record.dut.name, record.dut.cfg_sha256, json.dumps(to_dict(record))),
            )
            self._db.executemany(
                "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)",
                [(record.run_id, m.name, params_json(m.params), m.value, m.unit, m.direction.value)
                 for m in record.metrics],
            )

    def run_ids(self) -> list[str]:
        """Oldest first."""
        return [r[0] for r in self._db.execute("SELECT run_id FROM runs ORDER BY created_utc, run_id")]

    def record(self, run_id: str) -> RunRecord:
        row = self._db.execute("SELECT record_json FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise RecordError(f"{self.path}: no run {run_id!r} in history")
        return from_dict(json.loads(row[0]), source=f"{self.path}:{run_id}")

    def last(self, n: int, exclude: str | None = None) -> list[RunRecord]:
        """The ``n`` newest runs (oldest first), leaving out run id ``exclude``."""
        rows = self._db.execute(
            "SELECT record_json FROM runs WHERE run_id IS NOT ? ORDER BY created_utc DESC, run_id DESC LIMIT ?",
            (exclude, n),
        ).fetchall()
        return [from_dict(json.loads(r[0]), source=str(self.path)) for r in reversed(rows)]

    def trend(self, metric: str, params: Params = ()) -> pd.DataFrame:
        """One metric (with exactly these parameters) across runs, oldest first."""
        return pd.read_sql_query(
            "SELECT r.run_id, r.created_utc, r.machine_id, r.dut_name, m.value, m.unit, m.direction "
            "FROM metrics m JOIN runs r USING (run_id) WHERE m.name = ? AND m.params_json = ? "
            "ORDER BY r.created_utc",
            self._db,
            params=(metric, params_json(params)),
            parse_dates=["created_utc"],
        )
