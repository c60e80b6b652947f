"""Test helpers: a small 4in4 + 6in6 scenario and packet builders made with the harness codec
(never with gateway_ref). Addresses from 198.18.0.0/15 and 2001:2::/48 only."""
from __future__ import annotations

import ipaddress
from typing import NamedTuple

from harness.codec.esp_encode import EspEncoder
from harness.codec.ipv4 import build_ipv4
from harness.codec.ipv6 import build_ipv6
from harness.codec.l4 import build_udp
from harness.codec.spec import EspSaSpec, OuterFields
from harness.scenario.model import (Direction, Family, GatewayOptions, Neighbour, Policy, PolicyAction, Port,
                                    PortRole, Route, SecurityAssociation, Tunnel)
from harness.scenario.scenario import Scenario
from harness.stream.signature import Signature, pack_signature

ip = ipaddress.ip_address
net = ipaddress.ip_network
KEY_OUT = bytes(range(1, 21))
KEY_IN = bytes(range(101, 121))
GW4, PEER4 = ip("198.18.255.1"), ip("198.19.255.1")
GW6, PEER6 = ip("2001:2:0:ff::1"), ip("2001:2:0:fe::1")
NEIGH = {0: bytes.fromhex("02000000ee00"), 1: bytes.fromhex("02000000ee01")}
SPI_OUT4, SPI_IN4, SPI_OUT6, SPI_IN6 = 0x1001, 0x2001, 0x1006, 0x2006


class Sent(NamedTuple):
    stream_id: int
    seq: int
    port: int
    frame: bytes


def spec(spi: int, src, dst, key: bytes = KEY_OUT, aead: str = "aes-128-gcm") -> EspSaSpec:
    return EspSaSpec(spi=spi, mode="tunnel", aead=aead, aead_key=key, tunnel_src=src, tunnel_dst=dst)


OUT4 = spec(SPI_OUT4, GW4, PEER4)
IN4 = spec(SPI_IN4, PEER4, GW4, KEY_IN)
OUT6 = spec(SPI_OUT6, GW6, PEER6)
IN6 = spec(SPI_IN6, PEER6, GW6, KEY_IN)


def _pol(fam: Family, d: Direction, action: PolicyAction, pri: int, src=None, dst=None, spi=None) -> Policy:
    return Policy(fam, d, action, spi=spi, priority=pri, src=None if src is None else net(src),
                  dst=None if dst is None else net(dst))


def scenario(*, window: int = 64, policies: bool = True) -> Scenario:
    """``policies=False``: no IPv4 SAs or policies at all (the IPv6 tunnel stays)."""
    v4, v6, o, i = Family.IPV4, Family.IPV6, Direction.OUT, Direction.IN
    P, B, D = PolicyAction.PROTECT, PolicyAction.BYPASS, PolicyAction.DISCARD
    pols = [
        _pol(v4, o, P, 10, "198.18.1.0/24", "198.19.1.0/24", SPI_OUT4),
        _pol(v4, o, B, 5, None, "198.19.2.0/24"),
        _pol(v4, o, D, 5, None, "198.19.3.0/24"),
        _pol(v4, i, P, 10, "198.19.1.0/24", "198.18.1.0/24", SPI_IN4),
        _pol(v4, i, B, 5, "198.19.2.0/24", None),
        _pol(v4, i, D, 5, "198.19.3.0/24", None),
        _pol(v6, o, P, 10, "2001:2:0:1::/64", "2001:2:0:2::/64", SPI_OUT6),
        _pol(v6, i, P, 10, "2001:2:0:2::/64", "2001:2:0:1::/64", SPI_IN6),
    ]
    tunnels = (
        Tunnel("t4", SecurityAssociation(o, OUT4, v4), SecurityAssociation(i, IN4, v4)),
        Tunnel("t6", SecurityAssociation(o, OUT6, v6), SecurityAssociation(i, IN6, v6)),
    )
    return Scenario(
        name="verify-test",
        ports=(Port.with_defaults(0, PortRole.UNPROTECTED), Port.with_defaults(1, PortRole.PROTECTED)),
        tunnels=tunnels if policies else tunnels[1:],
        policies=tuple(pols) if policies else tuple(p for p in pols if p.family is v6),
        routes=(Route(net("198.19.0.0/16"), 0), Route(net("198.18.0.0/16"), 1),
                Route(net("2001:2:0:2::/64"), 0), Route(net("2001:2:0:fe::/64"), 0),
                Route(net("2001:2:0:1::/64"), 1)),
        neighbours=(Neighbour(0, NEIGH[0]), Neighbour(1, NEIGH[1])),
        options=GatewayOptions(replay_window=window),
    )


def udp4(src: str, dst: str, stream: int = 1, seq: int = 0, *, tos: int = 0, ttl: int = 64,
         sport: int = 1000, dport: int = 2000, extra: int = 14) -> bytes:
    """A 60-byte IPv4/UDP packet by default (18-byte signature + 14 bytes: GCM pads it by 2)."""
    payload = pack_signature(Signature(stream, seq)) + bytes(extra)
    return build_ipv4(src, dst, 17, build_udp(src, dst, sport, dport, payload), tos=tos, ttl=ttl, ident=7)


def udp6(src: str, dst: str, stream: int = 1, seq: int = 0, *, tc: int = 0, hlim: int = 64) -> bytes:
    payload = pack_signature(Signature(stream, seq)) + bytes(14)
    return build_ipv6(src, dst, 17, build_udp(src, dst, 1000, 2000, payload), traffic_class=tc, hop_limit=hlim)


def eth(port: int, l3: bytes) -> bytes:
    sc_port = Port.with_defaults(port, PortRole.PROTECTED)
    etype = b"\x08\x00" if l3[0] >> 4 == 4 else b"\x86\xdd"
    return sc_port.dut_mac + sc_port.tester_mac + etype + l3


def esp_in(inner: bytes, seq: int, sa: EspSaSpec = IN4, *, outer_tos: int | None = None, **kw) -> bytes:
    return EspEncoder(sa).encode(inner, seq, outer=OuterFields(tos=outer_tos), **kw)


def sent(port: int, l3: bytes, stream: int = 1, seq: int = 0) -> Sent:
    return Sent(stream, seq, port, eth(port, l3))


def encrypt_frame(e, *, seq: int | None = None, l2: bytes | None = None, **encode_kw) -> bytes:
    """What a correct DUT emits for the Encrypt expectation ``e`` (codec-built)."""
    o = e.outer
    outer = OuterFields(tos=encode_kw.pop("tos", None), ttl=encode_kw.pop("ttl", o.ttl or 64),
                        ident=encode_kw.pop("ident", o.ident or 0), df=encode_kw.pop("df", bool(o.df)),
                        flow_label=encode_kw.pop("flow_label", o.flow_label or 0))
    etype = b"\x08\x00" if o.version == 4 else b"\x86\xdd"
    head = l2 if l2 is not None else e.eth_dst + e.eth_src + etype
    inner = encode_kw.pop("inner", e.inner)
    return head + EspEncoder(e.spec).encode(inner, e.seq if seq is None else seq, outer=outer, **encode_kw)


def dut_output(exps) -> dict[int, list[tuple[int, bytes]]]:
    """The captures of a perfect DUT: every delivering expectation's frame on its port."""
    from harness.verify.expectations import Decrypt, Encrypt, ForwardClear
    out: dict[int, list[tuple[int, bytes]]] = {0: [], 1: []}
    for i, e in enumerate(exps):
        if isinstance(e, Encrypt):
            out[e.port].append((i, encrypt_frame(e)))
        elif isinstance(e, (Decrypt, ForwardClear)):
            out[e.port].append((i, e.frame))
    return out
