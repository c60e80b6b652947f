"""SAD, SPD and classification: ESP nobody can open, ESP from the wrong peer, clear traffic
that should have been protected, decrypted traffic outside its SA's policy, ESP on the wrong
port and frames that are not IP. RFC 4303 §3.4.2 (E17), RFC 4301 §5.2 (A4, A5), §4.4.1 (A1),
secgw-reference.md §3.1/§3.3 (SG-ESP-ON-PROTECTED, SG-NON-IP)."""
from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from harness.codec.spec import EspSaSpec
from harness.exchange import CraftedPacket
from harness.scenario.model import Direction, Family, Policy, PolicyAction, SecurityAssociation, Tunnel
from harness.scenario.presets import build_preset, derive_key
from harness.scenario.scenario import Scenario
from harness.stream.signature import Signature, pack_signature
from testsuites.negative.craft import Crafter, assert_dropped, host, udp_packet, with_tunnel_src

pytestmark = pytest.mark.negative

TUNNELS = ["tun44-aes128gcm-w64", "tun66-aes256cbc-sha256-esn-w64", "tun64-aes128gcm-w64"]
BAD = 50


def _good(c: Crafter) -> list[CraftedPacket]:
    return c.good_esp(1, range(1, 4)) + c.good_mix(2, 2)


def _later(c: Crafter) -> list[CraftedPacket]:
    return [c.esp(3, k, s) for k, s in enumerate(range(4, 7))]


@pytest.mark.parametrize("preset", TUNNELS + ["trs6-aes128gcm-w64"])
def test_unknown_spi(preset: str, exchange, scenario_of) -> None:
    """E17: ESP on an SPI no inbound SA has is discarded and audited (unknown-spi): a fresh SPI,
    the outbound SA's SPI (SADs are per direction) and SPI 0 (E1: never valid on the wire)."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    spec = c.sa_in.spec
    bad = [c.esp(BAD, k, 4, spec=dataclasses.replace(spec, spi=spi), drop="unknown-spi")
           for k, spi in enumerate((spec.spi + 7, c.sa_out.spi, 0))]
    assert_dropped(exchange.packets(sc, _good(c) + bad + _later(c)), {"unknown-spi": 3})


@pytest.mark.parametrize("preset", TUNNELS)
def test_wrong_tunnel_addresses(preset: str, exchange, scenario_of) -> None:
    """E17 (SAD lookup by SPI plus outer addresses for tunnels, secgw-reference.md §3.5): the
    right SPI and keys from the wrong outer source, or to the wrong outer destination."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    spec = c.sa_in.spec
    other = {4: ("198.19.255.7", "198.18.255.9"), 6: ("2001:2:0:fe::7", "2001:2:0:ff::9")}[spec.tunnel_src.version]
    wrong_src = with_tunnel_src(spec, other[0])
    wrong_dst = dataclasses.replace(spec, tunnel_dst=ipaddress.ip_address(other[1]))
    bad = [c.esp(BAD, 0, 4, spec=wrong_src, drop="bad-tunnel-address"),
           c.esp(BAD, 1, 5, spec=wrong_dst, drop="bad-tunnel-address")]
    assert_dropped(exchange.packets(sc, _good(c) + bad + [c.esp(3, 0, 6)]), {"bad-tunnel-address": 2})


@pytest.mark.parametrize("preset", ["tun44-aes128gcm-w64", "tun66-aes256cbc-sha256-esn-w64", "trs4-aes128gcm-w64"])
def test_clear_packet_matching_inbound_protect(preset: str, exchange, scenario_of) -> None:
    """A4: a clear packet arriving on the unprotected side that matches an inbound PROTECT
    policy is discarded (sp-clear-on-protect); the same flow encrypted passes."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    bad = [c.clear_in(BAD, k, "protect", drop="sp-clear-on-protect") for k in range(3)]
    assert_dropped(exchange.packets(sc, _good(c) + bad + _later(c)), {"sp-clear-on-protect": 3})


def two_tunnels(name: str = "tun44-aes128gcm-w64") -> Scenario:
    """The preset plus a second tunnel (SPIs 1002/2002) protecting 198.18.4.0/24 <-> 198.19.4.0/24."""
    base = build_preset(name)
    first = base.tunnels[0]
    keys = {d: derive_key(name, f"second-{d.value}", 20) for d in Direction}
    sas = {}
    for d, spi, sa in ((Direction.OUT, 1002, first.outbound), (Direction.IN, 2002, first.inbound)):
        spec = dataclasses.replace(sa.spec, spi=spi, aead_key=keys[d])
        sas[d] = SecurityAssociation(d, spec, Family.IPV4)
    net = ipaddress.ip_network
    pols = (Policy(Family.IPV4, Direction.OUT, PolicyAction.PROTECT, 1002, 10, net("198.18.4.0/24"), net("198.19.4.0/24")),
            Policy(Family.IPV4, Direction.IN, PolicyAction.PROTECT, 2002, 10, net("198.19.4.0/24"), net("198.18.4.0/24")))
    return dataclasses.replace(base, name=f"{name}-two-tunnels",
                               tunnels=base.tunnels + (Tunnel("second", sas[Direction.OUT], sas[Direction.IN]),),
                               policies=base.policies + pols)


def test_decrypted_packet_outside_its_sa_policy(exchange) -> None:
    """A5: after decryption the inner packet must match the policy of the SA it came through.
    Via SA 2002, an inner packet of SA 2001's flow (sp-wrong-sa); one that matches no rule
    (default deny, sp-no-match); one that matches a discard rule (sp-discard). Good packets on
    both SAs pass."""
    sc = two_tunnels()
    c = Crafter(sc)
    second: EspSaSpec = sc.sa(Direction.IN, 2002).spec  # type: ignore[union-attr]
    own = udp_packet(host("198.19.4.0/24", 9), host("198.18.4.0/24", 5), 4, 0)
    first_flow = c.inbound_inner(BAD, 0)
    nowhere = udp_packet("198.19.9.9", "198.18.9.9", BAD, 1)
    discard = udp_packet(host("198.19.3.0/24", 9), host("198.18.3.0/24", 5), BAD, 2)
    pkts = _good(c) + [
        c.esp(4, 0, 1, spec=second, inner=own),
        c.esp(BAD, 0, 2, spec=second, inner=first_flow, drop="sp-wrong-sa"),
        c.esp(BAD, 1, 3, spec=second, inner=nowhere, drop="sp-no-match"),
        c.esp(BAD, 2, 4, spec=second, inner=discard, drop="sp-discard"),
        c.esp(4, 1, 5, spec=second, inner=udp_packet(host("198.19.4.0/24", 9), host("198.18.4.0/24", 5), 4, 1)),
    ] + _later(c)
    assert_dropped(exchange.packets(sc, pkts), {"sp-wrong-sa": 1, "sp-no-match": 1, "sp-discard": 1})


@pytest.mark.parametrize("preset", ["tun44-aes128gcm-w64", "trs6-aes128gcm-w64"])
def test_esp_on_protected_port(preset: str, exchange, scenario_of) -> None:
    """SG-ESP-ON-PROTECTED (secgw-reference.md §3.3): ESP received on a protected port is
    dropped, even when it is valid ESP for the inbound SA."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    bad = [c.esp(BAD, k, 4 + k, port=c.protected, drop="esp-on-protected-port") for k in range(2)]
    assert_dropped(exchange.packets(sc, _good(c) + bad + _later(c)), {"esp-on-protected-port": 2})


def _arp(c: Crafter, port: int, seq: int) -> CraftedPacket:
    """ARP request who-has 198.18.255.1 tell 198.19.255.1 (RFC 826), signature in the padding."""
    p = c.scenario.port(port)
    arp = (bytes.fromhex("0001080006040001") + p.tester_mac + ipaddress.ip_address("198.19.255.1").packed
           + bytes(6) + ipaddress.ip_address("198.18.255.1").packed)
    return CraftedPacket(BAD, seq, port, b"\xff" * 6 + p.tester_mac + b"\x08\x06" + arp + _sig(seq), "non-ip")


def _lldp(c: Crafter, port: int, seq: int) -> CraftedPacket:
    """LLDPDU (IEEE 802.1AB): chassis id, port id, TTL and end TLVs to the nearest-bridge group."""
    p = c.scenario.port(port)
    tlvs = bytes.fromhex("020704") + p.tester_mac + bytes.fromhex("0403" "0231" "0602" "0078" "0000")
    return CraftedPacket(BAD, seq, port, bytes.fromhex("0180c200000e") + p.tester_mac + b"\x88\xcc" + tlvs + _sig(seq),
                         "non-ip")


def _sig(seq: int) -> bytes:
    return pack_signature(Signature(BAD, seq))


def test_non_ip_frames(exchange, scenario_of) -> None:
    """SG-NON-IP (secgw-reference.md §3.1): ARP and LLDP on either port are dropped (the
    gateway neither answers ARP nor forwards it)."""
    sc = scenario_of("tun44-aes128gcm-w64")
    c = Crafter(sc)
    bad = [_arp(c, c.unprotected, 0), _arp(c, c.protected, 1), _lldp(c, c.unprotected, 2), _lldp(c, c.protected, 3)]
    assert_dropped(exchange.packets(sc, _good(c) + bad + _later(c)), {"non-ip": 4})


def test_frame_shorter_than_ethernet_header(exchange, scenario_of, dut) -> None:
    """SG-NON-IP: a 7-byte frame (shorter than an Ethernet header) is dropped and counted as a
    runt, and the good packets around it still pass."""
    sc = scenario_of("tun44-aes128gcm-w64")
    c = Crafter(sc)
    runt = CraftedPacket(BAD, 4, c.protected, c.scenario.port(c.protected).dut_mac + b"\x02", "runt-frame")
    if len(runt.frame) < dut.min_frame_len:
        pytest.skip(f"{dut.name} is reached over a wire, which cannot carry a {len(runt.frame)}-byte frame")
    assert_dropped(exchange.packets(sc, _good(c) + [runt] + _later(c)), {"runt-frame": 1})
