"""Hand-built packets for the negative suite, made with the harness codec only.

``Crafter(scenario)`` knows the scenario's inbound SA, flows and port MACs. Every packet carries
a payload signature (stream id, sequence), so a copy the DUT wrongly forwards is recognised;
the ``expect_drop`` of a ``CraftedPacket`` is the drop reason the test means to provoke (the
exchange checks that the verifier's model agrees before anything is sent).

Addresses: the presets' flows (198.18.0.0/15, 2001:2::/48).
"""
from __future__ import annotations

import dataclasses
import ipaddress
import random
from collections.abc import Sequence

import pytest

from harness.codec.esp_encode import EspEncoder
from harness.codec.ipv4 import build_ipv4
from harness.codec.ipv6 import build_ipv6
from harness.codec.l4 import build_udp
from harness.codec.spec import EspSaSpec
from harness.exchange import CraftedPacket, Exchange
from harness.scenario.model import Direction, PortRole, SecurityAssociation
from harness.scenario.presets import FLOWS
from harness.scenario.scenario import Scenario
from harness.stream.signature import Signature, fill, pack_signature

PAYLOAD = 64  # UDP payload bytes: signature, then the deterministic fill
ETHERTYPE = {4: b"\x08\x00", 6: b"\x86\xdd"}


def host(prefix: str, n: int) -> str:
    return str(ipaddress.ip_network(prefix)[n])


def udp_packet(src: str, dst: str, stream: int, seq: int, *, tos: int = 0) -> bytes:
    """IPv4/IPv6 UDP 1024 -> 1024 carrying the signature (stream, seq)."""
    sig = pack_signature(Signature(stream, seq))
    payload = sig + fill(PAYLOAD - len(sig))
    udp = build_udp(src, dst, 1024, 1024, payload)
    if ipaddress.ip_address(src).version == 4:
        return build_ipv4(src, dst, 17, udp, tos=tos)
    return build_ipv6(src, dst, 17, udp, traffic_class=tos)


class Crafter:
    """Packets for one scenario: clear ones for either side, ESP from the peer."""

    def __init__(self, scenario: Scenario, seed: int = 1) -> None:
        self.scenario = scenario
        self.sa_in = _sa(scenario, Direction.IN)
        self.sa_out = _sa(scenario, Direction.OUT)
        self.flows = FLOWS[self.sa_in.inner_family]
        self.unprotected = scenario.ports_with_role(PortRole.UNPROTECTED)[0].id
        self.protected = scenario.ports_with_role(PortRole.PROTECTED)[0].id
        self._rng = random.Random(seed)
        self._encoders: dict[EspSaSpec, EspEncoder] = {}

    def frame(self, port: int, l3: bytes) -> bytes:
        p = self.scenario.port(port)
        return p.dut_mac + p.tester_mac + ETHERTYPE[l3[0] >> 4] + l3

    def inbound_inner(self, stream: int, seq: int, purpose: str = "protect") -> bytes:
        """A packet from the remote side's ``purpose`` prefix to the protected side's."""
        prot, remote = self.flows[purpose]
        return udp_packet(host(remote, 9), host(prot, 5), stream, seq, tos=0x2A)

    def outbound_inner(self, stream: int, seq: int, purpose: str = "protect") -> bytes:
        prot, remote = self.flows[purpose]
        return udp_packet(host(prot, 5), host(remote, 9), stream, seq, tos=0x2A)

    def encoder(self, spec: EspSaSpec) -> EspEncoder:
        enc = self._encoders.get(spec)
        if enc is None:
            enc = self._encoders[spec] = EspEncoder(spec, rng=self._rng.randbytes)
        return enc

    def esp(self, stream: int, seq: int, esp_seq: int, *, drop: str | None = None, spec: EspSaSpec | None = None,
            inner: bytes | None = None, port: int | None = None, **encode: object) -> CraftedPacket:
        """ESP as the peer sends it (inbound SA unless ``spec``), sequence number ``esp_seq``;
        ``encode`` goes to ``EspEncoder.encode`` (iv, padding, next_header, outer, corrupt)."""
        body = self.inbound_inner(stream, seq) if inner is None else inner
        l3 = self.encoder(spec or self.sa_in.spec).encode(body, esp_seq, **encode)  # type: ignore[arg-type]
        where = self.unprotected if port is None else port
        return CraftedPacket(stream, seq, where, self.frame(where, l3), drop)

    def good_esp(self, stream: int, esp_seqs: Sequence[int]) -> list[CraftedPacket]:
        """Valid ESP packets with these sequence numbers (signature seq = index)."""
        return [self.esp(stream, k, s) for k, s in enumerate(esp_seqs)]

    def clear_in(self, stream: int, seq: int, purpose: str, *, drop: str | None = None) -> CraftedPacket:
        l3 = self.inbound_inner(stream, seq, purpose)
        return CraftedPacket(stream, seq, self.unprotected, self.frame(self.unprotected, l3), drop)

    def clear_out(self, stream: int, seq: int, purpose: str, *, drop: str | None = None) -> CraftedPacket:
        l3 = self.outbound_inner(stream, seq, purpose)
        return CraftedPacket(stream, seq, self.protected, self.frame(self.protected, l3), drop)

    def good_mix(self, stream: int, count: int) -> list[CraftedPacket]:
        """Good packets of every kind: outbound protect and bypass, inbound bypass (clear)."""
        out = []
        for k in range(count):
            purpose = ("protect", "bypass")[k % 2]
            out.append(self.clear_out(stream, 2 * k, purpose))
            out.append(self.clear_in(stream, 2 * k + 1, "bypass"))
        return out


def _sa(scenario: Scenario, direction: Direction) -> SecurityAssociation:
    return next(sa for sa in scenario.sas if sa.direction is direction)


def with_tunnel_src(spec: EspSaSpec, src: str) -> EspSaSpec:
    """``spec`` sending from another outer source address (same SPI and keys)."""
    return dataclasses.replace(spec, tunnel_src=ipaddress.ip_address(src))


def drops_of(ex: Exchange) -> dict[str, int] | None:
    counters = ex.counters
    if not isinstance(counters, dict) or not isinstance(counters.get("drops"), dict):
        return None
    return {k: v for k, v in counters["drops"].items() if v}


def assert_dropped(ex: Exchange, expected: dict[str, int]) -> None:
    """The exchange passed (every good packet delivered exactly as it should be, no bad packet
    left the DUT), the verifier's model expects exactly ``expected`` drops, and the DUT counted
    them under those reasons (A14); the counter part skips when the DUT has no counters."""
    assert ex.passed, ex.render()
    t = ex.result.correlation.totals()
    assert t.delivered == t.expected and t.lost == t.duplicated == t.unexpected == 0, ex.render()
    assert ex.result.expected_drops == expected
    drops = drops_of(ex)
    if drops is None:
        pytest.skip(f"delivery checked; DUT {ex.dut_name} reports no drop counters, so drop reasons (A14) "
                    f"were not compared")
    assert drops == expected, f"DUT counted {drops}, expected {expected}"
