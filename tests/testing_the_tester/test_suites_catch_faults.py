"""Testing the tester: every fault ``FaultyDut`` can inject into the reference gateway's output
is caught by the verifier with the right finding (requirement id and field), while the same
traffic through the clean reference gateway passes. This is the proof that the suites can fail.

Expected findings are written here from the requirement catalogue (conformance-requirements.md),
not read from the code under test: a MUST broken is a FAIL; the secgw-library profile judges
TTL and TOS copying as secgw behaviours (SG-*, WARN), so under it those faults WARN, and under
rfc-strict the TOS faults FAIL (RFC 4301 §5.1.2.1 A6, RFC 6040 A8).
"""
from __future__ import annotations

import pytest
from faultcases import finding_keys, run

from harness.dut.faults import Fault, FaultKind, FaultyDut, Target
from harness.dut.reference import ReferenceDut
from harness.verify.findings import Severity
from harness.verify.profiles import RFC_STRICT

GCM4 = "tun44-aes128gcm-w64"
CBC4 = "tun44-aes128cbc-sha1-w64"
CBC6 = "tun66-aes256cbc-sha256-esn-w64"
TRS6 = "trs6-aes128gcm-w64"
TRS4 = "trs4-aes128cbc-sha1-w64"
PRESETS = (GCM4, CBC4, CBC6, TRS6, TRS4)
FAIL, WARN = Severity.FAIL.value, Severity.WARN.value

# (id, preset, fault, expected (severity, requirement, field))
CASES = [
    ("ttl-wrong", GCM4, Fault(FaultKind.TTL_WRONG), (WARN, "SG-TTL-LIB", "ip.ttl")),
    ("ttl-wrong-v6", CBC6, Fault(FaultKind.TTL_WRONG), (WARN, "SG-TTL-LIB", "ip.ttl")),
    ("dscp-not-copied", GCM4, Fault(FaultKind.DSCP_NOT_COPIED), (WARN, "SG-TOS-COPY", "outer.dscp")),
    ("dscp-not-copied-v6", CBC6, Fault(FaultKind.DSCP_NOT_COPIED), (WARN, "SG-TOS-COPY", "outer.dscp")),
    ("ecn-not-copied", GCM4, Fault(FaultKind.ECN_NOT_COPIED), (WARN, "SG-TOS-COPY", "outer.ecn")),
    ("seq-reused", GCM4, Fault(FaultKind.SEQ_REUSED, index=2), (FAIL, "E3", "esp.seq")),
    ("seq-reused-esn", CBC6, Fault(FaultKind.SEQ_REUSED), (FAIL, "E3", "esp.seq")),
    ("iv-reused-gcm", GCM4, Fault(FaultKind.IV_REUSED), (FAIL, "G4", "esp.iv")),
    ("iv-reused-cbc", CBC4, Fault(FaultKind.IV_REUSED, index=3), (FAIL, "G6", "esp.iv")),
    ("pad-wrong", GCM4, Fault(FaultKind.PAD_WRONG, index=1), (FAIL, "E10", "esp.padding")),
    ("pad-wrong-cbc", CBC4, Fault(FaultKind.PAD_WRONG), (FAIL, "E10", "esp.padding")),
    ("icv-corrupted-gcm", GCM4, Fault(FaultKind.ICV_CORRUPTED), (FAIL, "G2", "esp.icv")),
    ("icv-corrupted-sha1", CBC4, Fault(FaultKind.ICV_CORRUPTED, index=4), (FAIL, "E9", "esp.icv")),
    ("icv-corrupted-sha256", CBC6, Fault(FaultKind.ICV_CORRUPTED), (FAIL, "G7", "esp.icv")),
    ("drop-one-esp", GCM4, Fault(FaultKind.DROP_ONE, target=Target.ESP), (FAIL, "X-DELIVERY", "delivery")),
    ("drop-one-clear", GCM4, Fault(FaultKind.DROP_ONE, index=4, target=Target.CLEAR),
     (FAIL, "X-DELIVERY", "delivery")),
    ("reorder", GCM4, Fault(FaultKind.REORDER, index=2), (FAIL, "E3", "esp.seq")),
    ("duplicate-clear", GCM4, Fault(FaultKind.DUPLICATE, target=Target.CLEAR), (FAIL, "X-DELIVERY", "delivery")),
    ("duplicate-esp", CBC6, Fault(FaultKind.DUPLICATE, index=1, target=Target.ESP), (FAIL, "E3", "esp.seq")),
    ("wrong-spi-zero", GCM4, Fault(FaultKind.WRONG_SPI), (FAIL, "E1", "esp.spi")),
    ("wrong-spi-unknown", CBC4, Fault(FaultKind.WRONG_SPI, value=0x7777), (FAIL, "X-UNEXPECTED", "esp.spi")),
    ("inner-byte-flipped-decrypted", GCM4, Fault(FaultKind.INNER_BYTE_FLIPPED, index=5),
     (FAIL, "X-INTACT", "ip.bytes")),
    ("inner-byte-flipped-v6", CBC6, Fault(FaultKind.INNER_BYTE_FLIPPED), (FAIL, "X-INTACT", "ip.bytes")),
    ("wrong-outer-dst", GCM4, Fault(FaultKind.WRONG_OUTER_DST, index=3), (FAIL, "A6", "outer.dst")),
    ("wrong-outer-dst-v6", CBC6, Fault(FaultKind.WRONG_OUTER_DST), (FAIL, "A6", "outer.dst")),
    ("wrong-next-header", GCM4, Fault(FaultKind.WRONG_NEXT_HEADER), (FAIL, "ESP-NH", "esp.next_header")),
    ("wrong-next-header-v6", CBC6, Fault(FaultKind.WRONG_NEXT_HEADER, value=59),
     (FAIL, "ESP-NH", "esp.next_header")),
    ("pad-wrong-trs6", TRS6, Fault(FaultKind.PAD_WRONG), (FAIL, "E10", "esp.padding")),
    ("seq-reused-trs4", TRS4, Fault(FaultKind.SEQ_REUSED, index=3), (FAIL, "E3", "esp.seq")),
    ("wrong-next-header-trs4", TRS4, Fault(FaultKind.WRONG_NEXT_HEADER), (FAIL, "ESP-NH", "esp.next_header")),
    ("icv-corrupted-trs6", TRS6, Fault(FaultKind.ICV_CORRUPTED, index=2), (FAIL, "G2", "esp.icv")),
]


@pytest.fixture(scope="module")
def clean() -> dict[str, set[tuple[str, str, str]]]:
    """Findings of the clean reference gateway per preset (it must pass each)."""
    out = {}
    for preset in PRESETS:
        ex = run(ReferenceDut(), preset)
        assert ex.passed, ex.render()
        out[preset] = finding_keys(ex)
    return out


def test_every_fault_kind_has_a_case() -> None:
    assert {fault.kind for _, _, fault, _ in CASES} == set(FaultKind)


@pytest.mark.parametrize("preset", PRESETS)
def test_clean_reference_passes_with_no_fail(preset: str) -> None:
    ex = run(ReferenceDut(), preset)
    assert ex.passed and not finding_keys(ex, Severity.FAIL), ex.render()
    assert ex.result.correlation.totals().delivered == ex.result.correlation.totals().expected > 0


@pytest.mark.parametrize("preset,fault,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_fault_is_caught(preset: str, fault: Fault, expected: tuple[str, str, str],
                         clean: dict[str, set[tuple[str, str, str]]]) -> None:
    dut = FaultyDut(ReferenceDut(), fault, rng_seed=7)
    ex = run(dut, preset)
    assert dut.applied >= 1, f"{fault.name} never applied"
    if not fault.scope_every:
        assert dut.applied == 1
    found = finding_keys(ex)
    assert expected in found, ex.render()
    assert expected not in clean[preset]  # the finding is the fault's, not a standing one
    if expected[0] == FAIL:
        assert not ex.passed
    else:  # a SHOULD / secgw behaviour: warned about, nothing else breaks
        assert ex.passed and found - clean[preset] == {expected}, ex.render()


@pytest.mark.parametrize("fault,expected", [
    (Fault(FaultKind.DSCP_NOT_COPIED), (FAIL, "A6", "outer.dscp")),
    (Fault(FaultKind.ECN_NOT_COPIED), (FAIL, "A8", "outer.ecn")),
], ids=["dscp-not-copied", "ecn-not-copied"])
def test_tos_faults_fail_under_rfc_strict(fault: Fault, expected: tuple[str, str, str]) -> None:
    """rfc-strict judges the reference gateway's inner TTL (A7) too, so the baseline is the
    clean gateway under the same profile and the fault must add its own FAIL."""
    baseline = finding_keys(run(ReferenceDut(), GCM4, RFC_STRICT))
    ex = run(FaultyDut(ReferenceDut(), fault), GCM4, RFC_STRICT)
    assert expected in finding_keys(ex) and expected not in baseline, ex.render()


def test_reorder_of_clear_packets_is_counted_not_a_finding() -> None:
    """Reordering is not a conformance rule for clear traffic (RFC 4737 counts it): the
    verifier reports it in the correlation statistics."""
    ex = run(FaultyDut(ReferenceDut(), Fault(FaultKind.REORDER, target=Target.CLEAR)), GCM4)
    assert ex.result.correlation.totals().reordered == 1
