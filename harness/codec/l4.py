"""Upper-layer headers with their checksums: UDP (RFC 768; IPv6 rules RFC 8200 §8.1),
TCP (RFC 9293 §3.1), ICMP (RFC 792), ICMPv6 (RFC 4443 §2.1, §2.3)."""

from __future__ import annotations

import struct
from typing import NamedTuple

from harness.codec.addresses import IPAddress, packed
from harness.codec.checksum import add_sums, finish, ones_sum, pseudo_header_sum
from harness.codec.ipv4 import IpProto

UDP_HEADER_LEN = 8
TCP_HEADER_LEN = 20
_UDP = struct.Struct("!HHHH")
_TCP = struct.Struct("!HHIIBBHHH")

Addr = str | bytes | IPAddress


def l4_checksum(src: Addr, dst: Addr, proto: int, segment: bytes) -> int:
    """Checksum over pseudo-header + ``segment`` (its checksum field zeroed, or the result is
    0 for a correct one)."""
    s, d = packed(src), packed(dst)
    return finish(add_sums(pseudo_header_sum(s, d, proto, len(segment)), ones_sum(segment)))


def l4_checksum_ok(src: Addr, dst: Addr, proto: int, segment: bytes) -> bool:
    """True when the stored checksum of a UDP/TCP/ICMPv6 ``segment`` verifies (a UDP
    checksum of 0 over IPv4 means "not computed" and is accepted, RFC 768)."""
    if proto == IpProto.UDP and len(packed(src)) == 4 and segment[6:8] == b"\x00\x00":
        return True
    return l4_checksum(src, dst, proto, segment) == 0


def build_udp(src: Addr, dst: Addr, sport: int, dport: int, payload: bytes, *,
              zero_checksum: bool = False) -> bytes:
    """UDP datagram; checksum computed unless ``zero_checksum`` (legal over IPv4 only)."""
    length = UDP_HEADER_LEN + len(payload)
    seg = _UDP.pack(sport, dport, length, 0) + payload
    if zero_checksum:
        if len(packed(src)) != 4:
            raise ValueError("a zero UDP checksum is not allowed over IPv6 (RFC 8200 §8.1)")
        return seg
    csum = l4_checksum(src, dst, IpProto.UDP, seg) or 0xFFFF
    return seg[:6] + csum.to_bytes(2, "big") + seg[8:]


def build_tcp(src: Addr, dst: Addr, sport: int, dport: int, payload: bytes, *, seq: int = 0,
              ack: int = 0, flags: int = 0x18, window: int = 65535, options: bytes = b"") -> bytes:
    """TCP segment (default flags PSH|ACK); ``options`` must be a multiple of 4 bytes."""
    if len(options) % 4:
        raise ValueError("TCP options must be a multiple of 4 bytes")
    off = (TCP_HEADER_LEN + len(options)) // 4
    seg = _TCP.pack(sport, dport, seq, ack, off << 4, flags, window, 0, 0) + options + payload
    csum = l4_checksum(src, dst, IpProto.TCP, seg)
    return seg[:16] + csum.to_bytes(2, "big") + seg[18:]


def build_icmp(icmp_type: int, code: int, rest: bytes, payload: bytes) -> bytes:
    """ICMP message (RFC 792): ``rest`` is the 4-byte rest-of-header (id/seq for echo)."""
    msg = bytes((icmp_type, code, 0, 0)) + rest + payload
    csum = finish(ones_sum(msg))
    return msg[:2] + csum.to_bytes(2, "big") + msg[4:]


def build_icmpv6(src: Addr, dst: Addr, icmp_type: int, code: int, rest: bytes, payload: bytes) -> bytes:
    """ICMPv6 message (RFC 4443): checksum includes the IPv6 pseudo-header."""
    msg = bytes((icmp_type, code, 0, 0)) + rest + payload
    csum = l4_checksum(src, dst, IpProto.ICMPV6, msg)
    return msg[:2] + csum.to_bytes(2, "big") + msg[4:]


class UdpView(NamedTuple):
    """Parsed UDP header."""

    sport: int
    dport: int
    length: int
    checksum: int


def parse_udp(pkt: bytes, offset: int = 0) -> UdpView | None:
    """Parse a UDP header at ``offset``; None if too short."""
    if len(pkt) < offset + UDP_HEADER_LEN:
        return None
    return UdpView(*_UDP.unpack_from(pkt, offset))
