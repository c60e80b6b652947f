"""A port backed by pcap files: ``send`` appends to an output file, capture replays an input file.

Useful to run a profile offline (generate the pcap a live run would send) and to verify a
capture taken elsewhere (by tcpdump on a DUT link, say) with the same code as a live capture.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from harness.io.pacing import DEFAULT_BURST, Rate, paced_send
from harness.io.pcap import encode_header, encode_record, read_pcap
from harness.io.port import DEFAULT_DURATION_LIMIT_S, Captured, PortError, PortStats, SendResult


class PcapPort:
    """Writes sent frames to ``tx_path``; ``stop_capture`` returns the frames of ``rx_path``."""

    def __init__(
        self,
        name: str,
        *,
        tx_path: str | Path | None = None,
        rx_path: str | Path | None = None,
        burst: int = DEFAULT_BURST,
    ) -> None:
        self.name = name
        self._rx_path = Path(rx_path) if rx_path is not None else None
        self._tx: BinaryIO | None = None
        if tx_path is not None:
            self._tx = open(tx_path, "wb")
            self._tx.write(encode_header())
        self._burst = burst
        self._frames_sent = 0
        self._bytes_sent = 0
        self._frames_captured = 0
        self._capturing = False

    def _send_batch(self, frames: Sequence[bytes], start: int, stop: int) -> int:
        assert self._tx is not None
        now = time.time_ns()
        self._tx.write(b"".join(encode_record(now, frames[i]) for i in range(start, stop)))
        return stop - start

    def send(
        self,
        frames: Sequence[bytes],
        *,
        rate_pps: float | None = None,
        rate_bps: float | None = None,
        duration_limit_s: float = DEFAULT_DURATION_LIMIT_S,
    ) -> SendResult:
        """Append ``frames`` to the TX file, stamped with their (paced) write time."""
        if self._tx is None:
            raise PortError(f"{self.name}: no tx_path given, cannot send")
        result = paced_send(
            frames,
            self._send_batch,
            rate=Rate.from_args(rate_pps, rate_bps),
            burst=self._burst,
            duration_limit_s=duration_limit_s,
        )
        self._tx.flush()
        self._frames_sent += result.frames_sent
        self._bytes_sent += result.bytes_sent
        return result

    def start_capture(self) -> None:
        """Arm the capture; the frames come from ``rx_path`` at ``stop_capture``."""
        if self._rx_path is None:
            raise PortError(f"{self.name}: no rx_path given, cannot capture")
        self._capturing = True

    def stop_capture(self) -> list[Captured]:
        """All frames of ``rx_path`` with their recorded timestamps."""
        if not self._capturing or self._rx_path is None:
            raise PortError(f"{self.name}: stop_capture without start_capture")
        self._capturing = False
        frames = read_pcap(self._rx_path)
        self._frames_captured += len(frames)
        return frames

    def stats(self) -> PortStats:
        """Counters of this port; no kernel fields."""
        return PortStats(
            frames_sent=self._frames_sent,
            bytes_sent=self._bytes_sent,
            frames_captured=self._frames_captured,
        )

    def close(self) -> None:
        """Close the TX file."""
        if self._tx is not None:
            self._tx.close()
            self._tx = None
