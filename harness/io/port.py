"""The ``Port`` protocol every traffic port implements, and its result records.

Clocks: ``*_tx_ns`` and capture timestamps are CLOCK_REALTIME nanoseconds (the clock the
kernel stamps received packets with), so TX and RX times can be subtracted; ``elapsed_ns``
is measured with the monotonic ``perf_counter_ns``. Bit rates are L2: frame bytes as given
(no FCS, preamble or inter-frame gap) times 8.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from typing import Protocol

Captured = tuple[int, bytes]
"""One captured frame: (CLOCK_REALTIME timestamp in ns, frame bytes)."""

DEFAULT_DURATION_LIMIT_S = 30.0


class PortError(RuntimeError):
    """A port could not be opened or used; the message names the port and the reason."""


class StopReason(enum.Enum):
    """Why ``send`` returned."""

    COMPLETE = "complete"  # every frame was handed to the port
    DURATION_LIMIT = "duration-limit"  # the duration limit ran out first
    STALLED = "stalled"  # the port refused frames (e.g. ENOBUFS) past the retry bound


@dataclasses.dataclass(frozen=True)
class SendResult:
    """Outcome of one ``send`` call."""

    frames_requested: int
    frames_sent: int
    bytes_sent: int
    first_tx_ns: int | None  # CLOCK_REALTIME just before the first burst was handed over
    last_tx_ns: int | None  # CLOCK_REALTIME just before the last burst was handed over
    elapsed_ns: int  # monotonic, start of the first burst to the return of the last
    stop: StopReason
    bursts: tuple[tuple[int, int], ...]  # (index of the burst's first frame, CLOCK_REALTIME ns)

    @property
    def pps(self) -> float:
        """Frames per second over ``elapsed_ns`` (0.0 when nothing was timed)."""
        return self.frames_sent * 1e9 / self.elapsed_ns if self.elapsed_ns else 0.0


@dataclasses.dataclass(frozen=True)
class PortStats:
    """Counters of a port. ``kernel_*`` are None where the port has no kernel socket.

    ``kernel_packets`` is PACKET_STATISTICS ``tp_packets`` (which already includes the
    drops), ``kernel_drops`` its ``tp_drops``: frames the kernel could not queue to our
    capture (ring or socket buffer full). Loss counted here is the tester's, not the DUT's.
    """

    frames_sent: int = 0
    bytes_sent: int = 0
    frames_captured: int = 0
    kernel_packets: int | None = None
    kernel_drops: int | None = None
    kernel_freeze_q: int | None = None  # TPACKET_V3 only: times the ring was frozen


class Port(Protocol):
    """A place frames are sent from and captured on."""

    name: str

    def send(
        self,
        frames: Sequence[bytes],
        *,
        rate_pps: float | None = None,
        rate_bps: float | None = None,
        duration_limit_s: float = DEFAULT_DURATION_LIMIT_S,
    ) -> SendResult:
        """Send ``frames`` in order, at most one rate (None: as fast as possible), bounded in time."""
        ...

    def start_capture(self) -> None:
        """Start recording received frames."""
        ...

    def stop_capture(self) -> list[Captured]:
        """Stop recording; return what was received since ``start_capture``, in order."""
        ...

    def stats(self) -> PortStats:
        """Counters since the port was opened."""
        ...

    def close(self) -> None:
        """Release sockets/files; idempotent."""
        ...
