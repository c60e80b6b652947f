"""Forwarding and header construction: routes and neighbour MACs, DSCP/ECN on encapsulation,
the ECN decapsulation table, the outer IPv4 ID rule, the inner TTL rule of the profile, and
transport ESP placed after IPv6 extension headers (RFC 4301 §5.1.2, RFC 6040 §4, RFC 4303
§3.1.1; secgw-reference.md §3.6-3.8).
"""
from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from harness.codec.esp_encode import EspEncoder
from harness.codec.spec import OuterFields
from harness.exchange import CraftedPacket
from harness.scenario.model import Direction, Neighbour, Port, PortRole, Route
from harness.stream.builder import build_frames
from testsuites.conformance.traffic import inbound, outbound, sa_of, template

pytestmark = pytest.mark.conformance

net = ipaddress.ip_network
TOS_VALUES = (0x00, 0x01, 0x02, 0x03, 0xB8, 0xB9, 0xBA, 0xBB)  # DSCP 0/46 x every ECN codepoint


def _three_ports(sc):
    """A second protected port (2) behind which 198.18.1.128/25 and 198.18.2.128/25 live, and
    distinct neighbour MACs."""
    ports = sc.ports + (Port.with_defaults(2, PortRole.PROTECTED),)
    neigh = tuple(Neighbour(p.id, bytes.fromhex(f"020000ee00{p.id:02x}")) for p in ports)
    routes = sc.routes + (Route(net("198.18.1.128/25"), 2), Route(net("198.18.2.128/25"), 2))
    return dataclasses.replace(sc, name=f"{sc.name}-3ports", ports=ports, neighbours=neigh, routes=routes)


@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "trs4-aes256cbc-sha512"])
def test_routes_and_neighbour_macs(preset: str, exchange, assert_conformant, scenario_of) -> None:
    """SG-ROUTE longest-prefix match picks the egress port (the /25 beats the /16); SG-L2 every
    frame leaves with the neighbour MAC of its port as destination; SG-CHECKSUM."""
    sc = _three_ports(scenario_of(preset))
    streams = [inbound(sc, 1, 8, dst="198.18.1.5"), inbound(sc, 2, 8, dst="198.18.1.200"),
               inbound(sc, 3, 8, "bypass", dst="198.18.2.201"), outbound(sc, 4, 8, src="198.18.1.201")]
    ex = exchange(sc, streams)
    assert_conformant(ex)
    assert {port: len(frames) for port, frames in ex.by_port().items()} == {0: 8, 1: 8, 2: 16}


def test_no_route_dropped(exchange, assert_conformant, scenario_of) -> None:
    """SG-ROUTE: a bypassed packet whose destination no route covers is dropped (no-route)."""
    sc = scenario_of("tun44-aes128gcm")
    routes = tuple(r for r in sc.routes if str(r.prefix) != "198.19.0.0/16")
    routes += (Route(net("198.19.1.0/24"), 0), Route(net("198.19.255.0/24"), 0))
    sc = dataclasses.replace(sc, routes=routes)
    ex = exchange(sc, [outbound(sc, 1, 8, "bypass"), outbound(sc, 2, 8)])
    assert_conformant(ex)
    assert ex.result.expected_drops == {"no-route": 8}


@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "tun66-aes128cbc-sha1", "tun46-aes128gcm", "tun64-chacha20"])
def test_dscp_ecn_copied_on_encap(preset: str, exchange, assert_conformant, scenario_of) -> None:
    """A6 / SG-TOS-COPY / A8 (encapsulation, normal mode): the outer DSCP and ECN are copied from
    the inner header for every ECN codepoint; the inner header is untouched."""
    sc = scenario_of(preset)
    ex = exchange(sc, [outbound(sc, i, 4, tos=tos) for i, tos in enumerate(TOS_VALUES, start=1)])
    assert_conformant(ex)
    assert ex.result.expected_kinds == {"Encrypt": 4 * len(TOS_VALUES)}


def _ecn_packets(sc) -> list[CraftedPacket]:
    """Inbound ESP for every (outer ECN, inner ECN) pair, 2 packets each, DSCP 46 inside."""
    sa = sa_of(sc, Direction.IN)
    encoder = EspEncoder(sa.spec)
    port = sc.port(0)
    etype = b"\x08\x00" if sa.spec.tunnel_src.version == 4 else b"\x86\xdd"
    packets, seq = [], 1
    for inner_ecn in range(4):
        stream = dataclasses.replace(inbound(sc, 10 + inner_ecn, 8, ext=False), esp=None,
                                     template=template(sc, "protect", Direction.IN, ext=False, tos=0xB8 | inner_ecn))
        for k, frame in enumerate(build_frames(stream, sc)):
            esp = encoder.encode(frame[14:], seq, outer=OuterFields(tos=0xB8 | (k % 4)))
            packets.append(CraftedPacket(stream.stream_id, k, port.id, port.dut_mac + port.tester_mac + etype + esp))
            seq += 1
    return packets


@pytest.mark.parametrize("preset", ["tun44-aes128gcm-w64", "tun66-aes256gcm", "tun64-aes128cbc-sha256"])
def test_ecn_decapsulation_table(preset: str, exchange, assert_conformant, scenario_of, profile) -> None:
    """The 4x4 outer/inner ECN table on decapsulation, judged by the profile: SG-ECN-DECAP
    (secgw: outer CE over an ECT inner gives CE, nothing else changes, nothing dropped) or A8
    (RFC 6040 §4.2 Figure 4: ECT(1) propagation, CE over Not-ECT dropped)."""
    sc = scenario_of(preset)
    ex = exchange.packets(sc, _ecn_packets(sc))
    assert_conformant(ex)
    assert ex.result.expected_kinds.get("Decrypt", 0) >= 30
    assert profile.ecn_requirement in ex.result.requirements_exercised


@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "tun64-aes256cbc-sha256", "tun44-aes128gcm-legacy"])
def test_outer_ipv4_id(preset: str, exchange, assert_conformant, scenario_of) -> None:
    """SG-OUTER-ID: the outer IPv4 ID is the low 16 bits of the sequence number (library) or 0
    (legacy); rfc-strict only requires a valid header (RFC 6864 §4)."""
    sc = scenario_of(preset)
    ex = exchange(sc, [outbound(sc, 1, 32)])
    assert_conformant(ex)
    assert ex.result.expected_kinds == {"Encrypt": 32}


@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "tun66-aes128gcm", "trs4-aes128gcm",
                                    "tun44-aes128gcm-legacy", "tun66-aes128cbc-sha256-legacy"])
def test_inner_ttl_rule(preset: str, exchange, assert_conformant, scenario_of, profile) -> None:
    """The profile's inner TTL / hop limit rule both ways and on bypass: SG-TTL-LIB (library keeps
    it), SG-TTL-LEGACY (legacy: -1 on encap and on decap), A7 (rfc-strict: -1 per forward)."""
    sc = scenario_of(preset)
    streams = [outbound(sc, 1, 8, ttl=64, ext=False), outbound(sc, 2, 8, ttl=7, ext=False),
               inbound(sc, 3, 8, ttl=33), outbound(sc, 4, 8, "bypass", ttl=5)]
    ex = exchange(sc, streams)
    assert_conformant(ex)
    assert ex.result.expected_kinds == {"Encrypt": 16, "Decrypt": 8, "ForwardClear": 8}


def test_transport_esp_after_ipv6_extension_headers(exchange, assert_conformant, scenario_of) -> None:
    """RFC 4303 §3.1.1 (DESIGN catalogue "Transport: ESP after all IPv6 extension headers"):
    hop-by-hop, routing and destination options stay in clear before ESP, the last one names 50."""
    sc = scenario_of("trs6-aes128gcm")
    ex = exchange(sc, [outbound(sc, 1, 8, ext=True)])
    assert_conformant(ex)
