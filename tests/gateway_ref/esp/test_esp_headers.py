"""Outer header construction and decapsulation rules (secgw-reference §3.6/§3.7, RFC 4301
§5.1.2, RFC 3948 §2.1): TTL/hop limit, ID, DF, TOS/TC copy, flow label, checksums, ECN decap,
legacy TTL decrement, UDP encapsulation, transport IPv4 rewrite."""
from __future__ import annotations

import ipaddress

import pytest

from esp_helpers import V4_DST, V4_SRC, V6_DST, V6_SRC, inner, inner4, inner6, sa_pair, sa_rule
from gateway_ref.cfg.records import Family, SaMode
from gateway_ref.esp import Engine, esp_decrypt, esp_encrypt
from gateway_ref.proto import checksum, ipv4, ipv6
from gateway_ref.proto.ecn import CE, ECT0, ECT1, NOT_ECT


@pytest.mark.parametrize("fam", [Family.IPV4, Family.IPV6])
@pytest.mark.parametrize("tos", [0x00, 0x04, 0xFC, 0x01, 0x02, 0x03, 0xB9])
def test_outer_ipv4_header_library(fam: Family, tos: int) -> None:
    tx, _ = sa_pair(sa_rule(), fam)
    tx.rt.seq = 0x1234FFFF - 1
    out = esp_encrypt(tx, inner(fam, tos=tos))
    assert out[0] == 0x45 and out[1] == tos  # TOS copied whole, DSCP and ECN
    assert ipv4.total_len(out) == len(out)
    assert out[4:6] == b"\xff\xff"  # ID = low 16 bits of the sequence number
    assert out[6:8] == b"\x00\x00"  # DF never set
    assert out[8] == 64 and out[9] == 50
    assert ipv4.is_valid_checksum(out[:20])
    assert out[12:16] == ipaddress.ip_address(V4_SRC).packed and out[16:20] == ipaddress.ip_address(V4_DST).packed


@pytest.mark.parametrize("fam", [Family.IPV4, Family.IPV6])
def test_outer_ipv6_header(fam: Family) -> None:
    tx, _ = sa_pair(sa_rule(mode=SaMode.IPV6_TUNNEL), fam)
    out = esp_encrypt(tx, inner(fam, tos=0xB9))
    assert ipv6.traffic_class(out) == 0xB9
    assert out[1] & 0x0F == 0 and out[2:4] == b"\x00\x00"  # flow label 0
    assert out[6] == 50 and out[7] == 64  # deliberate deviation: hop limit 64
    assert ipv6.payload_len(out) == len(out) - 40
    assert out[8:24] == ipaddress.ip_address(V6_SRC).packed and out[24:40] == ipaddress.ip_address(V6_DST).packed


def test_legacy_outer_id_zero_and_inner_ttl_decremented() -> None:
    tx, _ = sa_pair(sa_rule(), Family.IPV4, engine=Engine.LEGACY)
    pkt = inner4()
    out = esp_encrypt(tx, pkt)
    assert out[4:6] == b"\x00\x00"
    # NULL cipher lets us see the encapsulated inner packet
    tn, _ = sa_pair(sa_rule(cipher="null", auth="sha1-hmac"), Family.IPV4, engine=Engine.LEGACY)
    out = esp_encrypt(tn, pkt)
    enc_inner = out[28:28 + len(pkt)]
    assert enc_inner[8] == pkt[8] - 1 and ipv4.is_valid_checksum(enc_inner[:20])


def test_library_leaves_inner_ttl() -> None:
    tn, rn = sa_pair(sa_rule(cipher="null", auth="sha256-hmac"), Family.IPV4)
    pkt = inner4()
    out = esp_encrypt(tn, pkt)
    assert out[28:28 + len(pkt)] == pkt
    assert esp_decrypt(rn, out) == (pkt, Family.IPV4)


# (outer ECN, inner ECN) -> inner ECN after decap (secgw rule; RFC 6040 differs on ECT(1)/Not-ECT)
ECN_CASES = [
    (ECT1, ECT0, ECT0), (ECT0, ECT1, ECT1), (ECT1, CE, CE), (CE, ECT0, CE), (CE, ECT1, CE),
    (CE, NOT_ECT, NOT_ECT), (NOT_ECT, ECT0, ECT0), (CE, CE, CE),
]


@pytest.mark.parametrize("outer_mode", [SaMode.IPV4_TUNNEL, SaMode.IPV6_TUNNEL])
@pytest.mark.parametrize("fam", [Family.IPV4, Family.IPV6])
@pytest.mark.parametrize("outer_ecn,inner_ecn,want", ECN_CASES)
def test_ecn_decap(outer_mode: SaMode, fam: Family, outer_ecn: int, inner_ecn: int, want: int) -> None:
    tx, rx = sa_pair(sa_rule(mode=outer_mode), fam)
    dscp = 0x28 << 2
    pkt = inner(fam, tos=dscp | inner_ecn)
    wire = bytearray(esp_encrypt(tx, pkt))
    if outer_mode is SaMode.IPV4_TUNNEL:
        ipv4.set_tos(wire, (wire[1] & 0xFC) | outer_ecn)
        assert ipv4.is_valid_checksum(bytes(wire[:20]))
    else:
        ipv6.set_traffic_class(wire, (ipv6.traffic_class(wire) & 0xFC) | outer_ecn)
    res = esp_decrypt(rx, bytes(wire))
    assert isinstance(res, tuple)
    out = res[0]
    got = out[1] if fam is Family.IPV4 else ipv6.traffic_class(out)
    assert got == dscp | want
    if fam is Family.IPV4:
        assert ipv4.is_valid_checksum(out[:20])


@pytest.mark.parametrize("fam", [Family.IPV4, Family.IPV6])
def test_udp_encap_tunnel(fam: Family) -> None:
    mode = SaMode.IPV4_TUNNEL if fam is Family.IPV4 else SaMode.IPV6_TUNNEL
    tx, rx = sa_pair(sa_rule(mode=mode, udp_encap=True), Family.IPV4)
    pkt = inner4(b"natt")
    out = esp_encrypt(tx, pkt)
    off = 20 if fam is Family.IPV4 else 40
    assert out[9 if fam is Family.IPV4 else 6] == 17
    assert out[off:off + 4] == b"\x11\x94\x11\x94"  # 4500 -> 4500
    assert int.from_bytes(out[off + 4:off + 6], "big") == len(out) - off
    if fam is Family.IPV4:
        assert out[off + 6:off + 8] == b"\x00\x00"  # RFC 3948 §2.1: checksum 0
    else:
        pseudo = out[8:40] + (len(out) - off).to_bytes(4, "big") + b"\x00\x00\x00\x11"
        assert checksum.checksum(pseudo + out[off:]) == 0
    assert esp_decrypt(rx, out) == (pkt, Family.IPV4)


@pytest.mark.parametrize("udp_encap", [False, True])
def test_transport4_rewrites_protocol_length_checksum(udp_encap: bool) -> None:
    tx, rx = sa_pair(sa_rule(mode=SaMode.TRANSPORT, udp_encap=udp_encap), Family.IPV4)
    pkt = inner4(b"transport", tos=0x10)
    out = esp_encrypt(tx, pkt)
    assert out[9] == (17 if udp_encap else 50)
    assert ipv4.total_len(out) == len(out) and ipv4.is_valid_checksum(out[:20])
    assert out[12:20] == pkt[12:20] and out[1] == 0x10 and out[8] == pkt[8]
    assert esp_decrypt(rx, out) == (pkt, Family.IPV4)


def test_tfc_padding_after_inner_packet_is_trimmed() -> None:
    tx, rx = sa_pair(sa_rule(cipher="null", auth="sha256-hmac"), Family.IPV6)
    pkt = inner6(b"tfc")
    op = tx.enc_prepare(pkt)
    body = pkt + bytes(16)  # 16 TFC bytes (RFC 4303 §2.7), then pad and trailer
    n = (-(len(body) + 2)) % 4
    op.data = body + bytes(range(1, n + 1)) + bytes((n, 41))
    op.run()
    assert esp_decrypt(rx, tx.enc_finish(op)) == (pkt, Family.IPV6)
