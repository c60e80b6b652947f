"""The payload signature every generated packet carries, shared by generator and verifier.

Layout (version 2): 18 bytes, big-endian, at the start of the L4 payload (UDP/TCP payload,
ICMP/ICMPv6 echo data after the 8-byte ICMP header, or right after the IP header and its
extension headers for the experimental protocols 253/254 of RFC 3692)::

    offset  size  field
         0     2  magic      b"IX"
         2     1  version    2
         3     1  flags      0 (reserved)
         4     2  stream_id  u16
         6     4  seq        u32, per stream, from 0, wraps modulo 2**32
        10     8  tx_ts_ns   u64, 0 when the sender records tx times separately

18 bytes is what a 64-byte IPv4/UDP Ethernet frame leaves after its headers (60 bytes without
FCS = 14 Ethernet + 20 IPv4 + 8 UDP + 18), so RFC 2544 tests at 64 bytes run over UDP as in
every tester. IPv6/UDP needs 14 + 40 + 8 + 18 = 80 bytes (frame without FCS; 84 with it).

The sequence number is the packet's index in its stream modulo 2**32: a stream longer than
2**32 packets repeats signatures, and the verifier, which correlates by (stream, seq), cannot
tell such packets apart (documented limit: at most 2**32 packets per stream per verify run).
The rest of the payload is ``fill(n)``: a deterministic byte pattern.
Unlike VPP's native-endian payload tags this format is the same on every host.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"IX"
VERSION = 2
SIGNATURE_LEN = 18
SEQ_OFFSET = 6  # offset of the u32 seq inside the signature
SEQ_MODULUS = 1 << 32
EXPERIMENTAL_PROTOS = frozenset((253, 254))  # RFC 3692: no L4 header, payload right after IP

_SIG = struct.Struct(">2sBBHIQ")
_IPV6_EXT = frozenset((0, 43, 60, 51))  # HBH, Routing, DestOpt, AH (Fragment handled apart)
_FRAGMENT = 44
_L4_HEADER_LEN = {17: 8, 1: 8, 58: 8}  # UDP, ICMP, ICMPv6; TCP reads its data offset
_TCP = 6
_FILL = bytes(range(256)) * 40  # longer than any Ethernet payload we build (10,240 bytes)


@dataclass(frozen=True)
class Signature:
    """One decoded signature (``seq`` is the wire value: the stream index modulo 2**32)."""

    stream_id: int
    seq: int
    tx_ts_ns: int = 0
    flags: int = 0
    version: int = VERSION

    def __post_init__(self) -> None:
        if not 0 <= self.stream_id <= 0xFFFF:
            raise ValueError(f"Signature.stream_id must be 0..65535, got {self.stream_id}")
        if not 0 <= self.seq < SEQ_MODULUS:
            raise ValueError(f"Signature.seq must be 0..2**32-1 (the stream index modulo 2**32), got {self.seq}")
        if not 0 <= self.tx_ts_ns < 1 << 64:
            raise ValueError(f"Signature.tx_ts_ns must be 0..2**64-1, got {self.tx_ts_ns}")
        if not 0 <= self.flags <= 0xFF or not 0 <= self.version <= 0xFF:
            raise ValueError("Signature.flags and Signature.version must be 0..255")


def pack_signature(sig: Signature) -> bytes:
    """The 18 signature bytes of ``sig``."""
    return _SIG.pack(MAGIC, sig.version, sig.flags, sig.stream_id, sig.seq, sig.tx_ts_ns)


def unpack_signature(data: bytes, offset: int = 0) -> Signature | None:
    """Decode the signature at ``offset``; None if too short, the magic differs or the
    version is not ``VERSION``."""
    if len(data) < offset + SIGNATURE_LEN:
        return None
    magic, version, flags, stream_id, seq, ts = _SIG.unpack_from(data, offset)
    if magic != MAGIC or version != VERSION:
        return None
    return Signature(stream_id, seq, ts, flags, version)


def fill(length: int, start: int = SIGNATURE_LEN) -> bytes:
    """Deterministic payload fill: byte i of the L4 payload is ``i & 0xFF``.

    ``start`` is the payload offset where the fill begins (after the signature), so
    ``fill(n)`` is what follows a signature in an ``n + 18``-byte payload.
    """
    if length < 0:
        raise ValueError(f"fill length must be >= 0, got {length}")
    begin = start & 0xFF
    if begin + length > len(_FILL):
        return bytes((start + i) & 0xFF for i in range(length))
    return _FILL[begin:begin + length]


def _ipv4_payload_offset(l3: bytes) -> tuple[int, int] | None:
    ihl = (l3[0] & 0x0F) * 4
    if ihl < 20 or len(l3) < ihl:
        return None
    if int.from_bytes(l3[6:8], "big") & 0x1FFF:  # not the first fragment: no L4 header
        return None
    return l3[9], ihl


def _ipv6_payload_offset(l3: bytes) -> tuple[int, int] | None:
    if len(l3) < 40:
        return None
    nh, off = l3[6], 40
    while nh in _IPV6_EXT or nh == _FRAGMENT:
        if len(l3) < off + 8:
            return None
        if nh == _FRAGMENT:
            if int.from_bytes(l3[off + 2:off + 4], "big") & 0xFFF8:
                return None
            length = 8
        elif nh == 51:
            length = (l3[off + 1] + 2) * 4
        else:
            length = (l3[off + 1] + 1) * 8
        nh, off = l3[off], off + length
    return nh, off


def l4_payload_offset(l3: bytes) -> int | None:
    """Offset of the L4 payload in a clear IPv4/IPv6 packet, or None when the headers
    cannot be walked (unknown version, truncated, non-first fragment, unknown protocol)."""
    if not l3:
        return None
    version = l3[0] >> 4
    walked = _ipv4_payload_offset(l3) if version == 4 else _ipv6_payload_offset(l3) if version == 6 else None
    if walked is None:
        return None
    proto, off = walked
    if proto in EXPERIMENTAL_PROTOS:
        return off
    if proto == _TCP:
        if len(l3) < off + 20:
            return None
        return off + (l3[off + 12] >> 4) * 4
    hdr = _L4_HEADER_LEN.get(proto)
    return None if hdr is None else off + hdr


def find_signature(l3: bytes) -> Signature | None:
    """Locate the signature in a clear IP packet: at the L4 payload start when the headers
    parse, else the first occurrence of the magic that decodes. None when there is none."""
    off = l4_payload_offset(l3)
    if off is not None:
        sig = unpack_signature(l3, off)
        if sig is not None:
            return sig
    pos = l3.find(MAGIC)
    while pos >= 0:
        sig = unpack_signature(l3, pos)
        if sig is not None:
            return sig
        pos = l3.find(MAGIC, pos + 1)
    return None
