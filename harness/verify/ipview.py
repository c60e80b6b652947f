"""A read-only field view of an IPv4 (RFC 791) or IPv6 (RFC 8200) packet for the verifier.

Only what the checks and the policy model need: addresses, TOS/TC, TTL/hop limit, ID, flags,
lengths, checksum, flow label, the upper-layer protocol after IPv6 extension headers (HBH 0,
Routing 43, Fragment 44, DestOpt 60; AH 51 counted as an extension header as secgw does) and
its offset. ``parse_ip`` returns None for anything it cannot read; it never raises.
"""
from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from typing import NamedTuple

from harness.codec.checksum import internet_checksum

_EXT_HEADERS = frozenset((0, 43, 44, 60, 51))
EXT_NAMES = {0: "hop-by-hop", 43: "routing", 44: "fragment", 60: "destination-options", 51: "AH"}
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class IpView(NamedTuple):
    version: int
    header_len: int  # IPv4 IHL*4, IPv6 40 (base header only)
    tos: int  # IPv4 TOS / IPv6 traffic class (DSCP << 2 | ECN)
    ttl: int  # TTL / hop limit
    ident: int  # IPv4 ID, 0 for IPv6
    flags: int  # IPv4 flags (3 bits: reserved, DF, MF), 0 for IPv6
    frag_offset: int  # IPv4 fragment offset in 8-byte units
    flow_label: int  # IPv6 flow label, 0 for IPv4
    total_len: int  # IPv4 total length / 40 + IPv6 payload length
    checksum: int  # IPv4 header checksum as sent, 0 for IPv6
    checksum_ok: bool  # always True for IPv6
    proto: int  # IPv4 protocol / first next header (what secgw's ACL sees)
    upper_proto: int  # protocol after IPv6 extension headers (= proto for IPv4)
    l4_offset: int  # offset of the upper-layer header
    src_packed: bytes
    dst_packed: bytes

    @property
    def src(self) -> IpAddress:
        return ipaddress.ip_address(self.src_packed)

    @property
    def dst(self) -> IpAddress:
        return ipaddress.ip_address(self.dst_packed)

    @property
    def df(self) -> int:
        return (self.flags >> 1) & 1

    @property
    def ecn(self) -> int:
        return self.tos & 3

    @property
    def dscp(self) -> int:
        return self.tos >> 2


def _walk_ipv6(pkt: bytes, nh: int) -> tuple[int, int] | None:
    off = 40
    while nh in _EXT_HEADERS:
        if len(pkt) < off + 8:
            return None
        nxt = pkt[off]
        if nh == 44:
            length = 8
        elif nh == 51:
            length = (pkt[off + 1] + 2) * 4
        else:
            length = (pkt[off + 1] + 1) * 8
        nh, off = nxt, off + length
    if off > len(pkt):
        return None
    return nh, off


def parse_ip(pkt: bytes) -> IpView | None:
    """Field view of the IP packet ``pkt`` (starting at the IP header), None if unreadable."""
    if not pkt:
        return None
    version = pkt[0] >> 4
    if version == 4:
        if len(pkt) < 20:
            return None
        ihl = (pkt[0] & 0xF) * 4
        if ihl < 20 or len(pkt) < ihl:
            return None
        tos, total, ident, fl, ttl, proto, csum = struct.unpack_from("!xBHHHBBH", pkt, 0)
        return IpView(4, ihl, tos, ttl, ident, fl >> 13, fl & 0x1FFF, 0, total, csum,
                      internet_checksum(pkt[:ihl]) == 0, proto, proto, ihl, pkt[12:16], pkt[16:20])
    if version == 6:
        if len(pkt) < 40:
            return None
        word, plen, nh, hlim = struct.unpack_from("!IHBB", pkt, 0)
        walked = _walk_ipv6(pkt, nh)
        if walked is None:
            return None
        upper, l4 = walked
        return IpView(6, 40, (word >> 20) & 0xFF, hlim, 0, 0, 0, word & 0xFFFFF, 40 + plen, 0, True,
                      nh, upper, l4, pkt[8:24], pkt[24:40])
    return None


def ports_at(pkt: bytes, offset: int) -> tuple[int, int]:
    """The two 16-bit big-endian words at ``offset`` (0, 0 where the packet is too short)."""
    if len(pkt) < offset + 4:
        return 0, 0
    return struct.unpack_from("!HH", pkt, offset)


def chain_names(headers: Sequence[tuple[int, int, int]]) -> str:
    """"hop-by-hop -> routing" for a walked chain of (type, offset, length) extension headers."""
    return " -> ".join(EXT_NAMES.get(kind, str(kind)) for kind, _, _ in headers)
