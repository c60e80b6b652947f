"""The datapath never raises on a bad packet: random bytes, and truncated or bit-flipped valid
frames of every kind, to every port role, under several placements. Every frame ends up sent,
dropped under a named reason, or pending."""
from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6ExtHdrHopByHop
from scapy.layers.l2 import ARP, Ether

from gwdp_helpers import GW4, PEER4, PORT0_NEIGH, PORT_MACS, cfg_text, esp_frame, frame, udp
from gateway_ref.datapath.drops import DropReason
from gateway_ref.gateway import Gateway

NATT_SA = (f"sa in 2009 aead_algo aes-128-gcm aead_key {':'.join(['33'] * 20)} mode ipv4-tunnel "
           f"src {PEER4} dst {GW4} type inline-protocol-offload port_id 0 udp-encap\n"
           "sp ipv4 in esp protect 2009 pri 20 src 198.19.9.0/24 dst 198.18.1.0/24 sport 0:65535 dport 0:65535\n")
TYPES = ["type cpu-crypto", "type no-offload", "type inline-crypto-offload port_id 0",
         "type inline-protocol-offload port_id 0", "type lookaside-protocol-offload port_id 0"]
REASONS = {r.value for r in DropReason}


@functools.cache
def _valid_frames() -> tuple[bytes, ...]:
    v6_hbh = udp("2001:2:0:1::5", "2001:2:0:2::7")
    v6_hbh = v6_hbh.__class__(src=v6_hbh.src, dst=v6_hbh.dst) / IPv6ExtHdrHopByHop() / v6_hbh.payload
    return (
        frame(udp("198.18.1.5", "198.19.1.7")), frame(udp("2001:2:0:1::5", "2001:2:0:2::7")), frame(v6_hbh),
        frame(udp("198.18.4.5", "198.19.4.7")), frame(udp("198.18.1.5", "198.19.100.7")),
        esp_frame(2001, udp("198.19.1.7", "198.18.1.5"), 1), esp_frame(2002, udp("198.19.2.7", "198.18.2.5"), 1),
        esp_frame(2003, udp("2001:2:0:2::7", "2001:2:0:1::5"), 1),
        esp_frame(2004, udp("198.19.4.7", "198.18.4.5"), 1),
        esp_frame(2005, udp("2001:2:0:6::7", "2001:2:0:5::5"), 1),
        frame(IP(src=PEER4, dst=GW4) / UDP(sport=4500, dport=4500) / b"\xff", PORT0_NEIGH),
        frame(IP(src=PEER4, dst=GW4) / UDP(sport=4500, dport=4500) / (b"\x00" * 12), PORT0_NEIGH),
        frame(IP(src=PEER4, dst=GW4) / UDP(sport=4500, dport=4500) / (b"\x00\x00\x07\xd9" + b"\x01" * 40),
              PORT0_NEIGH),
        bytes(Ether() / ARP()),
    )


@pytest.fixture(scope="module")
def gateways():
    gws = [Gateway.from_cfg_text(cfg_text(t) + NATT_SA, "fuzz.cfg", replay_window=32, port_macs=PORT_MACS)
           for t in TYPES]
    yield gws
    for gw in gws:
        gw.close()


def _feed(gws, port: int, data: bytes) -> None:
    for gw in gws:
        gw.process(port, [data])
        gw.flush()
        c = gw.counters()
        assert c["rx"] == c["tx"] + c["dropped"] + c["pending"]
        assert set(c["drops"]) <= REASONS
        declared = gw.node_drop_reasons()
        for node, reasons in c["drops_by_node"].items():  # every drop under a reason its node declares
            assert set(reasons) <= set(declared[node]), node


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=120), port=st.sampled_from([0, 1, 2]))
def test_random_bytes_never_raise(gateways, data: bytes, port: int) -> None:
    _feed(gateways, port, data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, 13), cut=st.integers(0, 200), flip=st.none() | st.tuples(st.integers(0, 199),
                                                                                      st.integers(1, 255)),
       port=st.sampled_from([0, 1]))
def test_truncated_and_flipped_frames_never_raise(gateways, which: int, cut: int, flip, port: int) -> None:
    data = bytearray(_valid_frames()[which][:cut])
    if flip is not None and flip[0] < len(data):
        data[flip[0]] ^= flip[1]
    _feed(gateways, port, bytes(data))


def test_every_truncation_of_every_frame(gateways) -> None:
    """Exhaustive over lengths: each prefix of each valid frame, to both port roles."""
    for raw in _valid_frames():
        for port in (0, 1):
            for gw in gateways:
                gw.process(port, [raw[:n] for n in range(len(raw) + 1)])
    for gw in gateways:
        gw.flush()
        c = gw.counters()
        assert c["rx"] == c["tx"] + c["dropped"] and c["pending"] == 0


def test_nat_keepalive_and_non_esp_marker_have_their_reasons(gateways) -> None:
    keepalive, marker = _valid_frames()[10], _valid_frames()[11]
    for gw in gateways:
        before = dict(gw.counters()["drops"])
        gw.process(0, [keepalive, marker])
        after = gw.counters()["drops"]
        assert after.get("nat-keepalive", 0) - before.get("nat-keepalive", 0) == 1
        assert after.get("udp-encap-non-esp", 0) - before.get("udp-encap-non-esp", 0) == 1
