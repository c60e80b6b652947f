"""Ethernet II header (IEEE 802.3 clause 3.2.6 framing as used by DIX Ethernet)."""
from __future__ import annotations

import struct

HEADER_LEN = 14
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_ARP = 0x0806

_HDR = struct.Struct("!6s6sH")


def ethertype(frame: bytes) -> int | None:
    """The EtherType of FRAME, or None when the frame is shorter than an Ethernet header."""
    if len(frame) < HEADER_LEN:
        return None
    return (frame[12] << 8) | frame[13]


def unpack(frame: bytes) -> tuple[bytes, bytes, int]:
    """(destination MAC, source MAC, EtherType); FRAME must hold at least 14 bytes."""
    return _HDR.unpack_from(frame)


def header(dst: bytes, src: bytes, etype: int) -> bytes:
    """A 14-byte Ethernet header."""
    return _HDR.pack(dst, src, etype)
