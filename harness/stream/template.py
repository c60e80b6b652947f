"""Packet templates of a stream: a small declarative L3/L4 description or raw header bytes,
turned once into header bytes plus a ``Layout`` (where the L4 header, its checksum and the
payload are), and ``assemble`` which completes a packet of a given length.

Headers per RFC 791 (IPv4), RFC 8200 (IPv6 and its extension headers §4.3–§4.6), RFC 768
(UDP), RFC 9293 (TCP), RFC 792 / RFC 4443 (ICMP / ICMPv6 echo request). Protocol ``none``
is IP protocol 253 (RFC 3692 experimentation): no L4 header; a 64-byte IPv4 frame
holds the 18-byte signature (UDP fits too: 14 + 20 + 8 + 18 = 60 bytes). Building uses ``harness.codec`` (pure functions over bytes).
"""
from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from typing import Any

from harness.codec.checksum import internet_checksum
from harness.codec.ipv4 import IpProto, Ipv4Flags, build_ipv4, parse_ipv4
from harness.codec.ipv6 import ExtHeader, build_ipv6, destination_options, fragment, hop_by_hop, parse_ipv6, routing
from harness.codec.l4 import build_icmp, build_icmpv6, build_tcp, build_udp, l4_checksum
from harness.scenario.jsonutil import parse_enum, parse_hex

EXPERIMENTAL_PROTO = 253


class L4Proto(enum.Enum):
    UDP = "udp"
    TCP = "tcp"
    ICMP = "icmp"  # echo request; ICMPv6 over IPv6
    NONE = "none"  # IP protocol 253, signature right after the IP (and extension) headers


class ExtKind(enum.Enum):
    """IPv6 extension headers a template can carry (minimal, padded, RFC 8200 §4)."""

    HOP_BY_HOP = "hbh"
    DEST_OPTS = "dest"
    ROUTING = "routing"  # type 0 header with segments left 0 and no addresses
    FRAGMENT = "fragment"  # atomic fragment (offset 0, M=0, RFC 6946)


def _ext_header(kind: ExtKind) -> ExtHeader:
    if kind is ExtKind.HOP_BY_HOP:
        return hop_by_hop()
    if kind is ExtKind.DEST_OPTS:
        return destination_options()
    if kind is ExtKind.ROUTING:
        return routing(0, 0, bytes(4))
    return fragment()


@dataclass(frozen=True)
class Layout:
    """Where things are in a template's header bytes (offsets from the start of L3)."""

    version: int
    proto: int  # upper-layer protocol number
    l4_offset: int
    payload_offset: int
    l4_checksum_offset: int | None  # None for protocol 253
    pseudo_header: bool  # UDP, TCP, ICMPv6 sum the pseudo-header; ICMPv4 does not

    @property
    def addr_offsets(self) -> tuple[int, int, int]:
        """(src offset, dst offset, address width)."""
        return (12, 16, 4) if self.version == 4 else (8, 24, 16)


@dataclass(frozen=True)
class HeaderTemplate:
    """A declarative IPv4/IPv6 + UDP/TCP/ICMP header. Addresses as text; the family follows."""

    src: str
    dst: str
    proto: L4Proto = L4Proto.UDP
    sport: int = 1024  # UDP/TCP source port; ICMP echo identifier
    dport: int = 1024  # UDP/TCP destination port; ignored for ICMP
    tos: int = 0  # IPv4 TOS / IPv6 traffic class (DSCP << 2 | ECN)
    ttl: int = 64  # TTL / hop limit
    flow_label: int = 0  # IPv6 only
    ident: int = 0  # IPv4 ID
    df: bool = True  # IPv4 DF
    ext_headers: tuple[ExtKind, ...] = ()  # IPv6 only, in order
    tcp_flags: int = 0x18  # PSH|ACK

    def __post_init__(self) -> None:
        try:
            src, dst = ipaddress.ip_address(self.src), ipaddress.ip_address(self.dst)
        except ValueError as exc:
            raise ValueError(f"HeaderTemplate.src/dst: {exc}") from None
        if src.version != dst.version:
            raise ValueError(f"HeaderTemplate.src {src} and HeaderTemplate.dst {dst} differ in IP version")
        object.__setattr__(self, "ext_headers", tuple(self.ext_headers))
        if not isinstance(self.proto, L4Proto):
            raise ValueError(f"HeaderTemplate.proto must be one of {[p.value for p in L4Proto]}, got {self.proto!r}")
        for name, high in (("sport", 0xFFFF), ("dport", 0xFFFF), ("tos", 0xFF), ("ttl", 0xFF),
                           ("flow_label", 0xFFFFF), ("ident", 0xFFFF), ("tcp_flags", 0xFF)):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= high:
                raise ValueError(f"HeaderTemplate.{name} must be an integer 0..{high}, got {value!r}")
        if src.version == 4 and (self.ext_headers or self.flow_label):
            raise ValueError("HeaderTemplate.ext_headers and HeaderTemplate.flow_label are IPv6 only")
        if not all(isinstance(k, ExtKind) for k in self.ext_headers):
            raise ValueError(f"HeaderTemplate.ext_headers must be {[k.value for k in ExtKind]}")

    @property
    def version(self) -> int:
        return ipaddress.ip_address(self.src).version

    def headers(self) -> bytes:
        """Header bytes up to the L4 payload (lengths/checksums are fixed by ``assemble``)."""
        if self.proto is L4Proto.UDP:
            l4, proto = build_udp(self.src, self.dst, self.sport, self.dport, b""), IpProto.UDP
        elif self.proto is L4Proto.TCP:
            l4, proto = build_tcp(self.src, self.dst, self.sport, self.dport, b"", flags=self.tcp_flags), IpProto.TCP
        elif self.proto is L4Proto.ICMP and self.version == 4:
            l4, proto = build_icmp(8, 0, self.sport.to_bytes(2, "big") + bytes(2), b""), IpProto.ICMP
        elif self.proto is L4Proto.ICMP:
            l4 = build_icmpv6(self.src, self.dst, 128, 0, self.sport.to_bytes(2, "big") + bytes(2), b"")
            proto = IpProto.ICMPV6
        else:
            l4, proto = b"", EXPERIMENTAL_PROTO
        if self.version == 4:
            return build_ipv4(self.src, self.dst, proto, l4, tos=self.tos, ttl=self.ttl, ident=self.ident,
                              flags=Ipv4Flags.DF if self.df else Ipv4Flags.NONE)
        return build_ipv6(self.src, self.dst, proto, l4, traffic_class=self.tos, flow_label=self.flow_label,
                          hop_limit=self.ttl, ext_headers=tuple(_ext_header(k) for k in self.ext_headers))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "header", "src": self.src, "dst": self.dst, "proto": self.proto.value, "sport": self.sport,
                "dport": self.dport, "tos": self.tos, "ttl": self.ttl, "flow_label": self.flow_label,
                "ident": self.ident, "df": self.df, "ext_headers": [k.value for k in self.ext_headers],
                "tcp_flags": self.tcp_flags}


@dataclass(frozen=True)
class RawTemplate:
    """An IP packet given as bytes; everything after its L4 header is replaced by the
    signature and fill, and lengths/checksums are recomputed for each size."""

    l3: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.l3, bytes):
            raise ValueError("RawTemplate.l3 must be bytes")
        layout_of(self.l3)  # raises naming the problem

    @classmethod
    def from_scapy(cls, pkt: Any) -> RawTemplate:
        """Convert a scapy packet ONCE (an Ethernet layer, if any, is dropped)."""
        from scapy.layers.l2 import Ether  # imported here: scapy is only for templates

        if pkt.haslayer(Ether):
            pkt = pkt[Ether].payload
        return cls(bytes(pkt))

    @property
    def version(self) -> int:
        return self.l3[0] >> 4

    def headers(self) -> bytes:
        return self.l3[:layout_of(self.l3).payload_offset]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "raw", "l3": self.l3.hex()}


Template = HeaderTemplate | RawTemplate


def template_from_dict(data: dict[str, Any]) -> Template:
    """Inverse of ``to_dict`` of either template kind; errors name the field."""
    kind = data.get("kind")
    if kind == "raw":
        return RawTemplate(parse_hex(data.get("l3"), "template.l3"))
    if kind != "header":
        raise ValueError(f"template.kind must be 'header' or 'raw', got {kind!r}")
    fields = {k: v for k, v in data.items() if k != "kind"}
    fields["proto"] = parse_enum(L4Proto, fields.get("proto", "udp"), "template.proto")
    fields["ext_headers"] = tuple(parse_enum(ExtKind, k, "template.ext_headers") for k in fields.get("ext_headers", ()))
    return HeaderTemplate(**fields)


def layout_of(l3: bytes) -> Layout:
    """Walk an IPv4/IPv6 packet's headers to its L4 payload; ValueError naming the problem."""
    version = l3[0] >> 4 if l3 else 0
    if version == 4:
        v4 = parse_ipv4(l3)
        if v4 is None:
            raise ValueError("template: truncated or malformed IPv4 header")
        proto, l4 = v4.proto, v4.header_len
    elif version == 6:
        v6 = parse_ipv6(l3)
        if v6 is None or v6.truncated:
            raise ValueError("template: truncated or malformed IPv6 header chain")
        proto, l4 = v6.upper_proto, v6.upper_offset
    else:
        raise ValueError(f"template: not an IP packet (version {version})")
    if proto == IpProto.UDP:
        hdr, csum, pseudo = 8, l4 + 6, True
    elif proto == IpProto.TCP:
        if len(l3) < l4 + 20:
            raise ValueError("template: truncated TCP header")
        hdr, csum, pseudo = (l3[l4 + 12] >> 4) * 4, l4 + 16, True
    elif proto in (IpProto.ICMP, IpProto.ICMPV6):
        hdr, csum, pseudo = 8, l4 + 2, proto == IpProto.ICMPV6
    elif proto in (EXPERIMENTAL_PROTO, EXPERIMENTAL_PROTO + 1):
        return Layout(version, proto, l4, l4, None, False)
    else:
        raise ValueError(f"template: upper-layer protocol {proto} is not UDP, TCP, ICMP, ICMPv6 or 253/254")
    if len(l3) < l4 + hdr:
        raise ValueError(f"template: truncated L4 header (protocol {proto})")
    return Layout(version, proto, l4, l4 + hdr, csum, pseudo)


def assemble(headers: bytes, layout: Layout, payload: bytes) -> bytes:
    """``headers + payload`` with IP/UDP lengths and the IPv4 and L4 checksums made correct."""
    pkt = bytearray(headers + payload)
    total = len(pkt)
    if layout.version == 4:
        pkt[2:4] = total.to_bytes(2, "big")
        pkt[10:12] = b"\x00\x00"
        pkt[10:12] = internet_checksum(bytes(pkt[:layout.l4_offset])).to_bytes(2, "big")
    else:
        pkt[4:6] = (total - 40).to_bytes(2, "big")
    l4 = layout.l4_offset
    if layout.proto == IpProto.UDP:
        pkt[l4 + 4:l4 + 6] = (total - l4).to_bytes(2, "big")
    off = layout.l4_checksum_offset
    if off is not None:
        pkt[off:off + 2] = b"\x00\x00"
        seg = bytes(pkt[l4:])
        if layout.pseudo_header:
            s, d, w = layout.addr_offsets
            csum = l4_checksum(bytes(pkt[s:s + w]), bytes(pkt[d:d + w]), layout.proto, seg)
        else:
            csum = internet_checksum(seg)
        if csum == 0 and layout.proto == IpProto.UDP:
            csum = 0xFFFF  # RFC 768: a computed zero is sent as all ones
        pkt[off:off + 2] = csum.to_bytes(2, "big")
    return bytes(pkt)
