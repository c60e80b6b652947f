"""Oracle comparison: opinions that differ become X-ORACLE FAIL findings naming both, an oracle
that cannot judge the ICV is "not checkable" (INFO), never a pass; sampling spreads over each
outbound SA's egress. Frames are built with the harness encoder on preset SAs (addresses from
198.18.0.0/15 and 2001:2::/48)."""

from __future__ import annotations

import dataclasses

import pytest

from harness.codec.esp_decode import EspDecoder
from harness.codec.esp_encode import EspEncoder
from harness.codec.ethernet import EtherType, build_ethernet
from harness.codec.spec import Corruption, EspField
from harness.dut.base import ReceivedFrame
from harness.oracles import sampled
from harness.oracles.compare import Agreement, FrameOpinion, compare_opinions
from harness.oracles.sampled import (EgressSample, OracleReport, harness_opinion, oracle_findings, sample_egress,
                                     scapy_opinion, tshark_opinions)
from harness.oracles.tshark_oracle import tshark_path
from harness.oracles.verdict import OracleStatus
from harness.scenario.model import Direction
from harness.scenario.presets import build_preset
from harness.verify.findings import Severity

from oracle_samples import inner

PASS, FAIL, NC = OracleStatus.PASS, OracleStatus.FAIL, OracleStatus.NOT_CHECKABLE
needs_tshark = pytest.mark.skipif(tshark_path() is None, reason="tshark is not installed")


def out_sa(preset: str):
    return next(sa for sa in build_preset(preset).sas if sa.direction is Direction.OUT)


def frame_of(sa, seq: int, corrupt: Corruption | None = None) -> bytes:
    eth = build_ethernet("02:00:00:00:00:01", "02:00:00:00:00:02",
                         EtherType.IPV4 if sa.spec.tunnel_src.version == 4 else EtherType.IPV6)
    return eth + EspEncoder(sa.spec).encode(inner(), seq, corrupt=corrupt)


def sample_of(sa, seq: int, frame: bytes, index: int = 0) -> EgressSample:
    return EgressSample(0, index, frame, 14, sa, seq, str(sa.spec.tunnel_src), str(sa.spec.tunnel_dst))


# compare_opinions --------------------------------------------------------------------------

def test_same_opinions_agree_on_every_common_aspect() -> None:
    ours = FrameOpinion("harness", PASS, "", 1001, 7, 4, b"\x45abc")
    theirs = FrameOpinion("tshark", PASS, "", 1001, 7, 4)
    c = compare_opinions(0, 3, ours, theirs)
    assert c.agreement is Agreement.AGREE and not c.failed
    assert c.checked == ("icv", "spi", "seq", "next_header")  # tshark gives no inner bytes


@pytest.mark.parametrize(("theirs", "words"), [
    (FrameOpinion("tshark", FAIL, "icv_bad", 1001, 7), "ICV: harness good, tshark bad (icv_bad)"),
    (FrameOpinion("tshark", PASS, "", 1001, 8), "seq: harness 7, tshark 8"),
    (FrameOpinion("tshark", PASS, "", 1002, 7), "spi: harness 1001, tshark 1002"),
    (FrameOpinion("tshark", PASS, "", 1001, 7, 41), "next header: harness 4, tshark 41"),
    (FrameOpinion("scapy", PASS, "", 1001, 7, None, b"\x45abd"), "inner bytes differ from offset 3"),
], ids=["icv", "seq", "spi", "next-header", "inner"])
def test_any_difference_is_a_disagreement(theirs: FrameOpinion, words: str) -> None:
    ours = FrameOpinion("harness", PASS, "", 1001, 7, 4, b"\x45abc")
    c = compare_opinions(1, 9, ours, theirs)
    assert c.agreement is Agreement.DISAGREE and c.failed
    assert len(c.differences) == 1 and c.differences[0].startswith(words)
    assert c.describe().startswith(f"port 1 frame #9: {theirs.source} disagree")


def test_unjudged_icv_is_not_checkable_even_when_headers_agree() -> None:
    ours = FrameOpinion("harness", PASS, "", 1001, 7, 4)
    c = compare_opinions(0, 0, ours, FrameOpinion("tshark", NC, "esp_sa has no ESN column", 1001, 7, 4))
    assert c.agreement is Agreement.NOT_CHECKABLE and c.checked == ("spi", "seq", "next_header")
    wrong_seq = compare_opinions(0, 0, ours, FrameOpinion("tshark", NC, "no ESN", 1001, 6))
    assert wrong_seq.agreement is Agreement.DISAGREE  # what it could read still counts


# real implementations fed frames whose verdicts differ --------------------------------------

@pytest.mark.oracle
def test_corrupted_copy_makes_scapy_disagree_and_the_finding_names_both() -> None:
    """The harness reads the good frame, scapy a copy with one ICV byte flipped: the comparison
    must see the ICV verdicts differ and make an X-ORACLE FAIL naming both opinions."""
    sa = out_sa("tun44-aes128cbc-sha256")
    good = sample_of(sa, 5, frame_of(sa, 5))
    bad = dataclasses.replace(good, frame=frame_of(sa, 5, Corruption(flip=EspField.ICV, index=0)))
    ours = harness_opinion(good, EspDecoder(sa.spec))
    theirs = scapy_opinion(bad)
    assert (ours.icv, theirs.icv) == (PASS, FAIL) and (theirs.spi, theirs.seq) == (sa.spi, 5)
    c = compare_opinions(0, 0, ours, theirs)
    (finding,) = oracle_findings(OracleReport((good,), (c,)), "secgw-library")
    assert finding.severity is Severity.FAIL and finding.requirement == "X-ORACLE" and finding.field == "oracle.scapy"
    assert finding.expected.startswith("harness: ICV good") and finding.observed.startswith("scapy: ICV bad")
    assert "ICV: harness good, scapy bad" in finding.detail


def test_harness_opinion_names_the_verifier_verdict_of_the_frame() -> None:
    sa = out_sa("tun44-aes128gcm")
    s = sample_of(sa, 2, frame_of(sa, 2, Corruption(flip=EspField.ICV, index=3)))
    ours = harness_opinion(s, EspDecoder(sa.spec), ["E9", "G3"])
    assert ours.icv is FAIL and "verifier: FAIL E9, G3 on this frame" in ours.detail and ours.inner is None


@needs_tshark
@pytest.mark.oracle
def test_tshark_reads_samples_and_flags_a_bad_icv() -> None:
    sa = out_sa("tun44-aes128gcm")
    samples = [sample_of(sa, 1, frame_of(sa, 1), 0),
               sample_of(sa, 2, frame_of(sa, 2, Corruption(flip=EspField.ICV, index=0)), 1)]
    good, bad = tshark_opinions(samples)
    assert (good.icv, good.spi, good.seq, good.next_header) == (PASS, sa.spi, 1, 4)
    assert (bad.icv, bad.seq) == (FAIL, 2)


def test_missing_tshark_is_not_checkable(monkeypatch) -> None:
    monkeypatch.setattr(sampled, "tshark_path", lambda: None)
    sa = out_sa("tun44-aes128gcm")
    (op,) = tshark_opinions([sample_of(sa, 1, frame_of(sa, 1))])
    assert op.icv is NC and op.detail == "tshark not installed"


def test_not_checkable_frames_become_one_info_per_oracle_sa_and_reason() -> None:
    sa = out_sa("tun44-chacha20")
    samples = tuple(sample_of(sa, i + 1, frame_of(sa, i + 1), i) for i in range(3))
    ours = FrameOpinion("harness", PASS, "", sa.spi, 1)
    comps = tuple(compare_opinions(0, s.frame_index, ours, FrameOpinion("tshark", NC, "Wireshark has no chacha", sa.spi, 1))
                  for s in samples)
    (info,) = oracle_findings(OracleReport(samples, comps), "secgw-library")
    assert info.severity is Severity.INFO and info.observed == "not checkable: Wireshark has no chacha"
    assert info.detail.startswith(f"3 sampled frame(s) of SPI {sa.spi}")
    assert OracleReport(samples, comps).coverage()["tshark"] == {"agree": 0, "disagree": 0, "not-checkable": 3}


# sampling -------------------------------------------------------------------------------------

def test_samples_spread_over_each_outbound_sa_with_esn_high_bits() -> None:
    sc = build_preset("tun44-aes128gcm-esn-w64")
    start = (1 << 32) - 10  # the 32-bit counter wraps after 10 packets: high bits 0 then 1
    sas = [dataclasses.replace(sa, esn_start=start) if sa.direction is Direction.OUT else sa for sa in sc.sas]
    sa = next(s for s in sas if s.direction is Direction.OUT)
    clear = ReceivedFrame(1, 0, build_ethernet("02:00:00:00:00:01", "02:00:00:00:00:02", EtherType.IPV4) + inner())
    frames = [clear] + [ReceivedFrame(0, 0, frame_of(sa, start + k)) for k in range(20)]
    picked = sample_egress(sas, frames, 4)
    assert [s.frame_index for s in picked] == [0, 6, 12, 19]  # first, evenly spread, last
    assert [s.seq for s in picked] == [start + k for k in (0, 6, 12, 19)]
    assert all(harness_opinion(s, EspDecoder(sa.spec)).icv is PASS for s in picked)
    assert len(sample_egress(sas, frames, 50)) == 20
    with pytest.raises(ValueError, match=">= 1"):
        sample_egress(sas, frames, 0)
