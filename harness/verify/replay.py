"""Receiver-side sequence model: ESN high-bit inference and the anti-replay window.

RFC 4303 §3.4.3 (window: accept [T - W + 1, T] and anything above T; duplicates rejected; the
window advances only after the ICV verified) and Appendix A2/A3 (inference of the high 32 bits
of an ESN from the low 32 bits on the wire). The library edge (secgw-reference.md §3.6) also
accepts T - W. Kept as a set of accepted numbers inside the window: it is a model, not a
datapath.
"""
from __future__ import annotations

from harness.verify.profiles import ReplayEdge

_LOW = 0xFFFFFFFF


def infer_esn(top: int, window: int, seq_low: int) -> int:
    """The full 64-bit sequence for ``seq_low`` given the highest accepted ``top`` (App. A2)."""
    t_low, t_high = top & _LOW, top >> 32
    w = max(window, 1)
    if t_low >= w - 1:
        high = t_high if seq_low >= t_low - w + 1 else t_high + 1
    else:
        high = t_high - 1 if seq_low >= (t_low - w + 1) & _LOW else t_high
    return (max(high, 0) << 32) | seq_low


class ReplayWindow:
    """Anti-replay state of one inbound SA; ``window`` 0 disables the check."""

    def __init__(self, window: int, edge: ReplayEdge, *, esn: bool, top: int = 0) -> None:
        self.window = window
        self.edge = edge
        self.esn = esn
        self.top = top
        self._seen: set[int] = set()

    def full_seq(self, seq_low: int) -> int:
        return infer_esn(self.top, self.window, seq_low) if self.esn else seq_low

    def check(self, seq: int) -> bool:
        """True when ``seq`` (full) would be accepted (before the ICV is known)."""
        if seq == 0:
            return self.window == 0 and not self.esn
        if self.window == 0 or seq > self.top:
            return True
        lowest = self.top - self.window + (0 if self.edge is ReplayEdge.LIBRARY else 1)
        return seq >= lowest and seq not in self._seen

    def accept(self, seq: int) -> None:
        """Advance after a verified ICV."""
        if self.window == 0 and not self.esn:
            return
        self._seen.add(seq)
        if seq > self.top:
            self.top = seq
            floor = seq - self.window
            if len(self._seen) > 2 * self.window + 8:
                self._seen = {s for s in self._seen if s >= floor}
