"""``ipsec-harness run`` (a one-shot performance sweep + report) and ``ipsec-harness nightly
PLAN.toml`` (suites + sweep + history + report + regression check).

Against a live DUT the sweep is an RFC 2544 NDR/PDR search per point; with a back-to-back
plan (``[perf.back_to_back]``, or ``run --b2b-max-frames``) each point's search is followed by
its RFC 2544 §26.4 back-to-back searches (``harness.perf.back_to_back``: ``b2b_frames``).

``nightly``: each ``[[suite]]`` runs in a subprocess ``python -m pytest PATHS [-m MARKERS]
--dut KIND [--lab LAB] --results-dir DIR/suites/NAME`` (bounded by its timeout) so the
plugin writes its run record; their verdicts, the sweep's metrics and histograms become ONE
run record saved in the plan's results directory (JSON + Parquet + history), then the HTML
report is written (``reports.cli.report_command``) and the run is compared with the plan's
baseline using the per-metric tolerances. Exit codes: 0 fine, 1 a conformance failure or a
regression, 2 bad input (one line on stderr). Progress bars (rich) only on a TTY without
``CI=true``.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from harness.dut.base import Dut, DutUnavailable
from harness.measure.burst import BurstParams
from harness.measure.rates import IMIX_SIMPLE, FrameSize
from harness.measure.search import SearchParams
from harness.measure.sweep import CryptoDirection
from harness.perf.back_to_back import BackToBackPlan, with_back_to_back
from harness.perf.offline import MAX_TRIAL_FRAMES
from harness.perf.sweep import PerfSweep, Progress, run_live, run_offline
from harness.plan import BaselinePolicy, DutKind, Plan, PlanError, SuiteSpec, load_plan
from harness.results.provenance import machine_info, new_run_id, tool_info
from harness.results.record import (
    DutInfo, HistogramRecord, Metric, Outcome, RecordError, RunRecord, Verdict, new_record)
from harness.results.store import load_runs, save_run
from harness.scenario import SaType

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2
DUT_KIND_NAMES = {DutKind.REFERENCE: "reference-offline", DutKind.REFERENCE_LIVE: "reference-live",
                  DutKind.EXTERNAL: "external"}
PYTEST_NO_TESTS = 5
OFFLINE_MAX_FRAMES = 20_000


def make_dut(kind: DutKind, lab: Path | None) -> Dut:
    """The DUT adapter for ``kind`` (imported lazily: the live ones need privileges)."""
    if kind is DutKind.REFERENCE:
        from harness.dut.reference import ReferenceDut  # noqa: PLC0415
        return ReferenceDut()
    if kind is DutKind.REFERENCE_LIVE:
        from harness.dut.reference_live import ReferenceLiveDut  # noqa: PLC0415
        return ReferenceLiveDut()
    from harness.dut.external import ExternalDut  # noqa: PLC0415
    if lab is None:
        raise PlanError("--dut external needs a lab file")
    return ExternalDut(lab)


def quiet() -> bool:
    return not sys.stderr.isatty() or os.environ.get("CI", "").lower() == "true"


@contextmanager
def progress_bar(total: int, what: str) -> Iterator[Progress]:
    """A rich progress bar on a TTY (``advance(label)`` per unit); a no-op otherwise."""
    if quiet():
        yield lambda _label: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn  # noqa: PLC0415
    with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
             TextColumn("{task.fields[label]}"), transient=True) as bar:
        task = bar.add_task(what, total=total, label="")
        yield lambda label: bar.update(task, advance=1, label=label)


def sweep_cfg_sha256(sweep: PerfSweep) -> str:
    """One hash over every cfg the sweep runs (so baselines warn when the cfgs changed)."""
    h = hashlib.sha256()
    texts: dict[int, bytes] = {}  # cases share scenarios; a 10 000-tunnel cfg is 5 MB
    for _, scenario in sweep.cases():
        if id(scenario) not in texts:
            texts[id(scenario)] = scenario.to_cfg().encode()
        h.update(texts[id(scenario)])
    return h.hexdigest()


def run_perf(sweep: PerfSweep, kind: DutKind, lab: Path | None,
             b2b: BackToBackPlan | None = None) -> tuple[list[Metric], list[HistogramRecord]]:
    """The sweep on a fresh DUT of ``kind``; offline trials for the reference, search otherwise,
    each point's search followed by its back-to-back searches when ``b2b`` is given (live only:
    a ``PlanError`` for the offline reference)."""
    if b2b is not None and kind is DutKind.REFERENCE:
        raise PlanError("back-to-back bursts need a wire: use --dut reference-live or external")
    metrics: list[Metric] = []
    hists: list[HistogramRecord] = []
    dut = make_dut(kind, lab)
    try:
        units = sweep.work_units + (0 if b2b is None else len(sweep.points()))
        with progress_bar(units, "performance") as advance:
            if kind is DutKind.REFERENCE:
                results = run_offline(sweep, dut, advance)
            elif b2b is None:
                results = run_live(sweep, dut, advance)
            else:
                results = with_back_to_back(sweep, b2b, dut, advance, log=lambda line: print(line, file=sys.stderr))
            for m, h in results:
                metrics += m
                hists += h
    finally:
        dut.close()
    return metrics, hists


def suite_command(suite: SuiteSpec, kind: DutKind, lab: Path | None, results_dir: Path) -> list[str]:
    argv = [sys.executable, "-m", "pytest", *suite.paths, "-q", "-p", "no:cacheprovider",
            "--dut", kind.value, "--results-dir", str(results_dir)]
    if suite.markers:
        argv += ["-m", suite.markers]
    if lab is not None:
        argv += ["--lab", str(lab)]
    return argv


def run_suite(suite: SuiteSpec, kind: DutKind, lab: Path | None, results_dir: Path, cwd: Path) -> list[Verdict]:
    """The suite's verdicts from the plugin's run record; one summary verdict when pytest wrote
    none (no tests, a usage error, a timeout)."""
    argv = suite_command(suite, kind, lab, results_dir)
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=suite.timeout_s, check=False)
        code, tail = done.returncode, (done.stdout + done.stderr).strip().splitlines()[-3:]
    except subprocess.TimeoutExpired:
        code, tail = -1, [f"timed out after {suite.timeout_s} s"]
    try:
        verdicts = [v for r in load_runs(results_dir) for v in r.verdicts]
    except RecordError:
        verdicts = []
    if verdicts:
        return verdicts
    outcome = Outcome.SKIPPED if code == PYTEST_NO_TESTS else Outcome.PASSED if code == 0 else Outcome.ERROR
    return [Verdict(f"suite-{suite.name}", f"suite:{suite.name}", outcome,
                    message=f"pytest exit {code}: {' | '.join(tail)}")]


def failed(verdicts: Sequence[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if v.outcome in (Outcome.FAILED, Outcome.ERROR)]


def build_record(plan_name: str, kind: DutKind, sweep: PerfSweep | None, verdicts: Sequence[Verdict],
                 metrics: Sequence[Metric], hists: Sequence[HistogramRecord],
                 b2b: BackToBackPlan | None = None) -> RunRecord:
    tool = tool_info()
    now = datetime.now(timezone.utc)
    dut = DutInfo("gateway_ref" if kind is not DutKind.EXTERNAL else "external", DUT_KIND_NAMES[kind],
                  cfg_sha256=sweep_cfg_sha256(sweep) if sweep else "")
    params: dict[str, str | int | float | bool] = {"plan": plan_name}
    if sweep is not None:
        params |= {"trial_duration_s": sweep.trial_duration_s, "max_frames": sweep.max_frames, "burst": sweep.burst,
                   "measure": "offline" if kind is DutKind.REFERENCE else "live"}
        if sweep.search is not None:
            params |= {f"search_{k}": v for k, v in vars(sweep.search).items()}
        if b2b is not None:
            params |= {f"b2b_{k}": v for k, v in vars(b2b.params).items()}
            params |= {"b2b_repetitions": b2b.repetitions, "b2b_max_total_time_s": b2b.max_total_time_s}
    return new_record(new_run_id(now, tool.commit), tool, dut, machine_info(), params, tuple(metrics),
                      tuple(verdicts), tuple(hists), created_utc=now)


def usable_baseline(results_dir: Path, record: RunRecord, spec: str | None) -> str | None:
    """``spec``, or None (with a note) when it is ``median:N`` and there is no earlier run yet:
    the first nightly of a results directory has nothing to compare with."""
    from harness.results.history import History  # noqa: PLC0415
    from harness.results.store import HISTORY_FILE  # noqa: PLC0415
    if spec is None or not spec.startswith("median:"):
        return spec
    with History(results_dir / HISTORY_FILE) as history:
        if history.last(1, exclude=record.run_id):
            return spec
    print(f"baseline {spec}: no earlier run in {results_dir} yet, nothing to compare", file=sys.stderr)
    return None


def check_baseline(results_dir: Path, record: RunRecord, spec: str, policy: BaselinePolicy) -> bool:
    """True when a metric regressed beyond its tolerance; prints the regressions."""
    from reports.cli import resolve_baseline  # noqa: PLC0415 - reports is only needed here
    from reports.compare import Status, compare  # noqa: PLC0415
    comparison = compare(record, resolve_baseline(results_dir, record, spec), policy.tolerance_pct,
                         dict(policy.per_metric_pct))
    for row in comparison.by_status(Status.REGRESSED):
        params = ", ".join(f"{k}={v}" for k, v in row.params)
        print(f"regressed: {row.name} [{params}] {row.baseline:.4g} -> {row.current:.4g} {row.unit} "
              f"({row.change_pct:+.1f} %)", file=sys.stderr)
    return comparison.regressed


def nightly(plan: Plan, cwd: Path | None = None) -> int:
    """Run ``plan``; see the module docstring for the steps and exit codes."""
    from reports.cli import report_command  # noqa: PLC0415
    cwd = cwd or Path.cwd()
    results = plan.results_dir
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    verdicts: list[Verdict] = []
    for suite in plan.suites:
        print(f"suite {suite.name}: {' '.join(suite.paths)}", file=sys.stderr)
        verdicts += run_suite(suite, plan.dut, plan.lab, results / "suites" / stamp / suite.name, cwd)
    metrics: list[Metric] = []
    hists: list[HistogramRecord] = []
    if plan.perf is not None:
        metrics, hists = run_perf(plan.perf, plan.dut, plan.lab, plan.back_to_back)
    record = build_record(plan.name, plan.dut, plan.perf, verdicts, metrics, hists, plan.back_to_back)
    save_run(record, results)
    spec = usable_baseline(results, record, plan.baseline.spec)
    regressed = spec is not None and check_baseline(results, record, spec, plan.baseline)
    report_rc = report_command(results, spec, tolerance_pct=plan.baseline.tolerance_pct,
                               per_metric_tolerance_pct=dict(plan.baseline.per_metric_pct))
    bad = failed(verdicts)
    for v in bad:
        print(f"FAILED: {v.test_id}: {v.message[:200]}", file=sys.stderr)
    print(f"run {record.run_id}: {len(verdicts)} verdicts ({len(bad)} failed), {len(metrics)} metrics"
          + (", REGRESSED" if regressed else ""), file=sys.stderr)
    if report_rc == EXIT_BAD_INPUT:
        return EXIT_BAD_INPUT
    return EXIT_FAIL if bad or regressed else EXIT_OK


def _nightly_handler(ns: argparse.Namespace) -> int:
    try:
        plan = load_plan(ns.plan)
        if ns.results_dir is not None:
            plan = replace(plan, results_dir=ns.results_dir)
        return nightly(plan)
    except (PlanError, RecordError, DutUnavailable, ValueError) as exc:
        print(f"ipsec-harness nightly: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _frame_arg(text: str) -> FrameSize:
    if text == "imix":
        return IMIX_SIMPLE
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 64 <= value <= 9018:
        raise argparse.ArgumentTypeError(f"{text!r} is not a frame size (64..9018 or imix)")
    return value


def _csv(kind):  # type: ignore[no-untyped-def]
    def parse(text: str) -> tuple:  # type: ignore[type-arg]
        try:
            return tuple(kind(t.strip()) for t in text.split(",") if t.strip())
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def run_search(ns: argparse.Namespace, kind: DutKind) -> SearchParams | None:
    """The NDR/PDR search of ``run`` for a live DUT (None offline)."""
    if kind is DutKind.REFERENCE:
        return None
    return SearchParams(min_load_pps=ns.min_load, max_load_pps=ns.max_load, trial_duration_s=ns.trial,
                        pdr_loss_ratio=ns.pdr_loss, precision=ns.precision, max_trials=ns.max_trials,
                        max_total_time_s=ns.max_search_time)


def run_back_to_back(ns: argparse.Namespace) -> BackToBackPlan | None:
    """The back-to-back plan of ``run`` (None without ``--b2b-max-frames``)."""
    if ns.b2b_max_frames is None:
        return None
    return BackToBackPlan(BurstParams(ns.b2b_min_frames, ns.b2b_max_frames, ns.b2b_precision, ns.b2b_max_trials),
                          ns.b2b_repetitions, ns.b2b_max_time)


def _run_handler(ns: argparse.Namespace) -> int:
    from reports.cli import report_command  # noqa: PLC0415
    layout, _, algo = ns.scenario.partition("-")
    try:
        kind = DutKind(ns.dut)
        sweep = PerfSweep(layout=layout, algorithms=(algo,), frame_sizes=ns.sizes, placements=ns.placements,
                          directions=ns.directions, tunnels=ns.tunnels, trial_duration_s=ns.duration,
                          offered_load_pps=ns.load, search=run_search(ns, kind),
                          max_frames=ns.max_frames or (OFFLINE_MAX_FRAMES if kind is DutKind.REFERENCE else MAX_TRIAL_FRAMES))
        b2b = run_back_to_back(ns)
        metrics, hists = run_perf(sweep, kind, ns.lab, b2b)
        record = build_record(f"run-{ns.scenario}", kind, sweep, (), metrics, hists, b2b)
        save_run(record, ns.results_dir)
    except (PlanError, RecordError, DutUnavailable, ValueError) as exc:
        print(f"ipsec-harness run: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return report_command(ns.results_dir, ns.baseline)


def add_subparsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Mount ``run`` and ``nightly``; each sets ``handler(namespace) -> int``."""
    run = subparsers.add_parser("run", help="one-shot performance sweep of a scenario + HTML report")
    run.add_argument("--scenario", required=True, help="preset name, e.g. tun44-aes128gcm (no SA-type modifier)")
    run.add_argument("--dut", choices=[k.value for k in DutKind], default="reference")
    run.add_argument("--lab", type=Path, help="lab file for --dut external")
    run.add_argument("--sizes", type=_csv(_frame_arg), default=(64, 512, 1518), help="frame sizes, e.g. 64,512,imix")
    run.add_argument("--placements", type=_csv(SaType), default=(SaType.NO_OFFLOAD, SaType.INLINE_CRYPTO),
                     help="SA types, e.g. no-offload,cpu-crypto,inline-crypto-offload")
    run.add_argument("--directions", type=_csv(CryptoDirection), default=tuple(CryptoDirection),
                     help="encrypt,decrypt")
    run.add_argument("--duration", type=float, default=0.2, help="trial duration, s (default 0.2)")
    run.add_argument("--load", type=float, default=50_000, help="offered load, pps (offline: sets the count)")
    run.add_argument("--max-frames", type=int, help="frames per trial at most (<= 200000; default 20000 offline, "
                     "200000 live so a search trial lasts its full duration)")
    run.add_argument("--tunnels", type=_csv(int), default=(1,), help="tunnel counts, e.g. 1,10,100,1000,10000")
    live = run.add_argument_group("live DUTs (reference-live, external): RFC 2544 NDR/PDR search")
    live.add_argument("--min-load", type=float, default=5_000, help="lowest offered load, pps (default 5000)")
    live.add_argument("--max-load", type=float, default=300_000, help="highest offered load, pps (default 300000)")
    live.add_argument("--trial", type=float, default=0.5, help="search trial duration, s (default 0.5)")
    live.add_argument("--max-trials", type=int, default=10, help="search trials per point at most (default 10)")
    live.add_argument("--max-search-time", type=float, default=60.0, help="search time per point at most, s")
    live.add_argument("--pdr-loss", type=float, default=0.005, help="PDR loss ratio (default 0.005)")
    live.add_argument("--precision", type=float, default=0.05, help="relative search precision (default 0.05)")
    b2b = run.add_argument_group("live DUTs: RFC 2544 §26.4 back-to-back bursts after each point's search")
    b2b.add_argument("--b2b-max-frames", type=int, help="longest burst tried, frames (<= 200000); enables the search")
    b2b.add_argument("--b2b-min-frames", type=int, default=100, help="shortest burst tried, frames (default 100)")
    b2b.add_argument("--b2b-precision", type=int, default=100, help="stop when the bounds are this close, frames "
                     "(default 100)")
    b2b.add_argument("--b2b-max-trials", type=int, default=12, help="bursts per search at most (default 12)")
    b2b.add_argument("--b2b-repetitions", type=int, default=2, help="searches per point (default 2; RFC 2544: 50)")
    b2b.add_argument("--b2b-max-time", type=float, default=30.0, help="back-to-back time per point at most, s "
                     "(default 30)")
    run.add_argument("--results-dir", type=Path, default=Path("results/run"))
    run.add_argument("--baseline", help="run id or median:N to compare with")
    run.set_defaults(handler=_run_handler)
    night = subparsers.add_parser("nightly", help="run a nightly plan: suites, sweep, history, report")
    night.add_argument("plan", type=Path, help="plan TOML (see examples/nightly-plan.toml)")
    night.add_argument("--results-dir", type=Path, help="override the plan's results_dir")
    night.set_defaults(handler=_nightly_handler)
