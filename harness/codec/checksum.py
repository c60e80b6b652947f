"""Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-header sums used by UDP, TCP and
ICMPv6 (RFC 768, RFC 9293 §3.1, RFC 8200 §8.1).

The one's-complement sum of 16-bit big-endian words equals the value of the whole buffer,
read as one big-endian integer, modulo 0xFFFF (because 2**16 ≡ 1 mod 0xFFFF). That lets one
``int.from_bytes`` call replace a Python loop over words.
"""

from __future__ import annotations

_FOLD = 0xFFFF


def ones_sum(data: bytes) -> int:
    """One's-complement sum of ``data`` as 16-bit words (odd length padded with a zero byte).

    Returns a value in 0..0xFFFF; a non-zero input whose sum is a multiple of 0xFFFF gives
    0xFFFF (negative zero), as the RFC 1071 loop would.
    """
    if len(data) & 1:
        data = data + b"\x00"
    value = int.from_bytes(data, "big")
    total = value % _FOLD
    if total == 0 and value:
        return _FOLD
    return total


def add_sums(*sums: int) -> int:
    """Add partial one's-complement sums with end-around carry."""
    total = sum(sums)
    while total > _FOLD:
        total = (total & _FOLD) + (total >> 16)
    return total


def finish(total: int) -> int:
    """Turn a one's-complement sum into the checksum field value."""
    return ~total & _FOLD


def internet_checksum(data: bytes) -> int:
    """RFC 1071 checksum of ``data`` (the field itself must be zero, or the result is 0 when
    the stored checksum is correct)."""
    return finish(ones_sum(data))


def pseudo_header_sum(src: bytes, dst: bytes, proto: int, length: int) -> int:
    """Sum of the IPv4 (RFC 768/9293) or IPv6 (RFC 8200 §8.1) pseudo-header.

    ``src``/``dst`` are 4- or 16-byte packed addresses; ``length`` is the upper-layer length.
    """
    if len(src) == 4:
        tail = bytes((0, proto)) + length.to_bytes(2, "big")
    else:
        tail = length.to_bytes(4, "big") + bytes((0, 0, 0, proto))
    return ones_sum(src + dst + tail)
