"""Run records: the schema every run writes (schema version 1), and its JSON codec.

Parameters are fields (name -> str/int/float/bool), never parsed back from test names.
Every metric declares its unit and its direction (higher or lower is better), so a comparison
never has to guess.
"""
from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

SCHEMA_VERSION = 1

ParamValue = str | int | float | bool
Params = tuple[tuple[str, ParamValue], ...]

_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
RESERVED_COLUMNS = frozenset({
    "run_id", "created_utc", "tool_version", "commit", "dirty", "dut_name", "dut_kind",
    "cfg_sha256", "machine_id", "metric", "value", "unit", "direction", "test_id", "test",
    "outcome", "duration_s", "findings", "message",
})


class RecordError(ValueError):
    """A record that cannot be built or read; the message names the file/field and reason."""


class Direction(enum.Enum):
    HIGHER_IS_BETTER = "higher-is-better"
    LOWER_IS_BETTER = "lower-is-better"


class Outcome(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


def freeze_params(params: Mapping[str, ParamValue]) -> Params:
    """Sorted, validated parameter pairs (names are snake_case and not table column names)."""
    out = []
    for name, value in sorted(params.items()):
        if not _PARAM_NAME.match(name) or name in RESERVED_COLUMNS:
            raise RecordError(
                f"parameter name {name!r} must be snake_case and not one of {sorted(RESERVED_COLUMNS)}"
            )
        if not isinstance(value, (str, int, float, bool)):
            raise RecordError(f"parameter {name!r}: value {value!r} must be str, int, float or bool")
        out.append((name, value))
    return tuple(out)


@dataclass(frozen=True)
class Metric:
    """One observation: ``value`` in ``unit`` (e.g. "pps", "ns", "Gbit/s", "ratio")."""

    name: str
    value: float
    unit: str
    direction: Direction
    params: Params = ()

    def __post_init__(self) -> None:
        if not isinstance(self.value, (int, float)) or not math.isfinite(self.value):
            raise RecordError(f"metric {self.name!r}: value {self.value!r} must be a finite number")

    @classmethod
    def of(cls, name: str, value: float, unit: str, direction: Direction, /, **params: ParamValue) -> Metric:
        return cls(name, float(value), unit, direction, freeze_params(params))

    @property
    def key(self) -> tuple[str, Params]:
        """Identity across runs: the name and the parameters."""
        return (self.name, self.params)


@dataclass(frozen=True)
class HistogramRecord:
    """A stored distribution (latency, ns): bin edges and counts, with its parameters."""

    name: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    unit: str = "ns"
    params: Params = ()


@dataclass(frozen=True)
class FindingRecord:
    """A conformance finding flattened to text (hex diff included) for storage and reports."""

    severity: str
    requirement: str
    field: str
    packet: str
    expected: str
    observed: str
    detail: str = ""
    hexdiff: str = ""

    @classmethod
    def from_finding(cls, finding: Any) -> FindingRecord:
        """From ``harness.verify.findings.Finding`` (duck-typed: this package imports no verifier)."""
        severity = getattr(finding.severity, "value", finding.severity)
        return cls(
            severity=str(severity),
            requirement=str(finding.requirement),
            field=str(finding.field),
            packet=str(finding.packet),
            expected=str(finding.expected),
            observed=str(finding.observed),
            detail=str(getattr(finding, "detail", "")),
            hexdiff=finding.hexdiff() if callable(getattr(finding, "hexdiff", None)) else "",
        )


@dataclass(frozen=True)
class Verdict:
    """One conformance test outcome; ``test`` is the test function, ``params`` its parameters."""

    test_id: str
    test: str
    outcome: Outcome
    params: Params = ()
    duration_s: float = 0.0
    findings: tuple[FindingRecord, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class ToolInfo:
    name: str
    version: str
    commit: str  # git commit of the tool, "" when not run from a git checkout
    dirty: bool  # uncommitted changes in the checkout


@dataclass(frozen=True)
class DutInfo:
    name: str  # e.g. "gateway_ref", "dpdk-ipsec-secgw"
    kind: str  # adapter kind: "reference-offline", "reference-live", "external"
    version: str = ""
    cfg_sha256: str = ""  # sha256 of the cfg text the DUT ran


@dataclass(frozen=True)
class MachineInfo:
    hostname: str
    platform: str
    cpu_model: str
    cores: int
    kernel: str
    python: str

    @property
    def machine_id(self) -> str:
        return f"{self.hostname}/{self.cpu_model}/{self.cores}c"


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    created_utc: datetime
    tool: ToolInfo
    dut: DutInfo
    machine: MachineInfo
    params: Params = ()
    metrics: tuple[Metric, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    histograms: tuple[HistogramRecord, ...] = ()
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.created_utc.tzinfo is None or self.created_utc.utcoffset() != timezone.utc.utcoffset(None):
            raise RecordError(f"run {self.run_id}: created_utc must be timezone-aware UTC")
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", self.run_id):
            raise RecordError(f"run id {self.run_id!r} may only hold letters, digits, '_', '.', '-'")
        keys = [m.key for m in self.metrics]
        if len(keys) != len(set(keys)):
            raise RecordError(f"run {self.run_id}: two metrics share a name and parameters")


# JSON codec -----------------------------------------------------------------------------------

def _params_out(params: Params) -> dict[str, ParamValue]:
    return dict(params)


def _params_in(raw: Mapping[str, ParamValue]) -> Params:
    return freeze_params(raw)


def to_dict(record: RunRecord) -> dict[str, Any]:
    """A JSON-ready dict (enums as their values, time as ISO 8601 with Z)."""
    return {
        "schema_version": record.schema_version,
        "run_id": record.run_id,
        "created_utc": record.created_utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "tool": vars(record.tool),
        "dut": vars(record.dut),
        "machine": vars(record.machine),
        "params": _params_out(record.params),
        "metrics": [
            {"name": m.name, "value": m.value, "unit": m.unit, "direction": m.direction.value,
             "params": _params_out(m.params)}
            for m in record.metrics
        ],
        "verdicts": [
            {"test_id": v.test_id, "test": v.test, "outcome": v.outcome.value,
             "params": _params_out(v.params), "duration_s": v.duration_s, "message": v.message,
             "findings": [vars(f) for f in v.findings]}
            for v in record.verdicts
        ],
        "histograms": [
            {"name": h.name, "unit": h.unit, "edges": list(h.edges), "counts": list(h.counts),
             "params": _params_out(h.params)}
            for h in record.histograms
        ],
    }


def from_dict(raw: Mapping[str, Any], source: str = "<record>") -> RunRecord:
    """Inverse of ``to_dict``; errors name ``source`` and the missing or bad field."""
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise RecordError(f"{source}: schema_version {version!r} is not supported (expected {SCHEMA_VERSION})")
    try:
        return RunRecord(
            run_id=raw["run_id"],
            created_utc=datetime.strptime(raw["created_utc"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc),
            tool=ToolInfo(**raw["tool"]),
            dut=DutInfo(**raw["dut"]),
            machine=MachineInfo(**raw["machine"]),
            params=_params_in(raw["params"]),
            metrics=tuple(
                Metric(m["name"], float(m["value"]), m["unit"], Direction(m["direction"]), _params_in(m["params"]))
                for m in raw["metrics"]
            ),
            verdicts=tuple(
                Verdict(v["test_id"], v["test"], Outcome(v["outcome"]), _params_in(v["params"]),
                        float(v["duration_s"]), tuple(FindingRecord(**f) for f in v["findings"]), v["message"])
                for v in raw["verdicts"]
            ),
            histograms=tuple(
                HistogramRecord(h["name"], tuple(h["edges"]), tuple(h["counts"]), h["unit"], _params_in(h["params"]))
                for h in raw["histograms"]
            ),
        )
    except KeyError as exc:
        raise RecordError(f"{source}: missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        if isinstance(exc, RecordError):
            raise RecordError(f"{source}: {exc}") from None
        raise RecordError(f"{source}: bad field value: {exc}") from None


def new_record(
    run_id: str,
    tool: ToolInfo,
    dut: DutInfo,
    machine: MachineInfo,
    params: Mapping[str, ParamValue] | None = None,
    metrics: tuple[Metric, ...] = (),
    verdicts: tuple[Verdict, ...] = (),
    histograms: tuple[HistogramRecord, ...] = (),
    created_utc: datetime | None = None,
) -> RunRecord:
    """Convenience constructor stamping the current UTC time unless one is given."""
    return RunRecord(
        run_id=run_id,
        created_utc=created_utc or datetime.now(timezone.utc),
        tool=tool,
        dut=dut,
        machine=machine,
        params=freeze_params(params or {}),
        metrics=metrics,
        verdicts=verdicts,
        histograms=histograms,
    )


