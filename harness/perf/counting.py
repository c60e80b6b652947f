"""Integer counts of one trial: match emitted frames to sent ones by signature key.

Uses the verifier's correlation (``harness.verify.correlate``): every sent key is expected on
the point's output port; emitted frames are keyed by the point's ``KeyReader``. Reordering is
RFC 4737 §3.3 (a packet arriving after a later-sent one of the same stream).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.dut.base import ReceivedFrame
from harness.perf.traffic import FrameKey, KeyReader
from harness.verify.correlate import Correlation, Delivery, Received, correlate


@dataclass(frozen=True)
class Counts:
    """Packets: ``forwarded`` distinct sent packets seen on the right port."""

    offered: int
    forwarded: int
    duplicated: int
    reordered: int
    unexpected: int

    @property
    def lost(self) -> int:
        return self.offered - self.forwarded


def keyed(frames: Sequence[ReceivedFrame], read_key: KeyReader) -> list[Received]:
    """``Received`` records (index = emission order) with their signature keys."""
    return [Received(f.port, i, f.ts_ns, f.frame, read_key(f.frame)) for i, f in enumerate(frames)]


def count(sent: Sequence[FrameKey], out_port: int, received: Sequence[Received]) -> tuple[Counts, Correlation]:
    """Counts for the packets whose keys are ``sent`` (distinct), all due on ``out_port``."""
    delivery = Delivery(out_port)
    expected = dict.fromkeys(sent, delivery)
    if len(expected) != len(sent):
        raise ValueError(f"{len(sent) - len(expected)} sent keys are repeated: signatures must be unique per trial")
    corr = correlate(expected, received)
    t = corr.totals()
    unexpected = len(corr.unexpected) - t.duplicated
    return Counts(len(sent), t.delivered, t.duplicated, t.reordered, unexpected), corr
