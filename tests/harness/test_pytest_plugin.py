"""The harness pytest plugin, run in inner pytest sessions (pytester): options, DUT selection
and skips, the exchange/assert_conformant fixtures, profiles, the run record with per-test
requirement coverage, both oracles on samples, and pytest-xdist (one record from all workers,
shared DUTs kept on one worker)."""
from __future__ import annotations

from importlib.metadata import entry_points

import pytest

# imported here so the inner sessions find them loaded (pytester drops modules an inner run
# imported, and cryptography's bindings do not survive being imported twice)
import gateway_ref.gateway  # noqa: F401
import harness.oracles.sampled  # noqa: F401
import pandas.core.arrays.arrow.extension_types  # noqa: F401 - registers pyarrow types once (to_parquet)
import harness.dut.reference  # noqa: F401
import harness.exchange  # noqa: F401
import harness.oracles.scapy_oracle  # noqa: F401
import harness.results.provenance  # noqa: F401
from harness.oracles.tshark_oracle import tshark_path
from harness.results.store import load_runs

pytest_plugins = ["pytester"]
# inner sessions load the plugin through the installed entry point, else explicitly
_INSTALLED = any(ep.value == "harness.pytest_plugin" for ep in entry_points(group="pytest11"))
PLUGIN = [] if _INSTALLED else ["-p", "harness.pytest_plugin"]

PASSING = '''
import pytest
from harness.scenario.presets import build_preset
from harness.stream.policy_streams import policy_streams

@pytest.mark.conformance
@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "tun66-aes128gcm-esn-w64"])
def test_policies(preset, exchange, assert_conformant):
    sc = build_preset(preset)
    assert_conformant(exchange(sc, list(policy_streams(sc, 4).values())))
'''

CORRUPTING_CONFTEST = '''
import pytest
from harness.dut.base import ReceivedFrame
from harness.dut.reference import ReferenceDut

class Corrupting(ReferenceDut):
    name = "corrupting"
    def collect(self):
        return [ReceivedFrame(r.port, r.ts_ns, r.frame[:-1] + bytes([r.frame[-1] ^ 1])) if r.port == 0 else r
                for r in super().collect()]

@pytest.fixture(scope="session")
def dut():
    d = Corrupting()
    yield d
    d.close()
'''


def test_options_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*PLUGIN, "--help")
    result.stdout.fnmatch_lines(["*--dut=*", "*--lab=LAB.toml*", "*--profile=*", "*--results-dir=DIR*", "*--oracle*"])


def test_bad_option_value_is_rejected(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*PLUGIN, "--dut", "nonesuch")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--dut*invalid choice*nonesuch*"])


def test_reference_dut_runs_conformance_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PASSING)
    result = pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert "run record written" not in result.stdout.str()  # no --results-dir, no record


def test_external_without_lab_skips_with_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PASSING)
    result = pytester.runpytest(*PLUGIN, "--dut", "external", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*needs --lab LAB.toml*"])


def test_dut_unavailable_becomes_skip_with_its_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PASSING)
    result = pytester.runpytest(*PLUGIN, "--dut", "external", "--lab", "missing-lab.toml", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*DUT external unavailable:*missing-lab.toml*"])


def test_failing_dut_fails_with_findings(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CORRUPTING_CONFTEST)
    pytester.makepyfile(PASSING)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*not conformant: requirements failed*", "*verdict: FAIL*", "*FAIL *port 0*"])


def test_profile_option_reaches_the_verdict(pytester: pytest.Pytester) -> None:
    """The reference gateway keeps the inner TTL (secgw library): conformant under the default
    profile, an A7 failure under rfc-strict."""
    pytester.makepyfile(PASSING)
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=2)
    strict = pytester.runpytest(*PLUGIN, "--profile", "rfc-strict")
    strict.assert_outcomes(failed=2)
    strict.stdout.fnmatch_lines(["*requirements failed*A7*", "*profile rfc-strict*"])


def test_results_dir_writes_run_record(pytester: pytest.Pytester, tmp_path) -> None:
    pytester.makeconftest(CORRUPTING_CONFTEST)
    pytester.makepyfile(PASSING + '''
def test_plain_skip():
    pytest.skip("nothing to do")
''')
    results = tmp_path / "results"
    result = pytester.runpytest(*PLUGIN, "--results-dir", str(results))
    result.assert_outcomes(failed=2, skipped=1)
    result.stdout.fnmatch_lines(["*run record written to*"])
    (run,) = load_runs(results)
    assert run.dut.kind == "reference-offline" and len(run.dut.cfg_sha256) == 64
    assert dict(run.params)["profile"] == "secgw-library" and run.tool.name == "ipsec-harness"
    verdicts = {v.test_id.split("::")[-1]: v for v in run.verdicts}
    assert set(verdicts) == {"test_policies[tun44-aes128gcm]", "test_policies[tun66-aes128gcm-esn-w64]",
                             "test_plain_skip"}
    v = verdicts["test_policies[tun66-aes128gcm-esn-w64]"]
    params = dict(v.params)
    assert v.outcome.value == "failed" and v.test == "test_policies"
    assert params["preset"] == "tun66-aes128gcm-esn-w64" and params["scenario"] == "tun66-aes128gcm-esn-w64"
    assert params["esn"] is True and params["replay_window"] == 64 and params["inner_family"] == "ipv6"
    assert len(params["scenario_cfg_sha256"]) == 64
    assert v.findings and any(f.severity == "FAIL" for f in v.findings)
    failed = set(params["requirements_failed"].split(","))
    assert failed == {f.requirement for f in v.findings if f.severity == "FAIL"}
    assert failed < set(params["requirements_exercised"].split(",")) and "A1" in params["requirements_exercised"]
    assert verdicts["test_plain_skip"].outcome.value == "skipped"
    assert "requirements_exercised" not in dict(verdicts["test_plain_skip"].params)  # no exchange, no claim
    assert "nothing to do" in verdicts["test_plain_skip"].message


ORACLE_TESTS = '''
import pytest
from harness.scenario.presets import build_preset
from harness.stream.policy_streams import policy_streams

@pytest.mark.parametrize("preset", ["tun44-aes128cbc-sha256", "tun44-chacha20"])
def test_oracle(preset, exchange, assert_conformant):
    sc = build_preset(preset)
    ex = exchange(sc, list(policy_streams(sc, 4).values()))
    assert ex.oracle is not None, "no oracle report without --oracle"
    assert_conformant(ex)
'''


@pytest.mark.skipif(tshark_path() is None, reason="tshark is not installed")
def test_oracle_option_asks_both_oracles_and_says_what_each_checked(pytester: pytest.Pytester, tmp_path) -> None:
    """A clean reference run: no disagreement; scapy checks both SAs, tshark only CBC+SHA256
    (it has no ChaCha20), which is recorded as not checkable (INFO), never as a pass."""
    pytester.makepyfile(ORACLE_TESTS)
    results = tmp_path / "results"
    result = pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider", "--oracle", "--oracle-samples", "3",
                                "--results-dir", str(results))
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "ipsec-harness oracles*: scapy agreed 6, disagreed 0, not checkable 0; "
        "tshark agreed 3, disagreed 0, not checkable 3",
        "*tshark could not check: Wireshark has no chacha20-poly1305 (1 tests)"])
    (run,) = load_runs(results)
    assert dict(run.params)["oracle"] is True and dict(run.params)["oracle_samples"] == 3
    v = {dict(v.params)["preset"]: v for v in run.verdicts}
    cbc, chacha = dict(v["tun44-aes128cbc-sha256"].params), dict(v["tun44-chacha20"].params)
    assert (cbc["oracle_scapy_agree"], cbc["oracle_tshark_agree"], cbc["oracle_tshark_not_checkable"]) == (3, 3, 0)
    assert (chacha["oracle_scapy_agree"], chacha["oracle_tshark_agree"], chacha["oracle_tshark_not_checkable"]) == (3, 0, 3)
    assert "X-ORACLE" in cbc["requirements_exercised"].split(",") and "X-ORACLE" not in cbc["requirements_failed"]
    (info,) = [f for f in v["tun44-chacha20"].findings if f.requirement == "X-ORACLE"]
    assert info.severity == "INFO" and info.field == "oracle.tshark"
    assert not [f for f in v["tun44-aes128cbc-sha256"].findings if f.requirement == "X-ORACLE"]
    pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider").assert_outcomes(failed=2)  # no --oracle, no report


def test_oracle_samples_must_be_positive(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*PLUGIN, "--oracle-samples", "0")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--oracle-samples*must be at least 1, got 0*"])


XDIST_TESTS = '''
import os
from pathlib import Path
import pytest
from harness.scenario.presets import build_preset
from harness.stream.policy_streams import policy_streams

@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "tun66-aes128gcm", "tun46-aes128cbc-sha1", "trs4-aes128gcm"])
def test_grid(preset, exchange, assert_conformant):
    Path(os.environ["WORKERS_SEEN"], preset).write_text(os.environ.get("PYTEST_XDIST_WORKER", "none"))
    sc = build_preset(preset)
    assert_conformant(exchange(sc, list(policy_streams(sc, 2).values())))
'''


def test_xdist_workers_verdicts_land_in_one_run_record(pytester: pytest.Pytester, tmp_path, monkeypatch) -> None:
    seen = tmp_path / "seen"
    seen.mkdir()
    monkeypatch.setenv("WORKERS_SEEN", str(seen))
    pytester.makepyfile(XDIST_TESTS)
    results = tmp_path / "results"
    result = pytester.runpytest_subprocess(*PLUGIN, "-p", "no:cacheprovider", "-n", "2", "--results-dir", str(results))
    result.assert_outcomes(passed=4)
    assert {p.read_text() for p in seen.iterdir()} == {"gw0", "gw1"}  # both workers ran tests
    (run,) = load_runs(results)  # one record, written by the controller
    assert sorted(dict(v.params)["preset"] for v in run.verdicts) == sorted(p.name for p in seen.iterdir())
    assert run.dut.kind == "reference-offline" and dict(run.params)["scenarios_cfg_count"] == 4
    for v in run.verdicts:
        params = dict(v.params)
        assert v.outcome.value == "passed" and "@" not in v.test_id
        assert {"A1", "A6", "E2", "E3"} <= set(params["requirements_exercised"].split(","))
        assert params["requirements_failed"] == ""


def test_shared_dut_needs_loadgroup_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PASSING)
    result = pytester.runpytest_subprocess(*PLUGIN, "-p", "no:cacheprovider", "--dut", "reference-live", "-n", "2")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--dut reference-live is one device*--dist loadgroup*"])


def test_shared_dut_tests_stay_on_one_worker(pytester: pytest.Pytester, tmp_path) -> None:
    """External DUT tests form one xdist group: all on one worker, record ids without the
    ``@group`` suffix xdist adds (the lab file is missing, so they skip with the reason)."""
    pytester.makepyfile(PASSING + '''
@pytest.mark.parametrize("n", range(4))
def test_more(n, dut):
    pass
''')
    results = tmp_path / "results"
    result = pytester.runpytest_subprocess(*PLUGIN, "-p", "no:cacheprovider", "--dut", "external", "--lab", "lab.toml",
                                           "-n", "2", "--dist", "loadgroup", "-v", "--results-dir", str(results))
    result.assert_outcomes(skipped=6)
    workers = {line.split("]")[0] for line in result.stdout.lines if line.startswith("[gw") and "SKIPPED" in line}
    assert len(workers) == 1, result.stdout.str()
    (run,) = load_runs(results)
    assert len(run.verdicts) == 6 and not [v for v in run.verdicts if "@" in v.test_id]


