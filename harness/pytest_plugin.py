"""pytest plugin of the harness (entry point ``ipsec_harness``): options, fixtures, run records.

Options: ``--dut`` (``reference`` in process [default], ``reference-live`` in namespaces,
``external`` with ``--lab LAB.toml``), ``--profile`` (the book findings are judged by),
``--results-dir DIR`` (write a run record at the end: one verdict per test with its scenario
parameters as fields and its findings, DUT identity and cfg hashes, tool/machine provenance),
``--oracle`` (also decrypt sampled egress ESP with scapy, an independent implementation).

Fixtures: ``dut`` (session: the selected DUT, closed at the end; a DUT that cannot run here
makes every test using it skip with the reason), ``profile``, ``exchange`` (callable:
``exchange(scenario, streams) -> Exchange``, ``exchange.packets(scenario, packets)`` for
hand-built packets; every exchange is recorded for the run record), ``assert_conformant``.

This module imports only pytest and the standard library at import time (it is loaded by every
pytest run in an environment where the project is installed); the harness is imported lazily.
"""
from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.dut.base import Dut
    from harness.exchange import Exchange
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
                    help="also decrypt sampled egress ESP with scapy as an independent oracle")


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


class HarnessSession:
    """Per-run state (one object per pytest config, no module globals): the options, the
    DUT once opened, and a record per test."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.dut_name: str = config.getoption("--dut")
        self.lab: str | None = config.getoption("--lab")
        self.profile_name: str = config.getoption("--profile")
        results = config.getoption("--results-dir")
        self.results_dir = Path(results) if results else None
        self.oracle: bool = config.getoption("--oracle")
        self.tests: dict[str, TestRecord] = {}
        self.record_path: Path | None = None

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
        rec = self.tests.get(item.nodeid)
        if rec is None:
            rec = TestRecord(getattr(item, "originalname", item.name), _simple_params(item))
            self.tests[item.nodeid] = rec
        return rec

    def add_exchange(self, item: pytest.Item, ex: Exchange) -> None:
        rec = self.test_record(item)
        rec.exchanges.append(ex)
        _merge_params(rec.params, ex.params())

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

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.results_dir is None:
            return
        from harness.results.store import save_run  # noqa: PLC0415 - lazy, see module docstring

        self.record_path = save_run(self.run_record(), self.results_dir)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.record_path is not None:
            terminalreporter.write_line(f"ipsec-harness: run record written to {self.record_path}")

    def run_record(self) -> Any:
        from harness.results.provenance import machine_info, new_run_id, tool_info  # noqa: PLC0415
        from harness.results.record import DutInfo, FindingRecord, Outcome, Verdict, new_record  # noqa: PLC0415

        tool = tool_info()
        verdicts = []
        hashes: set[str] = set()
        for nodeid, rec in self.tests.items():
            findings = [FindingRecord.from_finding(f) for ex in rec.exchanges for f in ex.result.findings]
            hashes |= {ex.cfg_sha256 for ex in rec.exchanges}
            verdicts.append(Verdict(nodeid, rec.test, Outcome(rec.outcome), _freeze(rec.params), rec.duration_s,
                                    tuple(findings[:MAX_FINDINGS_PER_TEST]), rec.message))
        kind = DUT_KINDS[self.dut_name][2]
        name = "gateway_ref" if self.dut_name.startswith("reference") else f"external:{self.lab}"
        dut = DutInfo(name, kind, tool.version if name == "gateway_ref" else "", _combined_hash(hashes))
        from datetime import datetime, timezone  # noqa: PLC0415
        params = {"dut": self.dut_name, "profile": self.profile_name, "oracle": self.oracle,
                  "scenarios_cfg_count": len(hashes)}
        if self.lab:
            params["lab"] = self.lab
        now = datetime.now(timezone.utc)
        return new_record(new_run_id(now, tool.commit), tool, dut, machine_info(), params, verdicts=tuple(verdicts),
                          created_utc=now)


# Test parameters whose names are table columns of the results (``direction`` is a metric's
# direction there) are recorded under these names instead of being lost.
_RENAMED_PARAMS = {"direction": "traffic_direction"}


def _freeze(params: dict[str, Any]) -> Any:
    from harness.results.record import RESERVED_COLUMNS, freeze_params  # noqa: PLC0415

    renamed = {_RENAMED_PARAMS.get(k, k): v for k, v in params.items()}
    return freeze_params({k: v for k, v in renamed.items() if k not in RESERVED_COLUMNS})


def _combined_hash(hashes: set[str]) -> str:
    """The one cfg's sha256, or for several cfgs the sha256 of their sorted hashes (each test's
    own cfg hash is in its verdict's ``scenario_cfg_sha256``)."""
    if len(hashes) <= 1:
        return next(iter(hashes), "")
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()


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
    records them for the run record (and, with ``--oracle``, checks samples with scapy)."""

    def __init__(self, dut: Dut, profile: Profile, item: pytest.Item, session: HarnessSession) -> None:
        self.dut, self.profile, self._item, self._session = dut, profile, item, session
        self.history: list[Exchange] = []

    def _record(self, ex: Exchange) -> Exchange:
        if self._session.oracle:
            from harness.exchange import with_oracle  # noqa: PLC0415

            ex = with_oracle(ex)
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
    oracle = [o for o in getattr(ex, "oracle", ()) if o.failed]
    if oracle:
        lines.append("oracle disagreements: " + "; ".join(o.describe() for o in oracle))
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
