"""pytest plugin of the harness (entry point ``ipsec_harness``): options, fixtures, run records.

Options: ``--dut`` (``reference`` in process [default], ``reference-live`` in namespaces,
``external`` with ``--lab LAB.toml``), ``--profile`` (the book findings are judged by),
``--results-dir DIR`` (write a run record at the end: one verdict per test with its scenario
parameters as fields, the requirement ids its exchanges exercised and failed
(``requirements_exercised``/``requirements_failed``, comma-separated), its findings, DUT
identity and cfg hashes, tool/machine provenance), ``--oracle`` (also ask scapy and tshark
about ``--oracle-samples`` egress ESP frames per SA of every exchange, default 8: a
disagreement with the harness is an ``X-ORACLE`` FAIL finding, what an oracle cannot check an
INFO finding; per-oracle counts are verdict fields and the terminal summary says which oracle
checked what).

Fixtures: ``dut`` (session: the selected DUT, closed at the end; a DUT that cannot run here
makes every test using it skip with the reason), ``profile``, ``exchange`` (callable:
``exchange(scenario, streams) -> Exchange``, ``exchange.packets(scenario, packets)`` for
hand-built packets; every exchange is recorded for the run record), ``assert_conformant``.

pytest-xdist (``-n N``): each worker records its tests and hands its verdicts to the controller
(``workeroutput``), which writes the one run record. With the in-process reference DUT every
worker has its own DUT. ``reference-live`` and ``external`` DUTs are one device: every test
using ``dut`` is marked ``xdist_group("dut-<kind>")`` and the run needs ``--dist loadgroup``
so they all stay on one worker (refused otherwise); record ids drop xdist's ``@group`` suffix.

This module imports only pytest and the standard library at import time (it is loaded by every
pytest run in an environment where the project is installed); the harness is imported lazily,
record building included (``harness.pytest_records``).
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.cli_args import positive_int

if TYPE_CHECKING:
    from harness.dut.base import Dut
    from harness.exchange import Exchange
    from harness.results.record import Verdict
    from harness.verify.profiles import Profile
    from harness.verify.report import VerifyResult

DUT_KINDS: dict[str, tuple[str, str, str]] = {  # --dut name -> (module, class, record kind)
    "reference": ("harness.dut.reference", "ReferenceDut", "reference-offline"),
    "reference-live": ("harness.dut.reference_live", "ReferenceLiveDut", "reference-live"),
    "external": ("harness.dut.external", "ExternalDut", "external"),
}
PROFILE_NAMES = ("secgw-library", "secgw-legacy", "rfc-strict")
MARKERS = {
    "conformance": "conformance suite against a DUT",
    "negative": "negative suite against a DUT",
    "perf": "performance measurement",
    "live": "needs root and network namespaces",
    "oracle": "cross-checks against scapy or tshark",
    "slow": "long-running test",
}
MAX_FINDINGS_PER_TEST = 200
DEFAULT_ORACLE_SAMPLES = 8  # harness.oracles.sampled.DEFAULT_SAMPLES_PER_SA (not imported: scapy is slow)
WORKER_OUTPUT_KEY = "ipsec_harness_verdicts"
SHARED_DUTS = frozenset({"reference-live", "external"})  # one device: its tests stay on one xdist worker
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ipsec-harness", "IPsec gateway conformance harness")
    group.addoption("--dut", choices=sorted(DUT_KINDS), default="reference",
                    help="device under test: reference (in process, default), reference-live, external")
    group.addoption("--lab", default=None, metavar="LAB.toml", help="lab file for --dut external")
    group.addoption("--profile", choices=PROFILE_NAMES, default="secgw-library",
                    help="DUT behaviour profile findings are judged by (default secgw-library)")
    group.addoption("--results-dir", default=None, metavar="DIR",
                    help="write a run record (verdicts, findings, provenance) into DIR at the end")
    group.addoption("--oracle", action="store_true", default=False,
                    help="also check sampled egress ESP with scapy and tshark as independent oracles")
    group.addoption("--oracle-samples", type=positive_int, default=DEFAULT_ORACLE_SAMPLES, metavar="N",
                    help=f"egress ESP frames per SA and exchange the oracles check (default {DEFAULT_ORACLE_SAMPLES})")


@dataclass
class TestRecord:
    """What one test did: its parameters, its exchanges' findings, its outcome per phase."""

    test: str
    params: dict[str, Any] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    outcome: str = "passed"
    message: str = ""
    duration_s: float = 0.0


def _merge_params(into: dict[str, Any], more: dict[str, Any]) -> None:
    """Add ``more``; a name with different values across exchanges keeps them joined by ``+``."""
    for name, value in more.items():
        if name not in into or into[name] == value:
            into[name] = value
        else:
            old = {str(v) for v in str(into[name]).split("+")}
            into[name] = "+".join(sorted(old | {str(value)}))


def _simple_params(item: pytest.Item) -> dict[str, Any]:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return {}
    return {k: v for k, v in callspec.params.items()
            if _PARAM_NAME.match(k) and isinstance(v, (str, int, float, bool))}


def _group_suffix(item: pytest.Item) -> str:
    """The ``@group`` suffix xdist's loadgroup mode gives the id of a test marked ``xdist_group``."""
    groups = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
    return "@" + "_".join(sorted(groups)) if groups else ""


def _plain_nodeid(item: pytest.Item) -> str:
    """The test id without the ``@group`` suffix."""
    suffix = _group_suffix(item)
    return item.nodeid.removesuffix(suffix) if suffix else item.nodeid


def _ensure_group_suffixes(items: list[pytest.Item]) -> None:
    """Give grouped tests their ``@group`` id suffix where xdist could not: xdist 3.8 sets
    ``item._nodeid``, which pytest 9.2 no longer reads (ids live in ``item._id``), so without
    this every group would be silently spread over the workers."""
    for item in items:
        suffix = _group_suffix(item)
        if suffix and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = type(item._id).parse(item.nodeid + suffix)


class HarnessSession:
    """Per-run state (one object per pytest config, no module globals): the options, the
    DUT once opened, a record per test run here, and the verdicts xdist workers sent."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.dut_name: str = config.getoption("--dut")
        self.lab: str | None = config.getoption("--lab")
        self.profile_name: str = config.getoption("--profile")
        results = config.getoption("--results-dir")
        self.results_dir = Path(results) if results else None
        self.oracle: bool = config.getoption("--oracle")
        self.oracle_samples: int = config.getoption("--oracle-samples")
        self.tests: dict[str, TestRecord] = {}
        self.worker_verdicts: list[Verdict] = []
        self.worker_cfg_hashes: set[str] = set()
        self.record_path: Path | None = None
        self.is_worker = hasattr(config, "workerinput")
        self._check_distribution()

    def _check_distribution(self) -> None:
        """A shared DUT under xdist needs ``--dist loadgroup`` (its tests on one worker)."""
        workers = getattr(self.config.option, "numprocesses", None)
        dist = getattr(self.config.option, "dist", "no")
        if self.is_worker or not workers or self.dut_name not in SHARED_DUTS or dist == "loadgroup":
            return
        raise pytest.UsageError(f"--dut {self.dut_name} is one device: with -n {workers} add --dist loadgroup "
                                f"so every test using it runs on one worker (got --dist {dist})")

    def open_dut(self) -> Dut:
        """Build the selected DUT; ``DutUnavailable`` becomes a skip with its reason."""
        from harness.dut.base import DutUnavailable  # noqa: PLC0415 - lazy, see module docstring

        module_name, class_name, _ = DUT_KINDS[self.dut_name]
        if self.dut_name == "external" and not self.lab:
            pytest.skip("--dut external needs --lab LAB.toml (tester interfaces and DUT MACs)")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
            return cls(self.lab) if self.dut_name == "external" else cls()
        except DutUnavailable as exc:
            pytest.skip(f"DUT {self.dut_name} unavailable: {exc}")
        raise AssertionError("unreachable")  # pytest.skip raises

    def test_record(self, item: pytest.Item) -> TestRecord:
        nodeid = _plain_nodeid(item)
        rec = self.tests.get(nodeid)
        if rec is None:
            rec = TestRecord(getattr(item, "originalname", item.name), _simple_params(item))
            self.tests[nodeid] = rec
        return rec

    def add_exchange(self, item: pytest.Item, ex: Exchange) -> None:
        rec = self.test_record(item)
        rec.exchanges.append(ex)
        _merge_params(rec.params, ex.params())

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> Iterator[None]:
        """Tests of a shared DUT form one xdist group: marked before xdist reads the marks,
        their ids suffixed after it (see ``_ensure_group_suffixes``)."""
        shared = self.dut_name in SHARED_DUTS
        if shared:
            mark = pytest.mark.xdist_group(f"dut-{self.dut_name}")
            for item in items:
                if "dut" in getattr(item, "fixturenames", ()):
                    item.add_marker(mark)
        result = yield
        if shared and self.is_worker and getattr(self.config.option, "loadgroup", False):
            _ensure_group_suffixes(items)
        return result

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        rec = self.test_record(item)
        rec.duration_s += report.duration
        if hasattr(report, "wasxfail"):
            state = "skipped" if report.skipped else "failed"  # xfail counts as skipped, xpass(strict) fails
            if rec.outcome == "passed":
                rec.outcome, rec.message = state, f"xfail: {report.wasxfail}"
            return
        if report.failed:
            rec.outcome = "failed" if report.when == "call" else "error"
            rec.message = str(report.longrepr)[:4000]
        elif report.skipped and rec.outcome == "passed":
            rec.outcome = "skipped"
            longrepr = report.longrepr
            rec.message = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: take the verdicts a worker recorded (none if it crashed)."""
        payload = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
        if payload:
            from harness.pytest_records import verdict_from_wire  # noqa: PLC0415 - lazy, see module docstring

            self.worker_verdicts += [verdict_from_wire(v) for v in payload["verdicts"]]
            self.worker_cfg_hashes |= set(payload["cfg_hashes"])

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            if self.tests:  # handed to the controller, which writes the one record
                from harness.pytest_records import verdict_to_wire  # noqa: PLC0415

                self.config.workeroutput[WORKER_OUTPUT_KEY] = {  # type: ignore[attr-defined]
                    "verdicts": [verdict_to_wire(v) for v in self.local_verdicts()],
                    "cfg_hashes": sorted(self.local_cfg_hashes())}
            return
        if self.results_dir is None:
            return
        from harness.results.store import save_run  # noqa: PLC0415 - lazy, see module docstring

        self.record_path = save_run(self.run_record(), self.results_dir)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.oracle and not self.is_worker:
            from harness.pytest_records import oracle_summary  # noqa: PLC0415

            for line in oracle_summary(self.all_verdicts()):
                terminalreporter.write_line(line)
        if self.record_path is not None:
            terminalreporter.write_line(f"ipsec-harness: run record written to {self.record_path}")

    def local_cfg_hashes(self) -> set[str]:
        return {ex.cfg_sha256 for rec in self.tests.values() for ex in rec.exchanges}

    def local_verdicts(self) -> list[Verdict]:
        """A verdict per test run in this process, with its coverage fields."""
        from harness.pytest_records import coverage_params, freeze  # noqa: PLC0415
        from harness.results.record import FindingRecord, Outcome, Verdict  # noqa: PLC0415

        verdicts = []
        for nodeid, rec in self.tests.items():
            findings = [FindingRecord.from_finding(f) for ex in rec.exchanges for f in ex.result.findings]
            params = {**rec.params, **coverage_params(rec.exchanges)}
            verdicts.append(Verdict(nodeid, rec.test, Outcome(rec.outcome), freeze(params), rec.duration_s,
                                    tuple(findings[:MAX_FINDINGS_PER_TEST]), rec.message))
        return verdicts

    def all_verdicts(self) -> list[Verdict]:
        """This process's verdicts, then the workers' (by test id)."""
        return self.local_verdicts() + sorted(self.worker_verdicts, key=lambda v: v.test_id)

    def run_record(self) -> Any:
        from datetime import datetime, timezone  # noqa: PLC0415

        from harness.pytest_records import combined_hash  # noqa: PLC0415
        from harness.results.provenance import machine_info, new_run_id, tool_info  # noqa: PLC0415
        from harness.results.record import DutInfo, new_record  # noqa: PLC0415

        tool = tool_info()
        hashes = self.local_cfg_hashes() | self.worker_cfg_hashes
        kind = DUT_KINDS[self.dut_name][2]
        name = "gateway_ref" if self.dut_name.startswith("reference") else f"external:{self.lab}"
        dut = DutInfo(name, kind, tool.version if name == "gateway_ref" else "", combined_hash(hashes))
        params = {"dut": self.dut_name, "profile": self.profile_name, "oracle": self.oracle,
                  "scenarios_cfg_count": len(hashes)}
        if self.oracle:
            params["oracle_samples"] = self.oracle_samples
        if self.lab:
            params["lab"] = self.lab
        now = datetime.now(timezone.utc)
        return new_record(new_run_id(now, tool.commit), tool, dut, machine_info(), params,
                          verdicts=tuple(self.all_verdicts()), created_utc=now)


_SESSION = pytest.StashKey[HarnessSession]()


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    session = HarnessSession(config)
    config.stash[_SESSION] = session
    config.pluginmanager.register(session, "ipsec-harness-session")


def harness_session(config: pytest.Config) -> HarnessSession:
    return config.stash[_SESSION]


class ExchangeRunner:
    """The ``exchange`` fixture: runs exchanges on the session's DUT under its profile and
    records them for the run record (and, with ``--oracle``, has samples checked by scapy and
    tshark)."""

    def __init__(self, dut: Dut, profile: Profile, item: pytest.Item, session: HarnessSession) -> None:
        self.dut, self.profile, self._item, self._session = dut, profile, item, session
        self.history: list[Exchange] = []

    def _record(self, ex: Exchange) -> Exchange:
        if self._session.oracle:
            from harness.exchange import with_oracle  # noqa: PLC0415

            ex = with_oracle(ex, self._session.oracle_samples)
        self.history.append(ex)
        self._session.add_exchange(self._item, ex)
        return ex

    def __call__(self, scenario: Any, streams: Sequence[Any], **kwargs: Any) -> Exchange:
        """``run_exchange`` on the session DUT; kwargs: ``configure``, ``burst``, ``timeout_s``,
        ``profile`` (overrides the session profile)."""
        from harness.exchange import run_exchange  # noqa: PLC0415

        kwargs.setdefault("profile", self.profile)
        return self._record(run_exchange(self.dut, scenario, streams, **kwargs))

    def packets(self, scenario: Any, packets: Sequence[Any], **kwargs: Any) -> Exchange:
        """``send_packets`` on the session DUT (hand-built ``SentPacket``/``CraftedPacket``s)."""
        from harness.exchange import send_packets  # noqa: PLC0415

        kwargs.setdefault("profile", self.profile)
        return self._record(send_packets(self.dut, scenario, packets, **kwargs))


def check_conformant(result: Exchange | VerifyResult) -> None:
    """Fail the calling test when ``result`` did not pass, with the failed requirement ids and
    the rendered findings (hex diffs included)."""
    ex = result if hasattr(result, "sent") else None  # an Exchange, else a bare VerifyResult
    verdict = ex.result if ex is not None else result
    if (ex.passed if ex is not None else verdict.passed):
        return
    lines = [f"not conformant: requirements failed {sorted(verdict.requirements_failed) or '(none)'}"]
    report = getattr(ex, "oracle", None)
    if report is not None and report.disagreements:
        lines.append("oracle disagreements: " + "; ".join(c.describe() for c in report.disagreements))
    lines.append(ex.render() if ex is not None else verdict.render())
    pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    """The run's DUT profile (``--profile``)."""
    from harness.verify.profiles import get_profile  # noqa: PLC0415

    return get_profile(harness_session(request.config).profile_name)


@pytest.fixture(scope="session")
def dut(request: pytest.FixtureRequest) -> Iterator[Dut]:
    """The selected DUT for the whole session; closed at the end."""
    device = harness_session(request.config).open_dut()
    try:
        yield device
    finally:
        device.close()


@pytest.fixture
def exchange(request: pytest.FixtureRequest, dut: Dut, profile: Profile) -> ExchangeRunner:
    """``exchange(scenario, streams) -> Exchange`` on the session DUT, recorded for the run."""
    return ExchangeRunner(dut, profile, request.node, harness_session(request.config))


@pytest.fixture
def assert_conformant() -> Callable[[Any], None]:
    """``assert_conformant(exchange_or_result)``: fail with the findings unless it passed."""
    return check_conformant
