"""In-memory ports for offline tests: a linked pair, or a single port that records what it sends.

What one port of a pair sends arrives at the other, stamped with CLOCK_REALTIME ns at send
time; it is kept only while the receiving port is capturing, as on a real link.
"""
from __future__ import annotations

import time
from collections.abc import Sequence

from harness.io.pacing import DEFAULT_BURST, Rate, paced_send
from harness.io.port import DEFAULT_DURATION_LIMIT_S, Captured, PortStats, SendResult


class MemoryPort:
    """A port in memory. ``sent`` keeps every frame this port sent, with its send time."""

    def __init__(self, name: str = "mem0", *, burst: int = DEFAULT_BURST) -> None:
        self.name = name
        self.sent: list[Captured] = []
        self._peer: MemoryPort | None = None
        self._capturing = False
        self._captured: list[Captured] = []
        self._frames_captured = 0
        self._burst = burst
        self._closed = False

    @classmethod
    def pair(cls, a: str = "mem0", b: str = "mem1") -> tuple[MemoryPort, MemoryPort]:
        """Two ports joined like the ends of a cable."""
        left, right = cls(a), cls(b)
        left._peer, right._peer = right, left
        return left, right

    def _deliver(self, stamped: list[Captured]) -> None:
        if self._capturing:
            self._captured.extend(stamped)

    def _send_batch(self, frames: Sequence[bytes], start: int, stop: int) -> int:
        now = time.time_ns()
        stamped = [(now, bytes(frames[i])) for i in range(start, stop)]
        self.sent.extend(stamped)
        if self._peer is not None:
            self._peer._deliver(stamped)
        return stop - start

    def send(
        self,
        frames: Sequence[bytes],
        *,
        rate_pps: float | None = None,
        rate_bps: float | None = None,
        duration_limit_s: float = DEFAULT_DURATION_LIMIT_S,
    ) -> SendResult:
        """Send through the pacing loop (so rate limits behave as on a live port)."""
        return paced_send(
            frames,
            self._send_batch,
            rate=Rate.from_args(rate_pps, rate_bps),
            burst=self._burst,
            duration_limit_s=duration_limit_s,
        )

    def start_capture(self) -> None:
        """Keep frames the peer sends from now on."""
        self._captured = []
        self._capturing = True

    def stop_capture(self) -> list[Captured]:
        """Stop keeping frames; return those kept."""
        self._capturing = False
        captured, self._captured = self._captured, []
        self._frames_captured += len(captured)
        return captured

    def stats(self) -> PortStats:
        """Counters; no kernel is involved, so the kernel fields are None."""
        return PortStats(
            frames_sent=len(self.sent),
            bytes_sent=sum(len(f) for _, f in self.sent),
            frames_captured=self._frames_captured,
        )

    def close(self) -> None:
        """Unlink from the peer."""
        if self._peer is not None:
            self._peer._peer = None
            self._peer = None
