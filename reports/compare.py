"""Regression check of a run against a baseline (a chosen run, or the median of the last N).

Every metric carries its direction, so "throughput went up" is an improvement and "latency
went up" a regression. A change within the tolerance (relative, in percent) is "unchanged".
Comparing across machines, DUTs or cfgs is allowed but produces warnings (pytest-benchmark's
lesson): the numbers may not mean what they seem.
"""
from __future__ import annotations

import enum
import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.results.record import Direction, Metric, Params, RunRecord


class Status(enum.Enum):
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    REGRESSED = "regressed"
    NEW = "new"  # only in the current run
    MISSING = "missing"  # only in the baseline


@dataclass(frozen=True)
class Baseline:
    label: str  # e.g. "run 2025...-ab12" or "median of 5 runs"
    metrics: tuple[Metric, ...]
    machine_ids: frozenset[str]
    duts: frozenset[tuple[str, str]]  # (name, cfg sha256)
    run_ids: tuple[str, ...]


def baseline_from_run(record: RunRecord) -> Baseline:
    return Baseline(f"run {record.run_id}", record.metrics, frozenset({record.machine.machine_id}),
                    frozenset({(record.dut.name, record.dut.cfg_sha256)}), (record.run_id,))


def baseline_from_median(records: Sequence[RunRecord]) -> Baseline:
    """Per metric key, the median over the runs that have it."""
    if not records:
        raise ValueError("a median baseline needs at least one run")
    values: dict[tuple[str, Params], list[float]] = defaultdict(list)
    first: dict[tuple[str, Params], Metric] = {}
    for r in records:
        for m in r.metrics:
            values[m.key].append(m.value)
            first.setdefault(m.key, m)
    metrics = tuple(Metric(m.name, statistics.median(values[k]), m.unit, m.direction, m.params)
                    for k, m in first.items())
    return Baseline(f"median of {len(records)} run{'s' if len(records) > 1 else ''}", metrics,
                    frozenset(r.machine.machine_id for r in records),
                    frozenset((r.dut.name, r.dut.cfg_sha256) for r in records),
                    tuple(r.run_id for r in records))


@dataclass(frozen=True)
class MetricComparison:
    name: str
    params: Params
    unit: str
    direction: Direction
    baseline: float | None
    current: float | None
    change_pct: float | None  # (current - baseline) / |baseline| * 100
    status: Status
    tolerance_pct: float  # the tolerance this metric was judged with (default or its own)


@dataclass(frozen=True)
class Comparison:
    current_run_id: str
    baseline_label: str
    tolerance_pct: float  # the default; metrics named in ``per_metric_tolerance_pct`` use their own
    rows: tuple[MetricComparison, ...]
    warnings: tuple[str, ...]
    per_metric_tolerance_pct: tuple[tuple[str, float], ...] = ()

    def by_status(self, status: Status) -> tuple[MetricComparison, ...]:
        return tuple(r for r in self.rows if r.status is status)

    @property
    def regressed(self) -> bool:
        return any(r.status is Status.REGRESSED for r in self.rows)

    def exit_code(self) -> int:
        """1 when any metric regressed, else 0 (for CI)."""
        return 1 if self.regressed else 0


def classify(baseline: float, current: float, direction: Direction, tolerance_pct: float) -> tuple[float, Status]:
    """The relative change in percent and what it means for this direction."""
    if baseline == current:
        return 0.0, Status.UNCHANGED
    change = math.copysign(math.inf, current - baseline) if baseline == 0 else (current - baseline) / abs(baseline) * 100
    if abs(change) <= tolerance_pct:
        return change, Status.UNCHANGED
    better = change > 0 if direction is Direction.HIGHER_IS_BETTER else change < 0
    return change, Status.IMPROVED if better else Status.REGRESSED


def _warnings(current: RunRecord, baseline: Baseline) -> tuple[str, ...]:
    out = []
    other = sorted(baseline.machine_ids - {current.machine.machine_id})
    if other:
        out.append(f"different machine: current {current.machine.machine_id}, baseline {', '.join(other)}")
    dut = (current.dut.name, current.dut.cfg_sha256)
    if baseline.duts - {dut}:
        names = ", ".join(f"{n} (cfg {h[:12] or '-'})" for n, h in sorted(baseline.duts - {dut}))
        out.append(f"different DUT or cfg: current {dut[0]} (cfg {dut[1][:12] or '-'}), baseline {names}")
    if current.tool.dirty:
        out.append(f"current run {current.run_id} was made from a dirty checkout")
    return tuple(out)


def compare(
    current: RunRecord,
    baseline: Baseline,
    tolerance_pct: float = 5.0,
    per_metric_tolerance_pct: Mapping[str, float] | None = None,
) -> Comparison:
    """Compare every metric key of the current run and the baseline."""
    per_metric = dict(per_metric_tolerance_pct or {})
    for name, pct in [("default", tolerance_pct), *per_metric.items()]:
        if pct < 0:
            raise ValueError(f"tolerance ({name}) must be >= 0 %, got {pct}")
    base = {m.key: m for m in baseline.metrics}
    cur = {m.key: m for m in current.metrics}
    rows = []
    for key in [*cur, *(k for k in base if k not in cur)]:
        c, b = cur.get(key), base.get(key)
        ref = c or b
        assert ref is not None
        tol = per_metric.get(ref.name, tolerance_pct)
        if c is None or b is None:
            status = Status.MISSING if c is None else Status.NEW
            rows.append(MetricComparison(ref.name, ref.params, ref.unit, ref.direction,
                                         None if b is None else b.value,
                                         None if c is None else c.value, None, status, tol))
            continue
        change, status = classify(b.value, c.value, c.direction, tol)
        rows.append(MetricComparison(c.name, c.params, c.unit, c.direction, b.value, c.value, change, status, tol))
    return Comparison(current.run_id, baseline.label, tolerance_pct, tuple(rows), _warnings(current, baseline),
                      tuple(sorted(per_metric.items())))
