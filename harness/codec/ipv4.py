"""IPv4 header (RFC 791 §3.1) build and parse, header checksum (RFC 1071)."""

from __future__ import annotations

import enum
import struct
from typing import NamedTuple

from harness.codec.addresses import IPAddress, packed
from harness.codec.checksum import internet_checksum

IPV4_HEADER_LEN = 20
_HDR = struct.Struct("!BBHHHBBH4s4s")


class IpProto(enum.IntEnum):
    """IP protocol numbers (IANA) the harness builds or walks."""

    HOPOPT = 0
    ICMP = 1
    IPV4 = 4
    TCP = 6
    UDP = 17
    IPV6 = 41
    ROUTING = 43
    FRAGMENT = 44
    ESP = 50
    AH = 51
    ICMPV6 = 58
    NONE = 59
    DSTOPTS = 60


class Ipv4Flags(enum.IntFlag):
    """The three flag bits of RFC 791 (as the top bits of the 16-bit flags/offset word)."""

    NONE = 0
    MF = 0x1
    DF = 0x2
    RESERVED = 0x4


def build_ipv4(
    src: str | bytes | IPAddress,
    dst: str | bytes | IPAddress,
    proto: int,
    payload: bytes,
    *,
    tos: int = 0,
    ttl: int = 64,
    ident: int = 0,
    flags: int = Ipv4Flags.DF,
    frag_offset: int = 0,
    options: bytes = b"",
) -> bytes:
    """A complete IPv4 packet (header with a correct checksum, then ``payload``).

    ``options`` must be a multiple of 4 bytes (≤ 40); ``frag_offset`` is in 8-byte units.
    """
    if len(options) % 4 or len(options) > 40:
        raise ValueError(f"IPv4 options must be a multiple of 4 bytes and at most 40, got {len(options)}")
    ihl = 5 + len(options) // 4
    total = ihl * 4 + len(payload)
    if total > 0xFFFF:
        raise ValueError(f"IPv4 packet of {total} bytes exceeds 65535")
    hdr = _HDR.pack(0x40 | ihl, tos, total, ident, (int(flags) << 13) | frag_offset, ttl, proto, 0,
                    packed(src), packed(dst)) + options
    csum = internet_checksum(hdr)
    return hdr[:10] + csum.to_bytes(2, "big") + hdr[12:] + payload


class Ipv4View(NamedTuple):
    """Parsed IPv4 header fields (addresses packed)."""

    ihl: int
    tos: int
    total_length: int
    ident: int
    flags: int
    frag_offset: int
    ttl: int
    proto: int
    checksum: int
    src: bytes
    dst: bytes

    @property
    def header_len(self) -> int:
        return self.ihl * 4


def parse_ipv4(pkt: bytes, offset: int = 0) -> Ipv4View | None:
    """Parse the IPv4 header at ``offset``; None when too short or not version 4."""
    if len(pkt) < offset + IPV4_HEADER_LEN:
        return None
    vihl, tos, total, ident, ffo, ttl, proto, csum, src, dst = _HDR.unpack_from(pkt, offset)
    ihl = vihl & 0x0F
    if vihl >> 4 != 4 or ihl < 5 or len(pkt) < offset + ihl * 4:
        return None
    return Ipv4View(ihl, tos, total, ident, ffo >> 13, ffo & 0x1FFF, ttl, proto, csum, src, dst)


def ipv4_checksum_ok(pkt: bytes, offset: int = 0) -> bool:
    """True when the header checksum at ``offset`` verifies."""
    ihl = pkt[offset] & 0x0F
    return internet_checksum(pkt[offset:offset + ihl * 4]) == 0


def with_checksum(header: bytes) -> bytes:
    """Return ``header`` (an IPv4 header, any checksum) with its checksum recomputed."""
    zeroed = header[:10] + b"\x00\x00" + header[12:]
    return zeroed[:10] + internet_checksum(zeroed).to_bytes(2, "big") + zeroed[12:]
