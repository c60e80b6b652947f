"""The harness pytest plugin, run in inner pytest sessions (pytester): options, DUT selection
and skips, the exchange/assert_conformant fixtures, profiles, and the run record."""
from __future__ import annotations

from importlib.metadata import entry_points

import pytest

# imported here so the inner sessions find them loaded (pytester drops modules an inner run
# imported, and cryptography's bindings do not survive being imported twice)
import gateway_ref.gateway  # noqa: F401
import harness.dut.reference  # noqa: F401
import harness.exchange  # noqa: F401
import harness.oracles.scapy_oracle  # noqa: F401
import harness.results.provenance  # noqa: F401
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
    assert verdicts["test_plain_skip"].outcome.value == "skipped"
    assert "nothing to do" in verdicts["test_plain_skip"].message


def test_oracle_option_samples_egress_with_scapy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
from harness.scenario.presets import build_preset
from harness.stream.policy_streams import policy_streams

def test_oracle(exchange, assert_conformant):
    sc = build_preset("tun44-aes128cbc-sha256")
    ex = exchange(sc, list(policy_streams(sc, 4).values()))
    assert_conformant(ex)
    assert [o.status for o in ex.oracle] == ["pass"] * 4
''')
    pytester.runpytest(*PLUGIN, "--oracle").assert_outcomes(passed=1)
    pytester.runpytest(*PLUGIN).assert_outcomes(failed=1)
