"""ESP header and trailer layout (RFC 4303 §2): SPI, sequence, padding, pad length, next header.

Padding is the default monotonic 1, 2, 3, ... (§2.4). ``trailers`` precomputes, for each
residue of the payload length modulo the alignment, the bytes to append, so the encrypt path
appends one ready-made suffix.
"""
from __future__ import annotations

import struct

HEADER_LEN = 8
TRAILER_LEN = 2
HDR = struct.Struct("!II")

# PAD[n] = the n default pad bytes 1..n
PAD: tuple[bytes, ...] = tuple(bytes(range(1, n + 1)) for n in range(256))


def pad_len(payload_len: int, align: int) -> int:
    """Pad bytes so that payload + pad + 2 is a multiple of ALIGN (§2.4)."""
    return (-(payload_len + TRAILER_LEN)) % align


def trailer(payload_len: int, align: int, next_header: int) -> bytes:
    n = pad_len(payload_len, align)
    return PAD[n] + bytes((n, next_header))


def trailers(align: int, next_header: int) -> tuple[bytes, ...]:
    """Suffix for each ``payload_len % align`` (ALIGN a power of two)."""
    return tuple(trailer(r, align, next_header) for r in range(align))


def split_trailer(plain: bytes) -> tuple[int, int] | None:
    """(payload length, next header) of a decrypted ESP payload, or None when the pad length
    points before its start or the pad bytes are not 1..n (§2.4 receiver check)."""
    n = len(plain)
    if n < TRAILER_LEN:
        return None
    plen = plain[n - 2]
    end = n - 2 - plen
    if end < 0 or plain[end:n - 2] != PAD[plen]:
        return None
    return end, plain[n - 1]
