"""Node behaviour through the whole graph: every drop reason the graph owns, every SP outcome,
routes, MACs, family re-sorting. The peer is scapy (gwdp_helpers), so ESP is checked by a second
implementation."""
from __future__ import annotations

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import ESP
from scapy.layers.l2 import ARP, Ether

from gwdp_helpers import (GW4, PEER4, PORT0_NEIGH, PORT1_NEIGH, PORT_MACS, cfg_text, esp_frame, frame, run_all,
                      scapy_sa, udp)


def _drops(gw) -> dict[str, int]:
    return gw.counters()["drops"]


def _eth(raw: bytes) -> tuple[str, str]:
    e = Ether(raw)
    return e.src, e.dst


@pytest.mark.parametrize("spi, src, dst, outer", [
    (1001, "198.18.1.5", "198.19.1.7", IP),
    (1002, "198.18.2.5", "198.19.2.7", IP),
    (1003, "2001:2:0:1::5", "2001:2:0:2::7", IPv6),
    (1004, "198.18.4.5", "198.19.4.7", IP),
    (1005, "2001:2:0:5::5", "2001:2:0:6::7", IP),  # IPv6 in IPv4: routed by the outer IPv4 table
])
def test_outbound_protect_is_decrypted_by_scapy(make_gw, spi, src, dst, outer) -> None:
    gw = make_gw()
    inner = [udp(src, dst, n) for n in range(3)]
    out = run_all(gw, 1, [frame(p) for p in inner])
    assert list(out) == [0] and len(out[0]) == 3
    peer = scapy_sa(spi)
    for seq, (raw, sent) in enumerate(zip(out[0], inner), start=1):
        assert _eth(raw) == ("02:00:00:00:00:a0", PORT0_NEIGH)
        pkt = Ether(raw)[outer]
        assert pkt[ESP].spi == spi and pkt[ESP].seq == seq
        assert bytes(peer.decrypt(pkt.copy())) == bytes(sent)
    c = gw.counters()
    assert c["sa"][f"out/{spi}"]["packets"] == 3 and c["tx"] == 3
    fam = "spd6" if ":" in src else "spd4"
    assert c["policy"][fam]["out"]["protect"] == 3


@pytest.mark.parametrize("spi, src, dst", [
    (2001, "198.19.1.7", "198.18.1.5"), (2002, "198.19.2.7", "198.18.2.5"),
    (2003, "2001:2:0:2::7", "2001:2:0:1::5"), (2004, "198.19.4.7", "198.18.4.5"),
    (2005, "2001:2:0:6::7", "2001:2:0:5::5"),
])
def test_inbound_esp_from_scapy_is_decrypted_and_forwarded(make_gw, spi, src, dst) -> None:
    gw = make_gw()
    inner = [udp(src, dst, n) for n in range(3)]
    out = run_all(gw, 0, [esp_frame(spi, p, seq) for seq, p in enumerate(inner, start=1)])
    assert list(out) == [1]
    for raw, sent in zip(out[1], inner):
        assert _eth(raw) == ("02:00:00:00:00:a1", PORT1_NEIGH)
        assert Ether(raw).payload.original == bytes(sent)
    assert gw.counters()["sa"][f"in/{spi}"]["packets"] == 3


def test_outbound_bypass_forwards_clear_with_fixed_checksum_and_trimmed_padding(make_gw) -> None:
    gw = make_gw()
    pkt = IP(src="198.18.1.5", dst="198.19.100.7", chksum=0x1234) / UDP(sport=1, dport=2) / b"ab"
    raw = bytes(Ether(src=PORT1_NEIGH, dst="02:00:00:00:00:a1") / pkt) + b"\x00" * 16  # Ethernet padding
    out = run_all(gw, 1, [raw])
    got = Ether(out[0][0])
    assert len(out[0][0]) == 14 + 20 + 8 + 2
    assert got[IP].chksum == IP(bytes(IP(src="198.18.1.5", dst="198.19.100.7") / UDP(sport=1, dport=2) / b"ab")).chksum
    assert bytes(got[IP])[:10] == bytes(pkt)[:10] and bytes(got[IP])[12:] == bytes(pkt)[12:]
    assert gw.counters()["policy"]["spd4"]["out"]["bypass"] == 1


@pytest.mark.parametrize("raw, reason", [
    (b"\x01\x02\x03", "runt-frame"),
    (bytes(Ether() / ARP(psrc="198.18.1.5", pdst="198.18.1.6")), "non-ip"),
    (bytes(Ether(type=0x800)) + b"\x55" * 30, "malformed-ip"),  # version 5
    (bytes(Ether() / IP(src="198.18.1.5", dst="198.19.1.7", len=200) / b"x"), "malformed-ip"),  # too long
    (bytes(Ether() / IPv6(src="2001:2:0:1::5", dst="2001:2:0:2::7", plen=99)), "malformed-ip"),
    (frame(IP(src="198.18.1.5", dst="198.19.1.7", proto=50) / (b"\x00" * 16)), "esp-on-protected-port"),
    (frame(udp("198.18.1.5", "198.19.200.7")), "sp-discard"),
    (frame(udp("198.18.9.5", "198.19.9.7")), "sp-no-match"),
])
def test_outbound_drops_name_their_reason(make_gw, raw, reason) -> None:
    gw = make_gw()
    assert run_all(gw, 1, [raw]) == {}
    assert _drops(gw) == {reason: 1}


def test_inbound_sad_and_esp_drops(make_gw) -> None:
    gw = make_gw(replay_window=64)
    good = esp_frame(2001, udp("198.19.1.7", "198.18.1.5"), 5)
    e = Ether(good)
    e[IP].src = "198.19.255.9"
    del e[IP].chksum
    bad_addr = bytes(e)
    unknown = bytearray(good)
    unknown[14 + 20:14 + 24] = (4242).to_bytes(4, "big")
    corrupt = bytearray(good)
    corrupt[-1] ^= 1
    truncated = frame(IP(src=PEER4, dst=GW4, proto=50) / b"\x00\x00\x07\xd1\x00\x00", PORT0_NEIGH)
    frames = [good, good, bytes(unknown), bad_addr, bytes(corrupt), truncated]
    out = run_all(gw, 0, frames)
    assert len(out[1]) == 1
    assert _drops(gw) == {"replay": 1, "unknown-spi": 1, "bad-tunnel-address": 1, "icv-failed": 1,
                          "esp-truncated": 1}
    assert gw.counters()["sa"]["in/2001"] == {
        "packets": 1, "bytes": 44, "drops": 3, "type": "cpu-crypto",
        "drops_by_reason": {"bad-tunnel-address": 1, "icv-failed": 1, "replay": 1}}


def test_duplicates_inside_one_burst_are_caught(make_gw) -> None:
    gw = make_gw(replay_window=32)
    f = esp_frame(2001, udp("198.19.1.7", "198.18.1.5"), 1)
    out = run_all(gw, 0, [f, f, f])
    assert len(out[1]) == 1 and _drops(gw) == {"replay": 2}


def test_inbound_policy_outcomes(make_gw) -> None:
    gw = make_gw()
    frames = [
        frame(udp("198.19.100.7", "198.18.1.5"), PORT0_NEIGH),  # clear bypass -> forwarded
        frame(udp("198.19.1.7", "198.18.1.5"), PORT0_NEIGH),  # clear on a protect rule
        frame(udp("198.19.200.7", "198.18.1.5"), PORT0_NEIGH),  # discard
        frame(udp("198.19.9.7", "198.18.1.5"), PORT0_NEIGH),  # no match
        esp_frame(2002, udp("198.19.1.7", "198.18.1.5"), 1),  # policy says SA 2001, came via 2002
        esp_frame(2001, udp("198.19.100.7", "198.18.1.5"), 1),  # decrypted, bypass: forwarded
        frame(udp("198.19.100.7", "198.18.77.5"), PORT0_NEIGH),  # bypass, no route
    ]
    out = run_all(gw, 0, frames)
    assert len(out[1]) == 2
    assert _drops(gw) == {"sp-clear-on-protect": 1, "sp-discard": 1, "sp-no-match": 1, "sp-wrong-sa": 1,
                          "no-route": 1}
    spd = gw.counters()["policy"]["spd4"]["in"]
    assert spd == {"protect": 0, "bypass": 3, "discard": 4, "unchecked": 0}


def test_no_rules_for_a_family_means_unchecked_pass(make_gw) -> None:
    v4_only = "\n".join(line for line in cfg_text().splitlines()
                        if not line.startswith("sp ipv6") and not any(f" {s} " in line for s in (1003, 2003, 1005, 2005)))
    gw = make_gw(v4_only)
    out = run_all(gw, 1, [frame(udp("2001:2:0:1::5", "2001:2:0:2::7"))])
    assert len(out[0]) == 1 and Ether(out[0][0]).type == 0x86DD
    assert gw.counters()["policy"]["spd6"]["out"]["unchecked"] == 1


def test_esp_on_unprotected_port_via_ipv6_extension_chain(make_gw) -> None:
    from scapy.layers.inet6 import IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop
    gw = make_gw()
    raw = frame(IPv6(src="2001:2:0:fe::1", dst="2001:2:0:ff::1") / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
                / bytes.fromhex("000003e7000000010000000000000000"), PORT0_NEIGH)
    # next header of the DestOpt header must be 50: scapy fills it from the raw payload as 59
    data = bytearray(raw)
    data[14 + 40 + 8] = 50
    run_all(gw, 0, [bytes(data)])
    assert _drops(gw) == {"unknown-spi": 1}
    assert gw.counters()["drops_by_node"] == {"sad-in": {"unknown-spi": 1}}


def test_mac_addresses_come_from_port_macs_and_neigh(make_gw) -> None:
    gw = make_gw(port_macs={0: bytes.fromhex("02aabbccdd00"), 1: PORT_MACS[1]})
    out = run_all(gw, 1, [frame(udp("198.18.1.5", "198.19.100.7"))])
    assert _eth(out[0][0]) == ("02:aa:bb:cc:dd:00", PORT0_NEIGH)
    assert gw.counters()["ports"] == {"0": {"rx": 0, "tx": 1}, "1": {"rx": 1, "tx": 0}}


def test_nat_t_esp_in_udp_4500_is_decrypted_by_a_udp_encap_protocol_sa(make_gw) -> None:
    from scapy.layers.ipsec import SecurityAssociation
    from test_fuzz import NATT_SA
    gw = make_gw(cfg_text() + NATT_SA)
    peer = SecurityAssociation(ESP, spi=2009, crypt_algo="AES-GCM", crypt_key=bytes([0x33] * 20), auth_algo="NULL",
                               tunnel_header=IP(src=PEER4, dst=GW4), nat_t_header=UDP(sport=4500, dport=4500))
    inner = udp("198.19.9.7", "198.18.1.5")
    out = run_all(gw, 0, [frame(peer.encrypt(inner, seq_num=1, iv=bytes(7) + b"\x01"), PORT0_NEIGH)])
    assert Ether(out[1][0]).payload.original == bytes(inner)
    assert gw.counters()["sa"]["in/2009"]["packets"] == 1


def test_encrypted_packets_route_on_the_outer_destination(make_gw) -> None:
    # 198.19.0.0/16 (inner destinations and the IPv4 peer) unrouted: IPv4 tunnels have nowhere
    # to go, while IPv6 inner traffic over the IPv4 tunnel is also routed by its outer IPv4 header
    text = cfg_text().replace("rt ipv4 dst 198.19.0.0/16 port 0\n", "rt ipv4 dst 198.19.255.0/24 port 1\n")
    gw = make_gw(text)
    out = run_all(gw, 1, [frame(udp("198.18.1.5", "198.19.1.7")), frame(udp("2001:2:0:5::5", "2001:2:0:6::7")),
                          frame(udp("198.18.1.5", "198.19.100.7")), frame(udp("198.18.4.5", "198.19.4.7"))])
    assert {p: len(v) for p, v in out.items()} == {1: 2}  # both tunnels to the peer, now via port 1
    assert _drops(gw) == {"no-route": 2}  # bypass and transport: their own destination is unrouted
