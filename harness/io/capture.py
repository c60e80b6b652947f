"""Live captures on an AF_PACKET socket: a TPACKET_V3 ring, or ``recv_into`` with SO_TIMESTAMPNS.

Both keep the kernel's RX timestamp (CLOCK_REALTIME ns) per frame and read PACKET_STATISTICS
when they stop, so capture loss shows up as ``kernel_drops`` instead of as DUT loss.

``RingCapture`` either copies retired blocks out of the ring from a thread while capturing
(``threaded=True``: the ring never fills, whatever the burst) or only when stopped ("drain
on stop": a big enough ring must hold the whole burst); either way packets are split out of
the copied blocks only when frames are asked for. ``RecvCapture`` always uses a thread. Every
loop is bounded by a frame count and a duration.
"""
from __future__ import annotations

import select
import socket
import struct
import threading
import time

from harness.io import packetsock
from harness.io.packetsock import KernelStats
from harness.io.port import Captured
from harness.io.rxring import RxRingV3, parse_block

POLL_MS = 50
TIMESTAMP_SETTLE_S = 0.02
DEFAULT_MAX_FRAMES = 4_000_000
DEFAULT_MAX_DURATION_S = 600.0
_TIMESPEC = struct.Struct("qq")


class RingCapture:
    """Capture through a TPACKET_V3 RX ring. Create it inside the interface's namespace.

    While capturing, only whole blocks are copied out of the ring (``RxRingV3.take_blocks``);
    packets are split out of them when frames are asked for (``take``, ``stop``), so a
    threaded capture holds the interpreter for one memcpy per block instead of ~1 µs per
    packet while a sender in the same process runs.
    """

    def __init__(
        self,
        iface: str,
        *,
        ring_bytes: int = 64 << 20,
        block_size: int = 1 << 20,
        retire_ms: int = 4,
        ignore_outgoing: bool = True,
        threaded: bool = False,
        max_frames: int = DEFAULT_MAX_FRAMES,
        max_duration_s: float = DEFAULT_MAX_DURATION_S,
    ) -> None:
        self._sock = packetsock.open_rx_socket(ignore_outgoing=ignore_outgoing)
        try:
            self._ring = RxRingV3(self._sock, block_size=block_size,
                                  blocks=max(2, ring_bytes // block_size), retire_ms=retire_ms)
            packetsock.bind_rx(self._sock, iface)
        except OSError:
            self._sock.close()
            raise
        self._blocks: list[bytes] = []  # copied blocks not yet split into frames
        self._pending = 0  # packets in self._blocks
        self._max_frames = max_frames
        self._max_duration_s = max_duration_s
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the copier thread vs take()
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._loop, name=f"ring-{iface}", daemon=True)
            self._thread.start()

    def _copy_ready(self) -> int:
        """Copy the ready blocks out of the ring (until max_frames are pending); how many packets."""
        with self._lock:
            got = self._ring.take_blocks(self._blocks, self._max_frames - self._pending)
            self._pending += got
        return got

    def _loop(self) -> None:
        deadline = time.monotonic() + self._max_duration_s
        poller = select.poll()
        poller.register(self._sock.fileno(), select.POLLIN | select.POLLERR)
        while not self._stop.is_set() and time.monotonic() < deadline:
            if self._pending >= self._max_frames:
                self._stop.wait(POLL_MS / 1000)  # no room until take(); the kernel counts drops
                continue
            poller.poll(POLL_MS)
            self._copy_ready()

    def _split(self) -> list[Captured]:
        with self._lock:
            blocks, self._blocks, self._pending = self._blocks, [], 0
        frames: list[Captured] = []
        for block in blocks:
            parse_block(block, frames)
        return frames

    def take(self) -> list[Captured]:
        """Frames captured so far (copying ready blocks first); the capture goes on.

        Frames still in a block the kernel has not retired come with a later ``take``.
        Raises RingFormatError when a block's offsets are inconsistent.
        """
        self._copy_ready()
        return self._split()

    def _drain_retired(self) -> None:
        """Copy until no block is ready even after the kernel's retire timeout (bounded)."""
        waited = False
        for _ in range(2 * self._ring.blocks + 4):
            if self._copy_ready():
                waited = False
                continue
            if waited or self._pending >= self._max_frames:
                return
            time.sleep(2 * self._ring.retire_ms / 1000)
            waited = True

    def stop(self) -> tuple[list[Captured], KernelStats]:
        """Stop, collect every frame still in the ring, read the kernel counters, close.

        Raises RingFormatError (after closing) when a block's offsets are inconsistent.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=POLL_MS / 1000 * 20)
        try:
            self._drain_retired()
            stats = packetsock.read_statistics(self._sock, v3=True)
        finally:
            self._ring.close()
            self._sock.close()
        return self._split(), stats


class RecvCapture:
    """Capture with ``recvmsg_into`` per frame and SO_TIMESTAMPNS, from a thread."""

    def __init__(
        self,
        iface: str,
        *,
        rcvbuf_bytes: int = 64 << 20,
        ignore_outgoing: bool = True,
        snaplen: int = 65536,
        max_frames: int = DEFAULT_MAX_FRAMES,
        max_duration_s: float = DEFAULT_MAX_DURATION_S,
    ) -> None:
        self._sock = packetsock.open_rx_socket(ignore_outgoing=ignore_outgoing)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, packetsock.SO_RCVBUFFORCE, rcvbuf_bytes)
            self._sock.setsockopt(socket.SOL_SOCKET, packetsock.SO_TIMESTAMPNS, 1)
            self._sock.settimeout(POLL_MS / 1000)
            packetsock.bind_rx(self._sock, iface)
        except OSError:
            self._sock.close()
            raise
        # The kernel turns RX stamping on through deferred work (net_enable_timestamp);
        # until it runs, frames carry no stamp and recvmsg stamps them late, at read time.
        time.sleep(TIMESTAMP_SETTLE_S)
        self._buf = bytearray(snaplen)
        self._frames: list[Captured] = []
        self._max_frames = max_frames
        self._max_duration_s = max_duration_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"recv-{iface}", daemon=True)
        self._thread.start()

    def _receive_one(self) -> Captured | None:
        try:
            n, ancdata, _flags, _addr = self._sock.recvmsg_into([self._buf], 64)
        except (TimeoutError, BlockingIOError):
            return None
        stamp = None
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == packetsock.SO_TIMESTAMPNS:
                sec, nsec = _TIMESPEC.unpack(data[: _TIMESPEC.size])
                stamp = sec * 1_000_000_000 + nsec
        return (stamp if stamp is not None else time.time_ns(), bytes(self._buf[:n]))

    def _loop(self) -> None:
        deadline = time.monotonic() + self._max_duration_s
        while not self._stop.is_set() and time.monotonic() < deadline:
            if len(self._frames) >= self._max_frames:
                break
            try:
                got = self._receive_one()
            except OSError:
                break  # socket closed under us by stop(): nothing more to read
            if got is not None:
                self._frames.append(got)

    def stop(self) -> tuple[list[Captured], KernelStats]:
        """Stop the thread, read the kernel counters (8-byte V1 form), close."""
        self._stop.set()
        self._thread.join(timeout=POLL_MS / 1000 * 20)
        self._sock.setblocking(False)
        while len(self._frames) < self._max_frames and (got := self._receive_one()) is not None:
            self._frames.append(got)
        stats = packetsock.read_statistics(self._sock, v3=False)
        self._sock.close()
        frames, self._frames = self._frames, []
        return frames, stats
