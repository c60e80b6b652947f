"""UDP header (RFC 768) and UDP encapsulation of ESP (RFC 3948 §2).

On port 4500 a datagram carries ESP unless its first four bytes are zero (the non-ESP marker
in front of IKE, §2.2) or it is the one-byte NAT-keepalive 0xFF (§2.3).
"""
from __future__ import annotations

import enum
import struct

from gateway_ref.proto.checksum import checksum

HEADER_LEN = 8
NATT_PORT = 4500
_HDR = struct.Struct("!HHHH")
_NON_ESP_MARKER = b"\x00\x00\x00\x00"


class NattKind(enum.Enum):
    ESP = "esp"
    NON_ESP = "non-esp"  # IKE behind the non-ESP marker
    KEEPALIVE = "keepalive"
    RUNT = "runt"  # shorter than an ESP header and not a keepalive


def natt_kind(payload: bytes) -> NattKind:
    """What the UDP payload PAYLOAD on port 4500 is (RFC 3948 §2.2, §2.3)."""
    if len(payload) == 1 and payload[0] == 0xFF:
        return NattKind.KEEPALIVE
    if len(payload) >= 4 and payload[:4] == _NON_ESP_MARKER:
        return NattKind.NON_ESP
    if len(payload) < 8:
        return NattKind.RUNT
    return NattKind.ESP


def header(sport: int, dport: int, payload_len: int, csum: int = 0) -> bytes:
    """An 8-byte UDP header; checksum 0 means "not computed" (allowed for IPv4, RFC 3948 §2.1)."""
    return _HDR.pack(sport, dport, HEADER_LEN + payload_len, csum)


def ports(pkt: bytes, off: int) -> tuple[int, int]:
    return (pkt[off] << 8 | pkt[off + 1], pkt[off + 2] << 8 | pkt[off + 3])


def checksum6(src: bytes, dst: bytes, datagram: bytes) -> int:
    """UDP checksum over the IPv6 pseudo-header (RFC 8200 §8.1); DATAGRAM has checksum 0."""
    pseudo = src + dst + struct.pack("!IxxxB", len(datagram), 17)
    c = checksum(pseudo + datagram)
    return c or 0xFFFF
