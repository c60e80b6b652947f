"""A family with no SP rules at all: secgw passes its packets (SG-NO-RULES-PASS); rfc-strict
expects default deny (RFC 4301 §5: no match MUST discard) and judges the pass-through FAIL A1,
with a detail naming the secgw behaviour and the cfg fix (profiles.py explains the decision)."""
from __future__ import annotations

from verify_build import dut_output, scenario, sent, udp4

from harness.verify.expect import expect
from harness.verify.findings import Severity
from harness.verify.profiles import RFC_STRICT, SECGW_LIBRARY
from harness.verify.verdict import verify


def _packets() -> list:
    out = [sent(1, udp4("198.18.1.5", "198.19.1.9", seq=k), seq=k) for k in range(3)]
    return out + [sent(0, udp4("198.19.1.9", "198.18.1.5", stream=2, seq=k), stream=2, seq=k) for k in range(3)]


def test_secgw_profile_expects_pass_through() -> None:
    sc, pkts = scenario(policies=False), _packets()
    exps = expect(sc, pkts, SECGW_LIBRARY)
    assert {type(e).__name__ for e in exps} == {"ForwardClear"}
    assert verify(sc, pkts, dut_output(exps), SECGW_LIBRARY).findings == ()


def test_rfc_strict_judges_pass_through_a_failed_default_deny() -> None:
    sc, pkts = scenario(policies=False), _packets()
    passing_dut = dut_output(expect(sc, pkts, SECGW_LIBRARY))
    result = verify(sc, pkts, passing_dut, RFC_STRICT)
    assert not result.passed and result.expected_drops == {"sp-no-match": 6}
    assert len(result.findings) == 6
    for f in result.findings:
        assert (f.requirement, f.severity, f.field) == ("A1", Severity.FAIL, "delivery")
        assert "SG-NO-RULES-PASS" in f.detail and "RFC 4301 §5" in f.detail
    assert {f.detail.split(":")[0] for f in result.findings} == {"no SP rules for IPv4 out",
                                                                  "no SP rules for IPv4 in"}


def test_rfc_strict_passes_a_dut_that_drops() -> None:
    sc, pkts = scenario(policies=False), _packets()
    result = verify(sc, pkts, {0: [], 1: []}, RFC_STRICT, dut_counters={"sp-no-match": 6})
    assert result.passed and result.findings == ()


def test_a_miss_in_a_populated_table_says_nothing_about_secgw() -> None:
    sc = scenario()
    pkts = [sent(1, udp4("198.18.1.5", "198.18.200.1"))]  # IPv4 rules exist, none matches
    (drop,) = expect(sc, pkts, RFC_STRICT)
    assert drop.reason.value == "sp-no-match" and drop.detail == ""
