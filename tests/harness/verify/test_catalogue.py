"""The requirement catalogue, findings rendering, hex diffs and profiles."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.verify.findings import PacketRef, Severity, make_finding
from harness.verify.hexdiff import first_difference, hexdiff
from harness.verify.profiles import (CE, ECT0, ECT1, NOT_ECT, EcnDecapRule, PROFILES, ecn_after_decap,
                                     get_profile)
from harness.verify.requirements import CATALOGUE, Level, requirement

REQS = Path("/work/shared/conformance-requirements.md")


@pytest.mark.skipif(not REQS.exists(), reason="shared requirements document not present")
def test_every_documented_id_is_catalogued() -> None:
    ids = set(re.findall(r"^\| ([EAGN]\d+) \|", REQS.read_text(), re.M))
    assert len(ids) == 19 + 14 + 10 + 5
    assert ids <= set(CATALOGUE)


def test_unknown_requirement_is_named() -> None:
    with pytest.raises(KeyError, match="E99"):
        requirement("E99")


@pytest.mark.parametrize(("rid", "severity"), [("E3", Severity.FAIL), ("N2", Severity.WARN),
                                                ("SG-OUTER-ID", Severity.WARN), ("E14", Severity.INFO)])
def test_severity_follows_level(rid: str, severity: Severity) -> None:
    f = make_finding(rid, "rfc-strict", PacketRef(port=0, frame_index=3), "x", 1, 2)
    assert f.severity is severity
    assert f"{rid} (" in f.headline() and "port 0, frame #3" in f.headline()


def test_finding_with_unknown_requirement_is_rejected() -> None:
    with pytest.raises(KeyError):
        make_finding("Z1", "p", PacketRef(), "x", 1, 2)


def test_hexdiff_marks_only_the_differing_byte() -> None:
    exp = bytes(range(40))
    obs = bytearray(exp)
    obs[17] ^= 0xFF
    assert first_difference(exp, bytes(obs)) == 17
    text = hexdiff(exp, bytes(obs))
    marker = [ln for ln in text.splitlines() if "^^" in ln]
    assert len(marker) == 1 and marker[0].count("^^") == 1
    assert "0010 exp" in text
    assert hexdiff(exp, exp) == "" and first_difference(exp, exp) is None


def test_hexdiff_length_difference() -> None:
    assert first_difference(b"abc", b"ab") == 2
    assert "expected 3 bytes, observed 2 bytes" in hexdiff(b"abc", b"ab")


def test_finding_json_and_lazy_dissection() -> None:
    frame = bytes.fromhex("02000000000102000000000208004500001c000100004011") + bytes(10)
    f = make_finding("A6", "rfc-strict", PacketRef(port=1), "outer.ttl", 64, 0, frame=frame,
                     expected_bytes=b"\x40", observed_bytes=b"\x00")
    js = f.to_json()
    assert js["requirement"] == "A6" and js["expected"] == 64 and js["observed"] == 0
    assert "^^" in js["hexdiff"]
    assert "IP" in f.dissection()


def test_profiles_by_name() -> None:
    assert set(PROFILES) == {"secgw-library", "secgw-legacy", "rfc-strict"}
    with pytest.raises(ValueError, match="secgw-library"):
        get_profile("nope")


# RFC 6040 §4.2 Figure 4: rows inner, columns outer (Not-ECT, ECT(0), ECT(1), CE); None = drop
RFC6040 = {
    NOT_ECT: (NOT_ECT, NOT_ECT, NOT_ECT, None),
    ECT0: (ECT0, ECT0, ECT1, CE),
    ECT1: (ECT1, ECT1, ECT1, CE),
    CE: (CE, CE, CE, CE),
}


@pytest.mark.parametrize("inner", [NOT_ECT, ECT0, ECT1, CE])
def test_ecn_decap_tables(inner: int) -> None:
    for col, outer in enumerate((NOT_ECT, ECT0, ECT1, CE)):
        assert ecn_after_decap(EcnDecapRule.RFC6040, outer, inner) == RFC6040[inner][col]
        secgw = ecn_after_decap(EcnDecapRule.SECGW, outer, inner)
        assert secgw == (CE if outer == CE and inner != NOT_ECT else inner)


def test_levels_present() -> None:
    assert requirement("E10").level is Level.MUST and requirement("SG-TTL-LIB").level is Level.SECGW
