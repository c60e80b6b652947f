"""The live gateway's per-port I/O: a receiver (``afpacket_rx``) and a batched TX socket.

Written independently of ``harness/io`` (the gateway never imports the harness), after
Documentation/networking/packet_mmap.rst and <linux/if_packet.h>.

RX: a packet socket with PACKET_IGNORE_OUTGOING (Linux 4.20), so it never sees what this
gateway, or its sibling worker, transmits on the same interface, and the receiver of
``RingGeometry.mode`` (TPACKET_V2 ring by default, see ``afpacket_rx`` for why), set up before
the socket is bound. ``PortIo.receive`` returns one burst of ready frames for
``Gateway.process`` (VPP's vector).

TX: a second packet socket with protocol 0 (it receives nothing) bound to the interface, with
PACKET_QDISC_BYPASS; ``PortIo.transmit`` hands up to 256 frames to one sendmmsg(2)
(``afpacket_tx``; x1.2-1.4 over one ``send()`` per frame on veth here, measured in the same
run), falling back to ``send()`` per frame where sendmmsg through ctypes is not available.
Kernel drop counters come from PACKET_STATISTICS on the RX socket (reset by the kernel on read).
"""
from __future__ import annotations

import dataclasses
import socket
from collections.abc import Sequence

from gateway_ref.run.afpacket_rx import Receiver, RingGeometry, open_receiver, read_statistics
from gateway_ref.run.afpacket_tx import MmsgSender, available

SOL_PACKET = 263
PACKET_QDISC_BYPASS = 20
PACKET_IGNORE_OUTGOING = 23
ETH_P_ALL = 0x0003
TX_BATCH = 256


@dataclasses.dataclass
class KernelCounters:
    """PACKET_STATISTICS summed over reads: ``packets`` includes ``drops``."""

    packets: int = 0
    drops: int = 0
    freeze_q: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


class PortIo:
    """One gateway port on interface ``iface``: an RX ring (optional) and a TX socket."""

    def __init__(self, port: int, iface: str, *, geometry: RingGeometry | None, qdisc_bypass: bool = True) -> None:
        self.port = port
        self.iface = iface
        self.kernel = KernelCounters()
        self.tx_frames = 0
        self.tx_errors = 0
        self._rx: socket.socket | None = None
        self._ring: Receiver | None = None
        self._tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        try:
            if qdisc_bypass:
                self._tx.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
            self._tx.bind((iface, 0))
            self.mac: bytes = self._tx.getsockname()[4]
            self._mmsg = MmsgSender(self._tx.fileno(), TX_BATCH) if available() else None
            if geometry is not None:
                self._open_rx(geometry)
        except OSError:
            self.close()
            raise

    def _open_rx(self, geometry: RingGeometry) -> None:
        self._rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self._rx.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        self._ring = open_receiver(self._rx, self.iface, geometry)
        self._rx.bind((self.iface, ETH_P_ALL))

    @property
    def receives(self) -> bool:
        return self._ring is not None

    def fileno(self) -> int:
        """The RX socket's descriptor (for poll); -1 when this port does not receive."""
        return self._rx.fileno() if self._rx is not None else -1

    def receive(self, max_frames: int) -> list[bytes]:
        """Up to ``max_frames`` ready frames (a V3 ring: whole blocks); [] when none is ready
        or this port does not receive. Never blocks."""
        return self._ring.burst(max_frames) if self._ring is not None else []

    @property
    def rx_truncated(self) -> int:
        """Frames longer than their ring slot, not handed on (0 unless the MTU grew)."""
        return self._ring.truncated if self._ring is not None else 0

    @property
    def rx_ring_holes(self) -> int:
        """Frames the kernel counted but left in V2 ring slots it skipped (``V2Slots``)."""
        return self._ring.holes if self._ring is not None else 0

    def transmit(self, frames: Sequence[bytes]) -> int:
        """Send ``frames`` in order; a frame the kernel refuses (full queue, too big, link
        down) is counted in ``tx_errors`` and skipped: never raises for one frame."""
        if self._mmsg is None:
            return self._transmit_each(frames)
        batch = self._mmsg.send_batch
        sent, i, n = 0, 0, len(frames)
        while i < n:
            chunk = frames[i : i + TX_BATCH]
            try:
                went = batch(chunk)
            except OSError:
                went = 0
            sent += went
            i += went
            if went < len(chunk):
                self.tx_errors += 1  # the frame at i was refused
                i += 1
        self.tx_frames += sent
        return sent

    def _transmit_each(self, frames: Sequence[bytes]) -> int:
        send = self._tx.send
        sent = 0
        for frame in frames:
            try:
                send(frame)
                sent += 1
            except OSError:
                self.tx_errors += 1
        self.tx_frames += sent
        return sent

    def read_kernel_counters(self) -> KernelCounters:
        """Add a PACKET_STATISTICS read to ``kernel`` and return it."""
        if self._rx is not None:
            packets, drops, freeze = read_statistics(self._rx)
            self.kernel.packets += packets
            self.kernel.drops += drops
            self.kernel.freeze_q += freeze
        return self.kernel

    def close(self) -> None:
        """Unmap the ring, close both sockets; idempotent."""
        if self._ring is not None:
            self._ring.close()
            self._ring = None
        for sock in (self._rx, self._tx):
            if sock is not None and sock.fileno() != -1:
                sock.close()
