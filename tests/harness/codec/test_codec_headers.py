"""Header codecs and the frame view, checked against scapy's dissection (an independent
implementation) and the RFC 1071 worked example."""

from __future__ import annotations

import ipaddress
import logging

import pytest
from hypothesis import given, settings, strategies as st

from harness.codec.checksum import internet_checksum, ones_sum
from harness.codec.esp_encode import EspEncoder
from harness.codec.ethernet import EtherType, build_ethernet, parse_ethernet
from harness.codec.frame_view import parse_frame
from harness.codec.ipv4 import IpProto, build_ipv4, ipv4_checksum_ok, parse_ipv4
from harness.codec.ipv6 import build_ipv6, destination_options, fragment, hop_by_hop, parse_ipv6, routing
from harness.codec.l4 import build_icmp, build_icmpv6, build_tcp, build_udp, l4_checksum_ok
from harness.codec.spec import EspSaSpec

from codec_samples import combo_id, inner_v4, inner_v6, make_spec

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.inet import ICMP, IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6  # noqa: E402

S4, D4 = ipaddress.ip_address("198.18.1.2"), ipaddress.ip_address("198.19.3.4")
S6, D6 = ipaddress.ip_address("2001:2::10"), ipaddress.ip_address("2001:2:0:1::20")


def test_rfc1071_example() -> None:
    """RFC 1071 §3 numerical example: words 0001 f203 f4f5 f6f7 sum to ddf2."""
    assert ones_sum(bytes.fromhex("0001f203f4f5f6f7")) == 0xDDF2
    assert internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


@settings(max_examples=60, deadline=None)
@given(payload=st.binary(max_size=300), tos=st.integers(0, 255), ttl=st.integers(1, 255))
def test_ipv4_udp_equal_scapy(payload: bytes, tos: int, ttl: int) -> None:
    ours = build_ipv4(S4, D4, IpProto.UDP, build_udp(S4, D4, 53, 1234, payload), tos=tos, ttl=ttl, ident=7)
    theirs = bytes(IP(src=str(S4), dst=str(D4), tos=tos, ttl=ttl, id=7, flags="DF") / UDP(sport=53, dport=1234) / payload)
    assert ours == theirs
    assert ipv4_checksum_ok(ours) and l4_checksum_ok(S4, D4, IpProto.UDP, ours[20:])


@settings(max_examples=40, deadline=None)
@given(payload=st.binary(max_size=300))
def test_ipv6_tcp_icmpv6_equal_scapy(payload: bytes) -> None:
    tcp = build_ipv6(S6, D6, IpProto.TCP, build_tcp(S6, D6, 80, 4000, payload, seq=1, ack=2))
    ref = IPv6(src=str(S6), dst=str(D6)) / TCP(sport=80, dport=4000, seq=1, ack=2, flags="PA", window=65535) / payload
    assert tcp == bytes(ref)
    icmp6 = build_ipv6(S6, D6, IpProto.ICMPV6, build_icmpv6(S6, D6, 128, 0, b"\x00\x01\x00\x02", payload))
    assert icmp6 == bytes(IPv6(src=str(S6), dst=str(D6)) / ICMPv6EchoRequest(id=1, seq=2, data=payload))


def test_icmp_equal_scapy() -> None:
    ours = build_ipv4(S4, D4, IpProto.ICMP, build_icmp(8, 0, b"\x00\x05\x00\x06", b"ping"))
    assert ours == bytes(IP(src=str(S4), dst=str(D4), id=0, flags="DF") / ICMP(id=5, seq=6) / b"ping")


def test_ipv6_extension_walk_matches_scapy_layers() -> None:
    ext = (hop_by_hop(), routing(0, 1, bytes(4) + ipaddress.ip_address("2001:2::99").packed), fragment(0, False, 77),
           destination_options(b"\x01\x03\x00\x00\x00"))
    pkt = inner_v6(20, ext)
    view = parse_ipv6(pkt)
    assert view is not None and not view.truncated
    assert [e[0] for e in view.ext] == [0, 43, 44, 60]
    assert view.upper_proto == IpProto.UDP and pkt[view.nh_field_offset] == IpProto.UDP
    scapy_pkt = IPv6(pkt)
    assert len(bytes(scapy_pkt[UDP])) == len(pkt) - view.upper_offset
    assert scapy_pkt.nh == 0 and view.traffic_class == 0xB8


def test_ipv4_parse_and_truncation() -> None:
    pkt = inner_v4()
    view = parse_ipv4(pkt)
    assert view is not None and (view.proto, view.src, view.flags) == (IpProto.UDP, pkt[12:16], 2)
    assert parse_ipv4(pkt[:19]) is None and parse_ipv4(b"\x65" + pkt[1:]) is None


def test_ethernet_vlan_roundtrip() -> None:
    hdr = build_ethernet("02:00:00:00:00:0a", b"\x02\x00\x00\x00\x00\x0b", EtherType.IPV6, vlan=100)
    view = parse_ethernet(hdr)
    assert view is not None and (view.ethertype, view.vlans, view.l3_offset) == (EtherType.IPV6, (100,), 18)
    with pytest.raises(ValueError, match="bad MAC"):
        build_ethernet("02:00:00:00:00", "02:00:00:00:00:0b", EtherType.IPV4)


@pytest.mark.parametrize("udp_encap", [None, (4500, 4500)], ids=["esp", "nat-t"])
@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_frame_view_finds_esp(v6: bool, udp_encap) -> None:
    spec = make_spec((None, None, "aes-128-gcm"), v6=v6, udp_encap=udp_encap, spi=0xABCD)
    eth = build_ethernet("02:00:00:00:00:01", "02:00:00:00:00:02", EtherType.IPV6 if v6 else EtherType.IPV4)
    frame = eth + EspEncoder(spec).encode(inner_v4(), 0x1234)
    view = parse_frame(frame)
    assert view.problem is None
    assert (view.spi, view.esp_seq, view.udp_encap) == (0xABCD, 0x1234, udp_encap is not None)
    assert view.esp_offset == 14 + (40 if v6 else 20) + (8 if udp_encap else 0)
    assert view.ttl == 64 and view.l3_length == len(frame) - 14


def test_frame_view_plain_and_bad() -> None:
    eth = build_ethernet("02:00:00:00:00:01", "02:00:00:00:00:02", EtherType.IPV4)
    view = parse_frame(eth + inner_v4())
    assert (view.l4_proto, view.sport, view.dport, view.esp_offset) == (17, 1024, 2048, -1)
    assert parse_frame(b"\x00" * 10).problem == "short-ethernet"
    arp = build_ethernet("02:00:00:00:00:01", "02:00:00:00:00:02", EtherType.ARP) + bytes(28)
    assert parse_frame(arp).problem == "not-ip"
    assert parse_frame(eth + inner_v4()[:-5]).problem == "ip-length"
    keepalive = build_ipv4(S4, D4, IpProto.UDP, build_udp(S4, D4, 4500, 4500, b"\xff"))
    assert parse_frame(eth + keepalive).esp_offset == -1


@pytest.mark.parametrize("combo", [(None, None, "aes-128-gcm"), ("aes-128-cbc", "sha1-hmac", None)], ids=combo_id)
def test_spec_json_roundtrip(combo: tuple) -> None:
    for spec in (make_spec(combo, v6=True, esn=True), make_spec(combo, mode="transport", udp_encap=(4500, 4500))):
        assert EspSaSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize("kwargs,message", [
    (dict(mode="tunnel", aead="aes-128-gcm", aead_key=bytes(16)), "must be 20 bytes"),
    (dict(mode="tunnel", aead="aes-512-gcm", aead_key=bytes(16)), "unknown aead algorithm 'aes-512-gcm'"),
    (dict(mode="tunnel", cipher="aes-128-cbc", cipher_key=bytes(16)), "both cipher and auth"),
    (dict(mode="tunel", aead="aes-128-gcm", aead_key=bytes(20)), "mode must be"),
    (dict(mode="tunnel", aead="aes-128-gcm", aead_key=bytes(20)), "need tunnel_src"),
    (dict(mode="tunnel", cipher="aes-128-cbc", cipher_key=bytes(16), auth="aes-gmac", auth_key=bytes(20),
          tunnel_src=S4, tunnel_dst=D4), "integrity-only"),
    (dict(mode="tunnel", aead="aes-128-gcm", aead_key=bytes(20), tunnel_src=S4, tunnel_dst=D6), "different IP versions"),
])
def test_spec_validation_names_the_problem(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EspSaSpec(spi=1, **kwargs)


def test_default_ivs() -> None:
    gcm = EspEncoder(make_spec((None, None, "aes-128-gcm")))
    assert gcm.default_iv(0x0102030405060708) == bytes.fromhex("0102030405060708")
    draws = iter([b"A" * 16, b"B" * 16])
    cbc = EspEncoder(make_spec(("aes-128-cbc", "sha1-hmac", None)), rng=lambda n: next(draws))
    assert cbc.encode(inner_v4(), 1)[28:44] == b"A" * 16
    assert cbc.encode(inner_v4(), 2)[28:44] == b"B" * 16


def test_frame_builder_equals_encode() -> None:
    eth = build_ethernet("02:00:00:00:00:01", "02:00:00:00:00:02", EtherType.IPV4)
    for combo in ((None, None, "aes-128-gcm"), (None, None, "chacha20-poly1305"), ("aes-128-ctr", "sha256-hmac", None)):
        for v6, esn in ((False, False), (True, False), (False, True)):
            enc = EspEncoder(make_spec(combo, v6=v6, esn=esn))
            build = enc.frame_builder(eth)
            for inner in (inner_v4(1), inner_v4(50), inner_v6(33)):
                seq = (5 << 32 | 3) if esn else 3
                assert build(inner, seq) == eth + enc.encode(inner, seq)
