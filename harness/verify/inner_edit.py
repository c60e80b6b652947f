"""Edits the expected-transform model applies to an inner IP packet: TTL/hop limit and ECN.

Pure functions on bytes; IPv4 header checksums are recomputed (RFC 791 §3.1, RFC 1071) so the
expected bytes are what a correct gateway emits.
"""
from __future__ import annotations

from harness.codec.checksum import internet_checksum


def _fix_ipv4_checksum(hdr: bytearray, ihl: int) -> None:
    hdr[10:12] = b"\x00\x00"
    hdr[10:12] = internet_checksum(bytes(hdr[:ihl])).to_bytes(2, "big")


def recompute_ipv4_checksum(pkt: bytes) -> bytes:
    """``pkt`` with a correct IPv4 header checksum (IPv6 packets are returned unchanged)."""
    if not pkt or pkt[0] >> 4 != 4:
        return pkt
    out = bytearray(pkt)
    _fix_ipv4_checksum(out, (pkt[0] & 0xF) * 4)
    return bytes(out)


def with_ttl_delta(pkt: bytes, delta: int) -> bytes:
    """``pkt`` with its TTL / hop limit changed by ``delta`` (clamped at 0)."""
    if delta == 0 or not pkt:
        return pkt
    out = bytearray(pkt)
    if pkt[0] >> 4 == 4:
        out[8] = max(0, out[8] + delta)
        _fix_ipv4_checksum(out, (pkt[0] & 0xF) * 4)
    else:
        out[7] = max(0, out[7] + delta)
    return bytes(out)


def ttl_of(pkt: bytes) -> int:
    return pkt[8] if pkt[0] >> 4 == 4 else pkt[7]


def tos_of(pkt: bytes) -> int:
    if pkt[0] >> 4 == 4:
        return pkt[1]
    return ((pkt[0] & 0xF) << 4) | (pkt[1] >> 4)


def with_ecn(pkt: bytes, ecn: int) -> bytes:
    """``pkt`` with the two ECN bits of its TOS / traffic class set to ``ecn``."""
    out = bytearray(pkt)
    if pkt[0] >> 4 == 4:
        if out[1] & 3 == ecn:
            return pkt
        out[1] = (out[1] & 0xFC) | ecn
        _fix_ipv4_checksum(out, (pkt[0] & 0xF) * 4)
    else:
        # traffic class spans the low nibble of byte 0 and the high nibble of byte 1;
        # ECN is the two low bits of the class, i.e. bits 5..4 of byte 1
        out[1] = (out[1] & 0xCF) | (ecn << 4)
    return bytes(out)
