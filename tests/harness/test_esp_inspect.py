"""The ESP inspector on packets built with the harness encoder (good ones, and ones with bad
padding, next header, pad length, repeated IVs, sequence gaps, foreign SPIs or addresses),
checked field by field. Addresses from 198.18.0.0/15."""
from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from harness.codec.esp_encode import EspEncoder
from harness.codec.ipv4 import build_ipv4
from harness.codec.l4 import build_udp
from harness.codec.spec import Corruption, EspSaSpec
from harness.esp_inspect import inspect_frames
from harness.scenario.model import Direction
from harness.scenario.presets import build_preset
from harness.stream.signature import Signature, pack_signature
from harness.verify.findings import Severity

L2 = bytes.fromhex("020000007e00" "02000000d000" "0800")


def inner(seq: int) -> bytes:
    payload = pack_signature(Signature(7, seq & 0xFFFFFFFF)) + bytes(30)
    return build_ipv4("198.18.1.5", "198.19.1.9", 17, build_udp("198.18.1.5", "198.19.1.9", 1024, 2048, payload))


def out_spec(name: str) -> EspSaSpec:
    sa = build_preset(name).sa(Direction.OUT, 1001)
    assert sa is not None
    return sa.spec


def frames(spec: EspSaSpec, seqs: list[int], **kwargs: object) -> list[bytes]:
    enc = EspEncoder(spec)
    return [L2 + enc.encode(inner(s), s, **kwargs) for s in seqs]  # type: ignore[arg-type]


CBC = "tun44-aes128cbc-sha256"
PAD = (-(len(inner(1)) + 2)) % 16 or 16  # pad bytes that keep the AES-CBC ciphertext block-aligned


def test_good_packets_report_every_field() -> None:
    report = inspect_frames(build_preset(CBC), frames(out_spec(CBC), [1, 2, 3]))
    assert report.findings == () and report.passed
    assert [(p.sa, p.seq, p.icv_ok, p.next_header, p.problems) for p in report.packets] == \
        [("out/1001", s, True, 4, ()) for s in (1, 2, 3)]
    first = report.packets[0]
    assert 1 <= first.pad_len <= 15 and (len(inner(1)) + first.pad_len + 2) % 16 == 0  # AES-CBC block
    i = first.inner
    assert i is not None and (i.src, i.dst, i.proto, i.sport, i.dport, i.stream, i.seq) == \
        ("198.18.1.5", "198.19.1.9", 17, 1024, 2048, 7, 1)
    st = report.sa_stats["out/1001"]
    assert (st.packets, st.first_seq, st.last_seq, st.gaps, st.iv_reuses) == (3, 1, 3, 0, 0)


@pytest.mark.parametrize(("kwargs", "requirement", "problem"), [
    ({"padding": bytes([9] * PAD)}, "E10", "pad-bytes"),
    ({"padding": bytes(range(1, PAD)) + b"\xff"}, "E10", "pad-bytes"),
    ({"next_header": 17}, "ESP-NH", "next-header"),
    ({"corrupt": Corruption(pad_len_field=250)}, "E12", "pad-length"),
])
def test_trailer_problems_are_findings(kwargs: dict, requirement: str, problem: str) -> None:
    report = inspect_frames(build_preset(CBC), frames(out_spec(CBC), [1], **kwargs))
    (pkt,) = report.packets
    assert pkt.icv_ok and problem in pkt.problems
    assert [(f.requirement, f.packet.frame_index, f.severity) for f in report.findings] == \
        [(requirement, 0, Severity.FAIL)]


def test_repeated_iv_and_sequence_gaps() -> None:
    spec = out_spec(CBC)
    fixed = frames(spec, [1, 2], iv=bytes(range(16)))
    report = inspect_frames(build_preset(CBC), fixed + frames(spec, [4]))
    assert [(f.requirement, f.packet.frame_index) for f in report.findings] == [("G6", 1), ("E3", 2)]
    st = report.sa_stats["out/1001"]
    assert (st.iv_reuses, st.gaps) == (1, 1)


def test_first_sequence_number_must_be_one() -> None:
    report = inspect_frames(build_preset(CBC), frames(out_spec(CBC), [5, 6]))
    assert [(f.requirement, f.expected, f.observed) for f in report.findings] == [("E2", 1, 5)]


def test_icv_failure_uses_the_algorithm_requirement() -> None:
    gcm = "tun44-aes128gcm"
    bad = frames(out_spec(gcm), [1])[0]
    report = inspect_frames(build_preset(gcm), [bad[:-1] + bytes([bad[-1] ^ 0x80])])
    (pkt,) = report.packets
    assert pkt.icv_ok is False and pkt.inner is None
    assert [f.requirement for f in report.findings] == ["G2"] and not report.passed


def test_foreign_spi_and_foreign_addresses_are_named() -> None:
    spec = out_spec(CBC)
    other_spi = dataclasses.replace(spec, spi=4242)
    other_addr = dataclasses.replace(spec, tunnel_src=ipaddress.ip_address("198.18.255.9"))
    report = inspect_frames(build_preset(CBC), frames(other_spi, [1]) + frames(other_addr, [1]))
    assert [p.sa for p in report.packets] == [None, None]
    assert [(f.requirement, f.severity) for f in report.findings] == [("E17", Severity.WARN)] * 2
    assert "no sa line" in report.findings[0].detail and "out/1001" in report.findings[1].detail
    assert report.passed  # a WARN does not fail the capture


def test_clear_and_non_ip_frames_are_counted() -> None:
    arp = bytes(12) + b"\x08\x06" + bytes(28)
    clear = L2 + inner(0)
    report = inspect_frames(build_preset(CBC), [arp, clear, *frames(out_spec(CBC), [1])])
    assert (report.frames, report.non_ip_frames, report.clear_frames, len(report.packets)) == (3, 1, 1, 1)
    assert report.packets[0].frame_index == 2


def test_esn_high_bits_are_inferred_across_the_32_bit_boundary() -> None:
    name = "tun44-aes128gcm-esn-w64"
    seqs = [(1 << 32) - 2, (1 << 32) - 1, 1 << 32, (1 << 32) + 1]
    report = inspect_frames(build_preset(name), frames(out_spec(name), [1, *seqs]))
    assert [p.seq for p in report.packets] == [1, *seqs]
    assert all(p.icv_ok for p in report.packets)
    assert [(f.requirement, f.observed) for f in report.findings] == [("E3", seqs[0])]  # the jump from 1


def test_render_and_json_agree() -> None:
    report = inspect_frames(build_preset(CBC), frames(out_spec(CBC), [1, 3]))
    text = report.render()
    assert "frame #0: SPI 0x000003e9 seq 1 SA out/1001 ICV ok" in text
    assert "SA out/1001: 2 packets, seq 1..3, gaps 1" in text and "E3" in text
    doc = report.to_json()
    assert doc["esp_frames"] == 2 and doc["sa"]["out/1001"]["gaps"] == 1
    assert [f["requirement"] for f in doc["findings"]] == ["E3"]
