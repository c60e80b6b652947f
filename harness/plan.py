"""The nightly plan: one TOML file (``tomllib``) naming the DUT, the suites, the performance
sweep and the baseline policy. Errors name the file and the key (``plan.toml: perf.frame_sizes[2]:
...``); relative paths are relative to the plan file.

    [plan]      name, results_dir
    [dut]       kind = "reference" | "reference-live" | "external", lab = "lab.toml" (external)
    [[suite]]   name, paths = [...], markers = "conformance", timeout_s
    [perf]      layout, algorithms, frame_sizes (ints or "imix"), placements, directions,
                tunnels, trial_duration_s, offered_load_pps, max_frames, burst
    [perf.search]  live only: min_load_pps, max_load_pps, trial_duration_s, pdr_loss_ratio,
                   precision, max_trials, max_total_time_s
    [perf.back_to_back]  live only (RFC 2544 §26.4 bursts need a wire; an offline DUT gets a
                   PlanError naming the key): min_frames, max_frames, precision_frames,
                   max_trials (bursts per search), repetitions, max_total_time_s (per point)
    [perf.replay]  windows, depths, packets, every
    [baseline]  spec = "median:N" | "<run id>", tolerance_pct, [baseline.tolerance] per metric
"""
from __future__ import annotations

import enum
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from harness.measure.rates import IMIX_SIMPLE, FrameSize
from harness.measure.search import SearchParams
from harness.measure.burst import BurstParams
from harness.measure.sweep import CryptoDirection
from harness.perf.back_to_back import BackToBackPlan
from harness.perf.sweep import PerfSweep, ReplayPlan
from harness.scenario import SaType

T = TypeVar("T")
SUITE_TIMEOUT_S = 1800.0


class PlanError(ValueError):
    """A plan that cannot be used; the message names the file and key."""


class DutKind(enum.Enum):
    REFERENCE = "reference"
    REFERENCE_LIVE = "reference-live"
    EXTERNAL = "external"


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    paths: tuple[str, ...]
    markers: str = ""
    timeout_s: float = SUITE_TIMEOUT_S


@dataclass(frozen=True)
class BaselinePolicy:
    spec: str | None = None  # "median:N" or a run id; None: no comparison
    tolerance_pct: float = 5.0
    per_metric_pct: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    source: Path
    name: str
    results_dir: Path
    dut: DutKind
    lab: Path | None
    suites: tuple[SuiteSpec, ...]
    perf: PerfSweep | None
    baseline: BaselinePolicy
    back_to_back: BackToBackPlan | None = None  # [perf.back_to_back], live DUTs only


class _Table:
    """One TOML table with the file and key path it came from, for error messages."""

    def __init__(self, source: Path, where: str, raw: Any) -> None:
        self.source, self.where = source, where
        if not isinstance(raw, dict):
            self.fail(f"must be a table, got {type(raw).__name__}")
        self.raw: dict[str, Any] = raw
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def fail(self, message: str, key: str | None = None) -> None:
        raise PlanError(f"{self.source}: {key or self.where or '(top level)'}: {message}")

    def get(self, name: str, kind: type[T] | tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        self.used.add(name)
        if name not in self.raw:
            if required:
                self.fail("is required", self.key(name))
            return default
        value = self.raw[name]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            self.fail(f"must be {_kinds(kind)}, got {value!r}", self.key(name))
        if not isinstance(value, kind):
            self.fail(f"must be {_kinds(kind)}, got {value!r}", self.key(name))
        return value

    def items(self, name: str, convert: Callable[[Any, str], T], default: tuple[T, ...]) -> tuple[T, ...]:
        raw = self.get(name, list, None)
        if raw is None:
            return default
        if not raw:
            self.fail("must not be empty", self.key(name))
        return tuple(convert(v, f"{self.key(name)}[{i}]") for i, v in enumerate(raw))

    def table(self, name: str) -> _Table | None:
        raw = self.get(name, dict, None)
        return None if raw is None else _Table(self.source, self.key(name), raw)

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            self.fail(f"unknown key(s) {unknown}; allowed: {sorted(self.used)}")


def _kinds(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"str": "a string", "int": "an integer", "float": "a number", "list": "a list",
                        "dict": "a table", "bool": "true/false"}.get(k.__name__, k.__name__) for k in kinds)


def _enum(cls: type[enum.Enum], source: Path) -> Callable[[Any, str], Any]:
    def conv(value: Any, key: str) -> Any:
        try:
            return cls(value)
        except ValueError:
            raise PlanError(f"{source}: {key}: {value!r} is not one of {[e.value for e in cls]}") from None
    return conv


def _frame(source: Path) -> Callable[[Any, str], FrameSize]:
    def conv(value: Any, key: str) -> FrameSize:
        if value == "imix":
            return IMIX_SIMPLE
        if isinstance(value, int) and not isinstance(value, bool) and 64 <= value <= 9018:
            return value
        raise PlanError(f"{source}: {key}: {value!r} is not a frame size (an integer 64..9018 or \"imix\")")
    return conv


def _positive_ints(source: Path) -> Callable[[Any, str], int]:
    def conv(value: Any, key: str) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        raise PlanError(f"{source}: {key}: {value!r} must be an integer >= 1")
    return conv


def _search(t: _Table) -> SearchParams:
    num = (int, float)
    kw = {name: t.get(name, num) for name in ("min_load_pps", "max_load_pps", "trial_duration_s",
                                              "pdr_loss_ratio", "precision", "max_total_time_s")}
    kw["max_trials"] = t.get("max_trials", int)
    t.done()
    for name in ("min_load_pps", "max_load_pps"):
        if kw[name] is None:
            t.fail("is required", t.key(name))
    try:
        return SearchParams(**{k: v for k, v in kw.items() if v is not None})
    except ValueError as exc:
        t.fail(str(exc))
        raise  # unreachable: fail raises


def _replay(t: _Table) -> ReplayPlan:
    pos = _positive_ints(t.source)
    d = ReplayPlan()
    plan = ReplayPlan(windows=t.items("windows", pos, d.windows),
                      depths=t.items("depths", lambda v, k: 0 if v == 0 else pos(v, k), d.depths),
                      packets=pos(t.get("packets", int, d.packets), t.key("packets")),
                      every=pos(t.get("every", int, d.every), t.key("every")))
    t.done()
    return plan


def _back_to_back(t: _Table) -> BackToBackPlan:
    pos = _positive_ints(t.source)

    def count(name: str, default: int | None = None) -> int:
        value = t.get(name, int, default, required=default is None)
        return pos(value, t.key(name))

    min_frames, max_frames = count("min_frames"), count("max_frames")
    precision, max_trials = count("precision_frames", BurstParams.precision_frames), count(
        "max_trials", BurstParams.max_trials)
    repetitions = count("repetitions", BackToBackPlan.repetitions)
    budget = float(t.get("max_total_time_s", (int, float), BackToBackPlan.max_total_time_s))
    t.done()
    try:
        return BackToBackPlan(BurstParams(min_frames, max_frames, precision, max_trials), repetitions, budget)
    except ValueError as exc:
        t.fail(str(exc))
        raise


def _perf(t: _Table) -> tuple[PerfSweep, BackToBackPlan | None]:
    src, d = t.source, PerfSweep()
    num = (int, float)
    search, replay, b2b = t.table("search"), t.table("replay"), t.table("back_to_back")
    kw: dict[str, Any] = {
        "layout": t.get("layout", str, d.layout),
        "algorithms": t.items("algorithms", lambda v, k: v if isinstance(v, str) else t.fail("must be a string", k),
                              d.algorithms),
        "frame_sizes": t.items("frame_sizes", _frame(src), d.frame_sizes),
        "placements": t.items("placements", _enum(SaType, src), d.placements),
        "directions": t.items("directions", _enum(CryptoDirection, src), d.directions),
        "tunnels": t.items("tunnels", _positive_ints(src), d.tunnels),
        "trial_duration_s": float(t.get("trial_duration_s", num, d.trial_duration_s)),
        "offered_load_pps": float(t.get("offered_load_pps", num, d.offered_load_pps)),
        "max_frames": _positive_ints(src)(t.get("max_frames", int, d.max_frames), t.key("max_frames")),
        "burst": _positive_ints(src)(t.get("burst", int, d.burst), t.key("burst")),
        "search": None if search is None else _search(search),
        "replay": None if replay is None else _replay(replay),
    }
    t.done()
    if kw["trial_duration_s"] <= 0 or kw["offered_load_pps"] <= 0:
        t.fail("trial_duration_s and offered_load_pps must be > 0")
    try:
        sweep = PerfSweep(**kw)
    except ValueError as exc:
        t.fail(str(exc))
        raise
    return sweep, None if b2b is None else _back_to_back(b2b)


def _suites(top: _Table) -> tuple[SuiteSpec, ...]:
    raw = top.get("suite", list, [])
    out = []
    for i, item in enumerate(raw):
        t = _Table(top.source, f"suite[{i}]", item)
        paths = t.items("paths", lambda v, k: v if isinstance(v, str) else t.fail("must be a string", k), ())
        if not paths:
            t.fail("is required", t.key("paths"))
        timeout = float(t.get("timeout_s", (int, float), SUITE_TIMEOUT_S))
        if timeout <= 0:
            t.fail("must be > 0", t.key("timeout_s"))
        base = top.source.parent
        out.append(SuiteSpec(t.get("name", str, required=True), tuple(str((base / p).resolve()) for p in paths),
                             t.get("markers", str, ""), timeout))
        t.done()
    return tuple(out)


def _baseline(t: _Table | None) -> BaselinePolicy:
    if t is None:
        return BaselinePolicy()
    spec = t.get("spec", str)
    tol = float(t.get("tolerance_pct", (int, float), 5.0))
    per = t.table("tolerance")
    per_metric: dict[str, float] = {}
    if per is not None:
        for name in list(per.raw):
            per_metric[name] = float(per.get(name, (int, float)))
        per.done()
    t.done()
    for name, value in [("tolerance_pct", tol), *per_metric.items()]:
        if value < 0:
            t.fail(f"{value} must be >= 0 %", t.key(name))
    return BaselinePolicy(spec, tol, per_metric)


def parse_plan(text: str, source: Path) -> Plan:
    """A ``Plan`` from TOML ``text`` read from ``source``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{source}: not valid TOML: {exc}") from None
    top = _Table(source, "", raw)
    plan_t = top.table("plan") or _Table(source, "plan", {})
    dut_t = top.table("dut") or _Table(source, "dut", {})
    perf_t = top.table("perf")
    base = source.parent
    name = plan_t.get("name", str, source.stem)
    results = (base / plan_t.get("results_dir", str, f"results/{name}")).resolve()
    plan_t.done()
    dut = _enum(DutKind, source)(dut_t.get("kind", str, DutKind.REFERENCE.value), "dut.kind")
    lab_raw = dut_t.get("lab", str)
    dut_t.done()
    if dut is DutKind.EXTERNAL and lab_raw is None:
        dut_t.fail("is required when dut.kind is external", "dut.lab")
    suites = _suites(top)
    perf, b2b = (None, None) if perf_t is None else _perf(perf_t)
    if b2b is not None and dut is DutKind.REFERENCE:
        raise PlanError(f"{source}: perf.back_to_back: back-to-back bursts need a wire: dut.kind must be "
                        f"{DutKind.REFERENCE_LIVE.value!r} or {DutKind.EXTERNAL.value!r}, not {dut.value!r}")
    baseline = _baseline(top.table("baseline"))
    top.done()
    return Plan(source, name, results, dut, None if lab_raw is None else (base / lab_raw).resolve(), suites, perf,
                baseline, b2b)


def load_plan(path: Path | str) -> Plan:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise PlanError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_plan(text, path)
