"""Anti-replay window (RFC 4303 §3.4.3) and ESN high-bit inference (RFC 4303 Appendix A2).

The window is a Python int used as a bit set: bit i stands for sequence number T - i, where T
is the highest sequence number accepted so far. Accepted: above T, or inside [T - W + 1, T] and
not yet seen. DELIBERATE DEVIATION from librte_ipsec, which also accepts T - W (secgw-reference
§3.6): we follow the RFC. The check runs twice, before crypto (cheap rejection) and after the
ICV verified (``advance``), in call order, so a duplicate inside one burst is still caught.
"""
from __future__ import annotations

M32 = 0xFFFFFFFF


def infer_esn(top: int, seq_lo: int, window: int) -> int:
    """Full 64-bit sequence number for the received low 32 bits (RFC 4303 A2.2).

    May return -1 (an epoch before the first one): the caller treats it as a replay.
    """
    tl = top & M32
    th = top >> 32
    bottom = tl - window + 1
    if tl >= window - 1:  # Case A: the window lies inside one epoch
        sh = th if seq_lo >= bottom else th + 1
    else:  # Case B: the window spans the epoch boundary
        sh = th - 1 if seq_lo >= (bottom & M32) else th
    return (sh << 32) | seq_lo if sh >= 0 else -1


def acceptable(top: int, bitmap: int, seq: int, window: int) -> bool:
    """Pre-check: SEQ is new and inside or above the window."""
    if seq <= 0:
        return False
    if seq > top:
        return True
    d = top - seq
    return d < window and not (bitmap >> d) & 1


def advance(top: int, bitmap: int, seq: int, window: int) -> tuple[int, int] | None:
    """New (top, bitmap) after accepting SEQ, or None if SEQ is a replay or too old."""
    if seq <= 0:
        return None
    if seq > top:
        shift = seq - top
        if shift >= window:
            return seq, 1
        return seq, ((bitmap << shift) | 1) & ((1 << window) - 1)
    d = top - seq
    if d >= window or (bitmap >> d) & 1:
        return None
    return top, bitmap | (1 << d)
