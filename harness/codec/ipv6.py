"""IPv6 header (RFC 8200 §3) and extension headers (RFC 8200 §4: Hop-by-Hop Options §4.3,
Routing §4.4, Fragment §4.5, Destination Options §4.6; AH per RFC 4302 §2.2 for walking):
build, and walk a chain to the upper-layer header.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

from harness.codec.addresses import IPAddress, packed
from harness.codec.ipv4 import IpProto

IPV6_HEADER_LEN = 40
_HDR = struct.Struct("!IHBB16s16s")

#: Extension headers walked to reach the upper layer (and ESP, which ends the walk).
EXTENSION_HEADERS = frozenset({IpProto.HOPOPT, IpProto.ROUTING, IpProto.FRAGMENT,
                               IpProto.DSTOPTS, IpProto.AH})


@dataclass(frozen=True)
class ExtHeader:
    """One extension header: its type and its bytes *after* the Next Header byte, already
    padded so that the whole header is a multiple of 8 bytes (use the helpers below)."""

    kind: IpProto
    body: bytes

    def __post_init__(self) -> None:
        if self.kind not in EXTENSION_HEADERS - {IpProto.AH}:
            raise ValueError(f"unsupported extension header type {self.kind}")
        if (len(self.body) + 1) % 8:
            raise ValueError(f"extension header {self.kind.name} is {len(self.body) + 1} bytes, not a multiple of 8")


def _pad_options(options: bytes) -> bytes:
    """Pad an options area (after the 2 fixed bytes) with Pad1/PadN to a multiple of 8."""
    need = (-(len(options) + 2)) % 8
    if need == 1:
        return options + b"\x00"
    if need:
        return options + bytes((1, need - 2)) + bytes(need - 2)
    return options


def _options_header(kind: IpProto, options: bytes) -> ExtHeader:
    area = _pad_options(options)
    return ExtHeader(kind, bytes(((len(area) + 2) // 8 - 1,)) + area)


def hop_by_hop(options: bytes = b"") -> ExtHeader:
    """Hop-by-Hop Options header (RFC 8200 §4.3) holding TLV ``options``, padded."""
    return _options_header(IpProto.HOPOPT, options)


def destination_options(options: bytes = b"") -> ExtHeader:
    """Destination Options header (RFC 8200 §4.6) holding TLV ``options``, padded."""
    return _options_header(IpProto.DSTOPTS, options)


def routing(routing_type: int, segments_left: int, data: bytes) -> ExtHeader:
    """Routing header (RFC 8200 §4.4); ``data`` is the type-specific part after the first
    4 bytes (for type 0/2: 4 reserved bytes then addresses); must pad to 8."""
    body = bytes((0, routing_type, segments_left)) + data
    if (len(body) + 1) % 8:
        raise ValueError("routing header data does not end on an 8-byte boundary")
    body = bytes(((len(body) + 1) // 8 - 1,)) + body[1:]
    return ExtHeader(IpProto.ROUTING, body)


def fragment(offset: int = 0, more: bool = False, ident: int = 0) -> ExtHeader:
    """Fragment header (RFC 8200 §4.5); ``offset`` in 8-byte units. offset 0 and more=False
    is an atomic fragment (RFC 6946)."""
    return ExtHeader(IpProto.FRAGMENT, struct.pack("!BHI", 0, (offset << 3) | int(more), ident))


def build_ipv6(
    src: str | bytes | IPAddress,
    dst: str | bytes | IPAddress,
    next_header: int,
    payload: bytes,
    *,
    traffic_class: int = 0,
    flow_label: int = 0,
    hop_limit: int = 64,
    ext_headers: tuple[ExtHeader, ...] | list[ExtHeader] = (),
) -> bytes:
    """A complete IPv6 packet: base header, ``ext_headers`` in order, then ``payload`` whose
    type is ``next_header``."""
    chain = b""
    types = [h.kind for h in ext_headers] + [next_header]
    for hdr, nxt in zip(ext_headers, types[1:]):
        chain += bytes((nxt,)) + hdr.body
    plen = len(chain) + len(payload)
    if plen > 0xFFFF:
        raise ValueError(f"IPv6 payload of {plen} bytes exceeds 65535 (jumbograms not supported)")
    word = (6 << 28) | (traffic_class << 20) | (flow_label & 0xFFFFF)
    return _HDR.pack(word, plen, types[0], hop_limit, packed(src), packed(dst)) + chain + payload


class Ipv6View(NamedTuple):
    """Parsed IPv6 base header plus the extension-header walk.

    ``ext`` lists (type, offset, length) of each extension header; ``upper_proto`` is the
    first non-extension Next Header value (50 for ESP); ``upper_offset`` where it starts;
    ``nh_field_offset`` the offset of the byte that holds ``upper_proto`` (the base header's
    byte 6 or the last extension header's first byte); ``truncated`` when the chain runs past
    the buffer.
    """

    traffic_class: int
    flow_label: int
    payload_length: int
    next_header: int
    hop_limit: int
    src: bytes
    dst: bytes
    ext: tuple[tuple[int, int, int], ...]
    upper_proto: int
    upper_offset: int
    nh_field_offset: int
    truncated: bool


def walk_extensions(pkt: bytes, offset: int, first: int, nh_field: int) -> tuple[
        tuple[tuple[int, int, int], ...], int, int, int, bool]:
    """Walk extension headers starting at ``offset`` with type ``first``.

    Returns (headers, upper_proto, upper_offset, nh_field_offset, truncated).
    """
    headers: list[tuple[int, int, int]] = []
    nxt, off, n = first, offset, len(pkt)
    while nxt in EXTENSION_HEADERS:
        if off + 8 > n:
            return tuple(headers), nxt, off, nh_field, True
        if nxt == IpProto.FRAGMENT:
            length = 8
        elif nxt == IpProto.AH:
            length = (pkt[off + 1] + 2) * 4
        else:
            length = (pkt[off + 1] + 1) * 8
        if off + length > n:
            return tuple(headers), nxt, off, nh_field, True
        headers.append((nxt, off, length))
        nh_field = off
        nxt = pkt[off]
        off += length
    return tuple(headers), nxt, off, nh_field, False


def parse_ipv6(pkt: bytes, offset: int = 0) -> Ipv6View | None:
    """Parse the IPv6 header at ``offset`` and walk its extension headers; None when too
    short or not version 6."""
    if len(pkt) < offset + IPV6_HEADER_LEN:
        return None
    word, plen, nh, hlim, src, dst = _HDR.unpack_from(pkt, offset)
    if word >> 28 != 6:
        return None
    ext, upper, upper_off, nh_field, trunc = walk_extensions(pkt, offset + IPV6_HEADER_LEN, nh, offset + 6)
    return Ipv6View((word >> 20) & 0xFF, word & 0xFFFFF, plen, nh, hlim, src, dst, ext, upper,
                    upper_off, nh_field, trunc)
