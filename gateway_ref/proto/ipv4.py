"""IPv4 header (RFC 791): fields, header checksum, small in-place edits.

Offsets are constants so the datapath reads fields with plain indexing. ``header_checksum``
uses a precompiled struct for the common 20-byte header.
"""
from __future__ import annotations

import struct

from gateway_ref.proto.checksum import adjust, checksum

MIN_HEADER_LEN = 20
OFF_TOS = 1
OFF_TOTAL_LEN = 2
OFF_ID = 4
OFF_TTL = 8
OFF_PROTO = 9
OFF_CSUM = 10
OFF_SRC = 12
OFF_DST = 16

PROTO_IPIP = 4
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_IPV6 = 41
PROTO_ESP = 50
PROTO_AH = 51
PROTO_NONE = 59

_WORDS20 = struct.Struct("!10H")
_H = struct.Struct("!H")


def header_len(pkt: bytes) -> int:
    """IHL in bytes."""
    return (pkt[0] & 0x0F) << 2


def total_len(pkt: bytes) -> int:
    return (pkt[2] << 8) | pkt[3]


def header_checksum(hdr: bytes) -> int:
    """Checksum of an IPv4 header, computed as if its checksum field were zero."""
    if len(hdr) == 20:
        w = _WORDS20.unpack(hdr)
        s = sum(w) - w[5]
        s = (s & 0xFFFF) + (s >> 16)
        s = (s & 0xFFFF) + (s >> 16)
        return ~s & 0xFFFF
    return checksum(hdr[:10] + b"\x00\x00" + hdr[12:])


def is_valid_checksum(hdr: bytes) -> bool:
    return header_checksum(hdr) == ((hdr[10] << 8) | hdr[11])


def set_checksum(hdr: bytearray, ihl: int = 20) -> None:
    """Recompute the checksum of the IPv4 header at the start of HDR in place."""
    _H.pack_into(hdr, OFF_CSUM, header_checksum(bytes(hdr[:ihl])))


def set_total_len(hdr: bytearray, length: int) -> None:
    _H.pack_into(hdr, OFF_TOTAL_LEN, length)


def set_tos(pkt: bytearray, tos: int) -> None:
    """Rewrite TOS and fix the checksum incrementally (RFC 1624)."""
    old = (pkt[0] << 8) | pkt[1]
    pkt[1] = tos
    csum = (pkt[10] << 8) | pkt[11]
    _H.pack_into(pkt, OFF_CSUM, adjust(csum, old, (pkt[0] << 8) | tos))


def decrement_ttl(pkt: bytearray) -> None:
    """TTL minus one (never below zero), checksum fixed incrementally (RFC 1624)."""
    ttl = pkt[OFF_TTL]
    if ttl == 0:
        return
    old = (ttl << 8) | pkt[OFF_PROTO]
    pkt[OFF_TTL] = ttl - 1
    csum = (pkt[10] << 8) | pkt[11]
    _H.pack_into(pkt, OFF_CSUM, adjust(csum, old, old - 0x100))
