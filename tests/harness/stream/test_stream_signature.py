"""Signature format: exact bytes, round trip, location in clear packets built by scapy."""
from __future__ import annotations

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop
from scapy.packet import Raw

from harness.stream.signature import (
    SIGNATURE_LEN,
    Signature,
    fill,
    find_signature,
    l4_payload_offset,
    pack_signature,
    unpack_signature,
)

SIG = Signature(stream_id=0x1234, seq=0x05060708, tx_ts_ns=0x1122334455667788)


def test_exact_layout() -> None:
    raw = pack_signature(SIG)
    assert len(raw) == SIGNATURE_LEN == 18
    assert raw == bytes.fromhex("4958" "02" "00" "1234" "05060708" "1122334455667788")
    assert unpack_signature(raw) == SIG


def test_64_byte_udp4_frame_holds_the_signature_exactly() -> None:
    # 60 bytes without FCS: 14 Ethernet + 20 IPv4 + 8 UDP + 18 signature
    frame = bytes(Ether() / IP(src="198.18.0.1", dst="198.19.0.1") / UDP(sport=1, dport=2) / Raw(pack_signature(SIG)))
    assert len(frame) == 60
    assert find_signature(frame[14:]) == SIG


def test_unpack_rejects_wrong_magic_version_and_short_input() -> None:
    raw = pack_signature(SIG)
    assert unpack_signature(b"X" + raw[1:]) is None
    assert unpack_signature(raw[:2] + b"\x01" + raw[3:]) is None  # version 1 (the old 24-byte format)
    assert unpack_signature(raw[:-1]) is None


@pytest.mark.parametrize("field, kwargs", [
    ("stream_id", {"stream_id": 70000, "seq": 0}),
    ("seq", {"stream_id": 1, "seq": -1}),
    ("seq", {"stream_id": 1, "seq": 1 << 32}),  # u32 on the wire: the index modulo 2**32
    ("tx_ts_ns", {"stream_id": 1, "seq": 0, "tx_ts_ns": 1 << 64}),
])
def test_signature_validation_names_field(field: str, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=f"Signature.{field}"):
        Signature(**kwargs)


def test_fill_is_the_payload_index_pattern() -> None:
    assert fill(4) == bytes((18, 19, 20, 21))
    assert fill(300)[-1] == (18 + 299) & 0xFF
    assert len(fill(20000)) == 20000


PAYLOAD = Raw(pack_signature(SIG) + fill(10))


@pytest.mark.parametrize("pkt", [
    IP(src="198.18.0.1", dst="198.19.0.1") / UDP(sport=1, dport=2) / PAYLOAD,
    IP(src="198.18.0.1", dst="198.19.0.1", options=b"\x01\x01\x01\x00") / TCP(options=[("NOP", None)] * 4) / PAYLOAD,
    IP(src="198.18.0.1", dst="198.19.0.1") / ICMP() / PAYLOAD,
    IP(src="198.18.0.1", dst="198.19.0.1", proto=253) / PAYLOAD,
    IPv6(src="2001:2::1", dst="2001:2::2") / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / UDP() / PAYLOAD,
    IPv6(src="2001:2::1", dst="2001:2::2") / IPv6ExtHdrFragment(offset=0) / ICMPv6EchoRequest() / PAYLOAD,
], ids=["udp4", "tcp4-options", "icmp4", "proto253", "udp6-ext", "icmp6-frag"])
def test_found_at_the_l4_payload(pkt) -> None:  # type: ignore[no-untyped-def]
    raw = bytes(pkt)
    off = l4_payload_offset(raw)
    assert off == len(raw) - len(PAYLOAD)
    assert find_signature(raw) == SIG


def test_fallback_search_when_headers_do_not_parse() -> None:
    inner = bytes(IP(src="198.18.0.1", dst="198.19.0.1", proto=47) / PAYLOAD)  # GRE: not walked
    assert l4_payload_offset(inner) is None
    assert find_signature(inner) == SIG
    assert find_signature(b"IX" + b"junk" * 3 + pack_signature(SIG)) == SIG  # skips a false magic


def test_absent_signature() -> None:
    assert find_signature(bytes(IP() / UDP() / Raw(b"x" * 40))) is None
    assert find_signature(b"") is None
    later_fragment = bytes(IP(src="198.18.0.1", dst="198.19.0.1", frag=10) / Raw(b"y" * 30))
    assert find_signature(later_fragment) is None
