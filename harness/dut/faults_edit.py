"""Per-packet edits the fault-injecting wrapper applies to frames a DUT emitted.

Each edit takes an Ethernet frame (and, for ESP, the packet opened by ``faults_esp``) and
returns the altered frame, or None when the fault cannot apply to this packet (a DSCP that is
already 0, a packet without padding, no earlier packet on the SA to copy from). Header edits
keep the IPv4 header checksum valid, so the only thing wrong is the fault itself.
"""
from __future__ import annotations

import random

from gateway_ref.proto import ipv4, ipv6

from harness.dut.faults_esp import EspResealer, OpenedEsp, ip_packet_length

ETH_LEN = 14
DEFAULT_TTL_DELTA = -2  # wrong under every profile: secgw keeps the TTL, RFC 4301 takes one off
FLIP_WINDOW = 8  # bytes at the end of a clear packet one of which is flipped (payload fill)


def _fix_v4(l3: bytearray) -> bytes:
    ipv4.set_checksum(l3, ipv4.header_len(l3))
    return bytes(l3)


def set_ttl(frame: bytes, value: int | None) -> bytes | None:
    """TTL / hop limit := ``value`` (None: the received one minus 2, floored at 1)."""
    l3 = bytearray(frame[ETH_LEN:])
    if len(l3) < 20 or l3[0] >> 4 not in (4, 6):
        return None
    at = ipv4.OFF_TTL if l3[0] >> 4 == 4 else ipv6.OFF_HOP_LIMIT
    new = max(l3[at] + DEFAULT_TTL_DELTA, 1) if value is None else value
    if new == l3[at]:
        return None
    l3[at] = new & 0xFF
    return frame[:ETH_LEN] + (_fix_v4(l3) if l3[0] >> 4 == 4 else bytes(l3))


def _tos(l3: bytes) -> int:
    return l3[ipv4.OFF_TOS] if l3[0] >> 4 == 4 else ipv6.traffic_class(l3)


def _with_tos(frame: bytes, tos: int) -> bytes:
    l3 = bytearray(frame[ETH_LEN:])
    if l3[0] >> 4 == 4:
        l3[ipv4.OFF_TOS] = tos
        return frame[:ETH_LEN] + _fix_v4(l3)
    ipv6.set_traffic_class(l3, tos)
    return frame[:ETH_LEN] + bytes(l3)


def set_dscp(frame: bytes, value: int | None) -> bytes | None:
    """Outer DSCP := ``value`` (default 0: not copied from the inner header); ECN kept."""
    l3 = frame[ETH_LEN:]
    tos = _tos(l3)
    new = ((value or 0) << 2) | (tos & 3)
    return None if new == tos else _with_tos(frame, new)


def set_ecn(frame: bytes, value: int | None) -> bytes | None:
    """Outer ECN := ``value`` (default 0, Not-ECT: not copied); DSCP kept."""
    l3 = frame[ETH_LEN:]
    tos = _tos(l3)
    new = (tos & 0xFC) | ((value or 0) & 3)
    return None if new == tos else _with_tos(frame, new)


def set_outer_dst(frame: bytes, value: int | None) -> bytes | None:
    """Outer destination address with its last byte XORed with ``value`` (default 2, so the
    address stays inside the same benchmarking /24 or /64)."""
    l3 = bytearray(frame[ETH_LEN:])
    at = ipv4.OFF_DST + 3 if l3[0] >> 4 == 4 else ipv6.OFF_DST + 15
    l3[at] ^= (value or 2) & 0xFF
    return frame[:ETH_LEN] + (_fix_v4(l3) if l3[0] >> 4 == 4 else bytes(l3))


def flip_inner_byte(frame: bytes, rng: random.Random) -> bytes | None:
    """One byte among the last ``FLIP_WINDOW`` of the IP packet XORed with a random non-zero
    mask (the payload fill after the signature, so the packet can still be correlated)."""
    l3 = frame[ETH_LEN:]
    end = ETH_LEN + ip_packet_length(l3)
    if end - ETH_LEN < 40:
        return None
    pos = end - 1 - rng.randrange(FLIP_WINDOW)
    return frame[:pos] + bytes((frame[pos] ^ rng.randrange(1, 256),)) + frame[pos + 1:]


def flip_icv(frame: bytes, resealer: EspResealer, opened: OpenedEsp) -> bytes | None:
    """The last ICV byte inverted (RFC 4303 §3.4.4: the receiver must reject it)."""
    if resealer.icv_len(opened.spi) == 0:
        return None
    end = ETH_LEN + len(opened.l3)
    return frame[:end - 1] + bytes((frame[end - 1] ^ 0xFF,)) + frame[end:]


def wrong_padding(frame: bytes, resealer: EspResealer, opened: OpenedEsp, value: int | None) -> bytes | None:
    """Pad bytes all set to ``value`` (default 0) instead of 1, 2, 3, … (RFC 4303 §2.4), ICV valid."""
    n = opened.pad_len
    fill = value or 0
    if n == 0 or n > len(opened.plain) - 2 or (n == 1 and fill == 1):
        return None
    start = len(opened.plain) - 2 - n
    plain = opened.plain[:start] + bytes((fill,)) * n + opened.plain[-2:]
    return frame[:ETH_LEN] + resealer.seal(opened, plain=plain)


def wrong_next_header(frame: bytes, resealer: EspResealer, opened: OpenedEsp, value: int | None) -> bytes | None:
    """Next header := ``value`` (default: 41 for 4 and 4 for anything else), ICV valid."""
    nh = opened.next_header
    new = value if value is not None else (41 if nh == 4 else 4)
    if new == nh:
        return None
    return frame[:ETH_LEN] + resealer.seal(opened, plain=opened.plain[:-1] + bytes((new,)))


def wrong_spi(frame: bytes, resealer: EspResealer, opened: OpenedEsp, value: int | None) -> bytes:
    """SPI := ``value`` (default 0, which RFC 4303 §2.1 forbids on the wire), ICV valid."""
    return frame[:ETH_LEN] + resealer.seal(opened, spi=0 if value is None else value)


def reuse_seq(frame: bytes, resealer: EspResealer, opened: OpenedEsp, previous: int) -> bytes:
    """The sequence number of the SA's previous packet, ICV valid (RFC 4303 §3.3.3)."""
    return frame[:ETH_LEN] + resealer.seal(opened, seq=previous)


def reuse_iv(frame: bytes, resealer: EspResealer, opened: OpenedEsp, previous: bytes) -> bytes | None:
    """The IV of the SA's previous packet, ICV valid (RFC 4106 §3.1 / RFC 3602 §3)."""
    if not previous or previous == opened.iv:
        return None
    return frame[:ETH_LEN] + resealer.seal(opened, iv=previous)
