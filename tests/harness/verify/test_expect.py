"""The expected-transform model: every SP outcome, every drop reason, profile differences."""
from __future__ import annotations

import pytest
from verify_build import (GW4, IN4, NEIGH, PEER4, SPI_IN4, SPI_OUT4, Sent, esp_in, eth, scenario, sent,
                          udp4, udp6)

from harness.codec.spec import Corruption
from harness.scenario.model import Port, PortRole
from harness.verify.expect import expect
from harness.verify.expectations import Decrypt, Drop, DropReason, Encrypt, ForwardClear
from harness.verify.ipview import parse_ip
from harness.verify.profiles import CE, ECT0, ECT1, NOT_ECT, RFC_STRICT, SECGW_LEGACY, SECGW_LIBRARY

LIB = SECGW_LIBRARY


def one(pkts, profile=LIB, **kw):
    return expect(scenario(**kw), pkts, profile)


def test_outbound_protect_encrypts_with_outer_fields() -> None:
    inner = udp4("198.18.1.5", "198.19.1.9", tos=0xB9)
    (e,) = one([sent(1, inner)])
    assert isinstance(e, Encrypt)
    assert (e.port, e.spec.spi, e.seq, e.next_header) == (0, SPI_OUT4, 1, 4)
    assert e.inner == inner  # library: TTL kept
    assert (e.outer.src, e.outer.dst, e.outer.tos, e.outer.ident, e.outer.df, e.outer.ttl) == (
        GW4, PEER4, 0xB9, 1, 0, 64)
    assert e.eth_dst == NEIGH[0] and e.eth_src == Port.with_defaults(0, PortRole.UNPROTECTED).dut_mac


def test_outbound_sequence_counts_per_sa() -> None:
    pkts = [sent(1, udp4("198.18.1.5", "198.19.1.9", seq=s), seq=s) for s in range(3)]
    assert [e.seq for e in one(pkts)] == [1, 2, 3]
    assert [e.outer.ident for e in one(pkts)] == [1, 2, 3]
    assert [e.outer.ident for e in one(pkts, SECGW_LEGACY)] == [0, 0, 0]
    assert [e.outer.ident for e in one(pkts, RFC_STRICT)] == [None] * 3


def test_inner_ttl_per_profile() -> None:
    inner = udp4("198.18.1.5", "198.19.1.9", ttl=30)
    ttls = {p.name: parse_ip(one([sent(1, inner)], p)[0].inner).ttl for p in (LIB, SECGW_LEGACY, RFC_STRICT)}
    assert ttls == {"secgw-library": 30, "secgw-legacy": 29, "rfc-strict": 29}
    dec = {p.name: parse_ip(one([sent(0, esp_in(udp4("198.19.1.9", "198.18.1.5", ttl=30), 1))], p)[0].frame[14:]).ttl
           for p in (LIB, SECGW_LEGACY, RFC_STRICT)}
    assert dec == {"secgw-library": 30, "secgw-legacy": 29, "rfc-strict": 29}


def test_bypass_forwards_exact_frame() -> None:
    l3 = udp4("198.18.1.5", "198.19.2.9")
    (e,) = one([sent(1, l3)])
    assert isinstance(e, ForwardClear) and e.port == 0
    assert e.frame == NEIGH[0] + Port.with_defaults(0, PortRole.UNPROTECTED).dut_mac + b"\x08\x00" + l3
    (strict,) = one([sent(1, l3)], RFC_STRICT)
    assert parse_ip(strict.frame[14:]).ttl == 63 and parse_ip(strict.frame[14:]).checksum_ok


def test_ethernet_padding_trimmed() -> None:
    l3 = udp4("198.18.1.5", "198.19.2.9")
    (e,) = one([Sent(1, 0, 1, eth(1, l3) + bytes(6))])
    assert e.frame.endswith(l3)


@pytest.mark.parametrize(("port", "l3", "reason"), [
    (1, udp4("198.18.1.5", "198.19.3.9"), DropReason.SP_DISCARD),
    (1, udp4("198.18.9.5", "198.19.9.9"), DropReason.SP_NO_MATCH),
    (0, udp4("198.19.1.9", "198.18.1.5"), DropReason.SP_CLEAR_ON_PROTECT),
    (0, udp4("198.19.3.9", "198.18.1.5"), DropReason.SP_DISCARD),
    (1, esp_in(udp4("198.18.1.5", "198.19.1.9"), 1), DropReason.ESP_ON_PROTECTED_PORT),
])
def test_policy_drops(port: int, l3: bytes, reason: DropReason) -> None:
    (e,) = one([sent(port, l3)])
    assert isinstance(e, Drop) and e.reason is reason


def test_frame_level_drops() -> None:
    runt = Sent(1, 0, 1, b"\x00" * 10)
    arp = Sent(1, 1, 1, bytes(12) + b"\x08\x06" + bytes(28))
    bad = Sent(1, 2, 1, eth(1, udp4("198.18.1.5", "198.19.2.9"))[:30])
    assert [e.reason for e in one([runt, arp, bad])] == [
        DropReason.RUNT_FRAME, DropReason.NON_IP, DropReason.MALFORMED_IP]


def test_no_route() -> None:
    l3 = udp6("2001:2:0:1::5", "2001:2:0:9::9")
    sc = scenario()
    from harness.scenario.model import Direction, Family, Policy, PolicyAction
    from dataclasses import replace
    sc = replace(sc, policies=sc.policies + (Policy(Family.IPV6, Direction.OUT, PolicyAction.BYPASS, priority=1),))
    (e,) = expect(sc, [sent(1, l3)], LIB)
    assert e.reason is DropReason.NO_ROUTE


def test_inbound_decrypt_exact_frame() -> None:
    inner = udp4("198.19.1.9", "198.18.1.5")
    (e,) = one([sent(0, esp_in(inner, 1))])
    assert isinstance(e, Decrypt) and (e.port, e.spi) == (1, SPI_IN4)
    assert e.frame == NEIGH[1] + Port.with_defaults(1, PortRole.PROTECTED).dut_mac + b"\x08\x00" + inner


@pytest.mark.parametrize(("mutate", "reason"), [
    (lambda l3: l3[:20] + (0x9999).to_bytes(4, "big") + l3[24:], DropReason.UNKNOWN_SPI),
    (lambda l3: l3[:12] + bytes([198, 19, 255, 2]) + l3[16:], DropReason.BAD_TUNNEL_ADDRESS),
    (lambda l3: l3[:-1] + bytes([l3[-1] ^ 1]), DropReason.ICV_FAILED),
    (lambda l3: l3[:30], DropReason.ESP_TRUNCATED),
])
def test_inbound_esp_drops(mutate, reason: DropReason) -> None:
    from harness.verify.inner_edit import recompute_ipv4_checksum
    l3 = esp_in(udp4("198.19.1.9", "198.18.1.5"), 1)
    bad = mutate(l3)
    if len(bad) != len(l3):  # keep the IP length consistent so only ESP is short
        bad = bad[:2] + len(bad).to_bytes(2, "big") + bad[4:]
    (e,) = one([sent(0, recompute_ipv4_checksum(bad))])
    assert isinstance(e, Drop) and e.reason is reason, e


def test_bad_padding_and_next_header_and_dummy() -> None:
    inner = udp4("198.19.1.9", "198.18.1.5")
    pad = esp_in(inner, 1, padding=b"\x00\x00")
    nh = esp_in(inner, 2, next_header=41)
    dummy = esp_in(inner, 3, next_header=59)
    got = [e.reason for e in one([sent(0, pad), sent(0, nh), sent(0, dummy)])]
    assert got == [DropReason.BAD_PADDING, DropReason.BAD_NEXT_HEADER, DropReason.DUMMY_PACKET]
    legacy = one([sent(0, nh)], SECGW_LEGACY)[0]
    assert isinstance(legacy, Decrypt)  # legacy engine does not check the next header


def test_pad_length_too_large_is_bad_padding() -> None:
    l3 = esp_in(udp4("198.19.1.9", "198.18.1.5"), 1, corrupt=Corruption(pad_len_field=0xFF))
    assert one([sent(0, l3)])[0].reason is DropReason.BAD_PADDING


def test_wrong_sa_for_policy() -> None:
    # valid ESP on the IPv4 SA carrying a packet whose inbound policy names another SA: the bypass
    # prefix of the IPv6 policy does not exist, so use the IPv4 discard-free range of SPI 0x2006
    inner6 = udp6("2001:2:0:2::9", "2001:2:0:1::5")
    l3 = esp_in(inner6, 1, IN4)  # IPv6 inner through the IPv4 SA
    e = one([sent(0, l3)], SECGW_LEGACY)[0]  # legacy: next header not checked
    assert isinstance(e, Drop) and e.reason is DropReason.SP_WRONG_SA


def test_replay_window_edges_per_profile() -> None:
    inner = udp4("198.19.1.9", "198.18.1.5")
    w = 64
    seqs = [2 * w, w + 1, w, w + w // 2, w + w // 2]
    pkts = [sent(0, esp_in(inner, s), seq=i) for i, s in enumerate(seqs)]
    kinds = [type(e).__name__ for e in one(pkts, window=w)]
    assert kinds == ["Decrypt", "Decrypt", "Drop", "Decrypt", "Drop"]
    lib_edge = LIB.replace(replay_edge=__import__("harness.verify.profiles", fromlist=["ReplayEdge"]).ReplayEdge.LIBRARY)
    assert [type(e).__name__ for e in one(pkts, lib_edge, window=w)] == [
        "Decrypt", "Decrypt", "Decrypt", "Decrypt", "Drop"]
    assert all(type(e).__name__ == "Decrypt" for e in one(pkts, SECGW_LEGACY, window=w))  # no anti-replay
    assert all(type(e).__name__ == "Decrypt" for e in one(pkts, window=0))


def test_replay_not_advanced_by_bad_icv() -> None:
    inner = udp4("198.19.1.9", "198.18.1.5")
    forged = bytearray(esp_in(inner, 1000))
    forged[-1] ^= 1
    kinds = [type(e).__name__ for e in one([sent(0, bytes(forged)), sent(0, esp_in(inner, 5))])]
    assert kinds == ["Drop", "Decrypt"]  # E7


@pytest.mark.parametrize(("outer", "inner", "lib", "strict"), [
    (CE, ECT0, CE, CE), (CE, NOT_ECT, NOT_ECT, None), (ECT1, ECT0, ECT0, ECT1), (ECT0, ECT1, ECT1, ECT1),
])
def test_ecn_decap_per_profile(outer: int, inner: int, lib: int, strict: int | None) -> None:
    l3 = esp_in(udp4("198.19.1.9", "198.18.1.5", tos=0x20 | inner), 1, outer_tos=0x20 | outer)
    e_lib = one([sent(0, l3)])[0]
    assert parse_ip(e_lib.frame[14:]).ecn == lib
    e_strict = one([sent(0, l3)], RFC_STRICT)[0]
    if strict is None:
        assert e_strict.reason is DropReason.ECN_DECAP_DROP
    else:
        got = parse_ip(e_strict.frame[14:])
        assert got.ecn == strict and got.dscp == 8 and got.checksum_ok


def test_empty_tables_pass_or_deny_per_profile() -> None:
    l3 = udp4("198.18.1.5", "198.19.1.9")
    sc = scenario(policies=False)
    assert isinstance(expect(sc, [sent(1, l3)], LIB)[0], ForwardClear)
    assert expect(sc, [sent(1, l3)], RFC_STRICT)[0].reason is DropReason.SP_NO_MATCH


def test_port_selector_fixed_offset_vs_l4_parse() -> None:
    """An IPv4 header with options moves the UDP ports: secgw reads bytes 20-23 anyway."""
    from dataclasses import replace
    from harness.codec.ipv4 import build_ipv4
    from harness.codec.l4 import build_udp
    from harness.scenario.model import Direction, Family, Policy, PolicyAction
    import ipaddress
    sc = scenario()
    only53 = Policy(Family.IPV4, Direction.OUT, PolicyAction.BYPASS, priority=50,
                    dst=ipaddress.ip_network("198.19.1.0/24"), dport=(53, 53))
    sc = replace(sc, policies=sc.policies + (only53,))
    udp = build_udp("198.18.1.5", "198.19.1.9", 1000, 53, bytes(30))
    l3 = build_ipv4("198.18.1.5", "198.19.1.9", 17, udp, options=b"\x01\x01\x01\x00")
    assert isinstance(expect(sc, [sent(1, l3)], RFC_STRICT)[0], ForwardClear)  # real port 53
    assert isinstance(expect(sc, [sent(1, l3)], LIB)[0], Encrypt)  # bytes 20-23 are the options


def test_ipv6_tunnel_outer() -> None:
    (e,) = one([sent(1, udp6("2001:2:0:1::5", "2001:2:0:2::9", tc=0x2A))])
    assert isinstance(e, Encrypt) and e.next_header == 41
    assert (e.outer.version, e.outer.tos, e.outer.ttl, e.outer.flow_label, e.outer.ident) == (6, 0x2A, 64, 0, None)


def test_sequence_exhausted_without_esn() -> None:
    """RFC 4303 §3.3.3 (E4): no wrap without ESN; the model is started near 2^32 - 1."""
    from harness.verify.expect import GatewayModel, expect_one
    from harness.verify.sent import sent_view
    model = GatewayModel(scenario(), LIB)
    model.out_seq[SPI_OUT4] = 2**32 - 1
    pkts = [sent(1, udp4("198.18.1.5", "198.19.1.9", seq=s), seq=s) for s in range(2)]
    first, second = (expect_one(model, sent_view(i, p)) for i, p in enumerate(pkts))
    assert isinstance(first, Encrypt) and first.seq == 2**32 - 1 and first.outer.ident == 0xFFFF
    assert isinstance(second, Drop) and second.reason is DropReason.SEQUENCE_EXHAUSTED and second.requirement == "E4"
