"""Byte codecs: Internet checksum (RFC 1071/1624), IPv4 edits, IPv6 extension-header walk
(RFC 8200 §4), NAT-T classification (RFC 3948 §2), ESP trailer (RFC 4303 §2.4), ECN decap."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting)
from scapy.layers.ipsec import AH, ESP

from gateway_ref.proto import checksum, ecn, esp, ethernet, ipv4, ipv6, udp

SRC6, DST6 = "2001:2::1", "2001:2::2"


def _v4(**kw) -> bytes:
    return bytes(IP(src="198.18.0.1", dst="198.19.0.9", **kw) / UDP(sport=1, dport=2) / b"xyz")


def test_ipv4_header_checksum_matches_scapy() -> None:
    for tos, ttl in [(0, 64), (0xFC, 1), (3, 255)]:
        pkt = _v4(tos=tos, ttl=ttl)
        assert ipv4.header_checksum(pkt[:20]) == int.from_bytes(pkt[10:12], "big")
        assert ipv4.is_valid_checksum(pkt[:20])


def test_ipv4_with_options_checksum() -> None:
    pkt = bytes(IP(src="198.18.0.1", dst="198.19.0.9", options=b"\x01\x01\x01\x00") / b"x")
    assert ipv4.header_len(pkt) == 24 and ipv4.is_valid_checksum(pkt[:24])


@given(st.binary(min_size=20, max_size=20), st.integers(0, 255))
def test_incremental_tos_update_equals_full_recompute(hdr: bytes, tos: int) -> None:
    b = bytearray(b"\x45" + hdr[1:])
    ipv4.set_checksum(b)
    ipv4.set_tos(b, tos)
    assert b[1] == tos and ipv4.is_valid_checksum(bytes(b))


@given(st.binary(min_size=20, max_size=20))
def test_decrement_ttl_keeps_checksum_valid(hdr: bytes) -> None:
    b = bytearray(b"\x45" + hdr[1:])
    ipv4.set_checksum(b)
    ttl = b[8]
    ipv4.decrement_ttl(b)
    assert b[8] == max(ttl - 1, 0) and ipv4.is_valid_checksum(bytes(b))


@given(st.binary(max_size=64))
def test_checksum_of_data_plus_its_checksum_is_zero(data: bytes) -> None:
    if len(data) % 2:
        data += b"\x00"
    c = checksum.checksum(data)
    assert checksum.checksum(data + c.to_bytes(2, "big")) == 0


def test_ipv6_walk_past_extension_headers() -> None:
    pkt = bytes(IPv6(src=SRC6, dst=DST6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting(addresses=[DST6])
                / IPv6ExtHdrDestOpt() / UDP(sport=1, dport=2) / b"abc")
    nh_off, nh, off = ipv6.walk(pkt)
    assert nh == 17 and pkt[off:off + 4] == b"\x00\x01\x00\x02"
    assert off == 40 + 8 + 24 + 8 and nh_off == 40 + 8 + 24


def test_ipv6_walk_finds_esp_after_atomic_fragment_and_ah() -> None:
    pkt = bytes(IPv6(src=SRC6, dst=DST6) / IPv6ExtHdrFragment(offset=0, m=0, nh=51)
                / AH(nh=50, payloadlen=4, icv=bytes(12)) / ESP(spi=300, seq=1, data=b"z" * 16))
    nh_off, nh, off = ipv6.walk(pkt)
    assert nh == 50 and pkt[off:off + 4] == (300).to_bytes(4, "big")


def test_ipv6_walk_stops_at_non_first_fragment_and_truncation() -> None:
    pkt = bytes(IPv6(src=SRC6, dst=DST6) / IPv6ExtHdrFragment(offset=10, m=1, nh=50) / (b"x" * 16))
    assert ipv6.walk(pkt)[1] == ipv6.NH_FRAGMENT
    full = bytes(IPv6(src=SRC6, dst=DST6) / IPv6ExtHdrRouting(addresses=[DST6, SRC6]) / b"x")
    assert ipv6.walk(full[:50]) is None


def test_ipv6_traffic_class_roundtrip() -> None:
    b = bytearray(bytes(IPv6(src=SRC6, dst=DST6, tc=0xA5, fl=0x12345)))
    assert ipv6.traffic_class(b) == 0xA5
    ipv6.set_traffic_class(b, 0x3C)
    assert IPv6(bytes(b)).tc == 0x3C and IPv6(bytes(b)).fl == 0x12345


@pytest.mark.parametrize("payload,kind", [
    (b"\xff", udp.NattKind.KEEPALIVE), (bytes(4) + b"ike!", udp.NattKind.NON_ESP),
    (b"\x00\x00\x10\x00\x00\x00\x00\x01", udp.NattKind.ESP), (b"\x01\x02", udp.NattKind.RUNT),
])
def test_natt_kind(payload: bytes, kind: udp.NattKind) -> None:
    assert udp.natt_kind(payload) is kind


def test_udp6_checksum_matches_scapy() -> None:
    ref = bytes(IPv6(src=SRC6, dst=DST6) / UDP(sport=4500, dport=4500) / b"payload!")
    dgram = ref[40:46] + b"\x00\x00" + ref[48:]
    assert udp.checksum6(ref[8:24], ref[24:40], dgram) == int.from_bytes(ref[46:48], "big")


@pytest.mark.parametrize("align", [4, 8, 16])
def test_esp_trailer_padding_and_split(align: int) -> None:
    for n in range(40):
        t = esp.trailer(n, align, 4)
        assert (n + len(t)) % align == 0 and t[-1] == 4 and t[-2] == len(t) - 2
        assert t[:-2] == bytes(range(1, len(t) - 1))
        assert esp.split_trailer(bytes(n) + t) == (n, 4)
        assert esp.trailers(align, 4)[n % align] == t


def test_esp_split_trailer_rejects_bad_pad() -> None:
    assert esp.split_trailer(b"ab\x01\x03\x02\x04") is None  # pad bytes must be 1,2
    assert esp.split_trailer(b"\x09\x04") is None  # pad length past the start
    assert esp.split_trailer(b"\x04") is None


@pytest.mark.parametrize("outer,inner,want", [
    (ecn.CE, ecn.ECT0, ecn.CE), (ecn.CE, ecn.ECT1, ecn.CE), (ecn.CE, ecn.NOT_ECT, ecn.NOT_ECT),
    (ecn.ECT1, ecn.ECT0, ecn.ECT0), (ecn.NOT_ECT, ecn.CE, ecn.CE),
])
def test_ecn_decap(outer: int, inner: int, want: int) -> None:
    assert ecn.decap_tos(0xA0 | outer, 0x40 | inner) == 0x40 | want


def test_ethernet() -> None:
    h = ethernet.header(b"\x02" * 6, b"\x04" * 6, ethernet.ETHERTYPE_IPV6)
    assert ethernet.ethertype(h) == 0x86DD and ethernet.unpack(h) == (b"\x02" * 6, b"\x04" * 6, 0x86DD)
    assert ethernet.ethertype(h[:13]) is None
