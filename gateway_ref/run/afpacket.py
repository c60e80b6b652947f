"""The live gateway's own AF_PACKET I/O: a TPACKET_V3 RX ring per port and a plain TX socket.

Written independently of ``harness/io`` (the gateway never imports the harness), after
Documentation/networking/packet_mmap.rst and <linux/if_packet.h>.

RX: a packet socket with PACKET_VERSION=TPACKET_V3 and PACKET_RX_RING, configured before it
is bound (so nothing is queued before the ring exists), PACKET_IGNORE_OUTGOING (Linux 4.20)
so it never sees what this gateway, or its sibling worker, transmits on the same interface.
The kernel fills blocks; a block belongs to user space while ``block_status & TP_STATUS_USER``
and is handed back by writing TP_STATUS_KERNEL. ``RxRing.bursts`` copies every ready block
into one list of frames: one block is one burst for ``Gateway.process`` (VPP's vector).
A partly filled block is retired after ``retire_ms`` (rounded up to a jiffy by the kernel):
that is the added latency at low rates.

Block header (``tpacket_block_desc`` + ``tpacket_hdr_v1``): block_status @8, num_pkts @12,
offset_to_first_pkt @16. Packet header (``tpacket3_hdr``): tp_next_offset @0, tp_snaplen @12,
tp_mac @24.

TX: a second packet socket with protocol 0 (it receives nothing) bound to the interface, with
PACKET_QDISC_BYPASS; ``PortIo.transmit`` hands up to 256 frames to one sendmmsg(2)
(``afpacket_tx``; ×1.2–1.4 over one ``send()`` per frame on veth here, measured in the same
run), falling back to ``send()`` per frame where sendmmsg through ctypes is not available. Kernel drop counters
come from PACKET_STATISTICS on the RX socket (12 bytes for V3; the kernel resets them on read).
"""
from __future__ import annotations

import dataclasses
import mmap
import socket
import struct
from collections.abc import Iterator, Sequence

from gateway_ref.run.afpacket_tx import MmsgSender, available

SOL_PACKET = 263
PACKET_RX_RING = 5
PACKET_STATISTICS = 6
PACKET_VERSION = 10
PACKET_QDISC_BYPASS = 20
PACKET_IGNORE_OUTGOING = 23
TPACKET_V3 = 2
ETH_P_ALL = 0x0003
SO_RCVBUFFORCE = 33
TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1
FRAME_SIZE = 2048  # tp_frame_size: only a bound on one packet's slot in V3
TX_BATCH = 256

_U32 = struct.Struct("<I")
_BLOCK = struct.Struct("<II")  # num_pkts, offset_to_first_pkt (at +12)
_PKT = struct.Struct("<I8xI8xH")  # next_offset, snaplen (at +12), mac (at +24)
_STATS_V3 = struct.Struct("III")


@dataclasses.dataclass(frozen=True)
class RingGeometry:
    """Size of one RX ring. ``block_size`` must be a multiple of the page size and of 2048."""

    block_size: int = 1 << 18
    blocks: int = 128
    retire_ms: int = 1

    def __post_init__(self) -> None:
        if self.block_size <= 0 or self.block_size % mmap.PAGESIZE or self.block_size % FRAME_SIZE:
            raise ValueError(f"block_size {self.block_size}: must be a positive multiple of "
                             f"{mmap.PAGESIZE} and {FRAME_SIZE}")
        if self.blocks < 2:
            raise ValueError(f"blocks {self.blocks}: at least 2")
        if self.retire_ms < 1:
            raise ValueError(f"retire_ms {self.retire_ms}: at least 1")

    @classmethod
    def for_megabytes(cls, megabytes: int, retire_ms: int = 1) -> RingGeometry:
        """A ring of about ``megabytes`` MiB in 256 KiB blocks."""
        block = 1 << 18
        return cls(block, max(2, (megabytes << 20) // block), retire_ms)


@dataclasses.dataclass
class KernelCounters:
    """PACKET_STATISTICS summed over reads: ``packets`` includes ``drops``."""

    packets: int = 0
    drops: int = 0
    freeze_q: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


class RxRing:
    """A TPACKET_V3 RX ring on an unbound packet socket; ``bind`` starts reception."""

    def __init__(self, sock: socket.socket, geometry: RingGeometry) -> None:
        g = geometry
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
        frames = g.block_size // FRAME_SIZE * g.blocks
        req = struct.pack("IIIIIII", g.block_size, g.blocks, FRAME_SIZE, frames, g.retire_ms, 0, 0)
        sock.setsockopt(SOL_PACKET, PACKET_RX_RING, req)
        self._map = mmap.mmap(sock.fileno(), g.block_size * g.blocks, mmap.MAP_SHARED,
                              mmap.PROT_READ | mmap.PROT_WRITE)
        self._block_size = g.block_size
        self._blocks = g.blocks
        self._cursor = 0

    def bursts(self, max_blocks: int) -> Iterator[list[bytes]]:
        """Yield the frames of each ready block (ring order, at most ``max_blocks``), each block
        handed back to the kernel as soon as its frames are copied out."""
        mm = self._map
        unpack_pkt = _PKT.unpack_from
        for _ in range(max_blocks):
            base = self._cursor * self._block_size
            if not _U32.unpack_from(mm, base + 8)[0] & TP_STATUS_USER:
                return
            count, pos = _BLOCK.unpack_from(mm, base + 12)
            pos += base
            frames = []
            append = frames.append
            for _ in range(count):
                next_off, snaplen, mac = unpack_pkt(mm, pos)
                append(mm[pos + mac : pos + mac + snaplen])
                pos += next_off
            _U32.pack_into(mm, base + 8, TP_STATUS_KERNEL)
            self._cursor = self._cursor + 1 if self._cursor + 1 < self._blocks else 0
            if frames:
                yield frames

    def close(self) -> None:
        self._map.close()


class PortIo:
    """One gateway port on interface ``iface``: an RX ring (optional) and a TX socket."""

    def __init__(self, port: int, iface: str, *, geometry: RingGeometry | None, qdisc_bypass: bool = True) -> None:
        self.port = port
        self.iface = iface
        self.kernel = KernelCounters()
        self.tx_frames = 0
        self.tx_errors = 0
        self._rx: socket.socket | None = None
        self._ring: RxRing | None = None
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
        self._ring = RxRing(self._rx, geometry)
        self._rx.bind((self.iface, ETH_P_ALL))

    @property
    def receives(self) -> bool:
        return self._ring is not None

    def fileno(self) -> int:
        """The RX socket's descriptor (for poll); -1 when this port does not receive."""
        return self._rx.fileno() if self._rx is not None else -1

    def bursts(self, max_blocks: int = 8) -> Iterator[list[bytes]]:
        """Ready RX blocks as bursts of frames (nothing when this port does not receive)."""
        if self._ring is None:
            return iter(())
        return self._ring.bursts(max_blocks)

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
            packets, drops, freeze = _STATS_V3.unpack(self._rx.getsockopt(SOL_PACKET, PACKET_STATISTICS, 12))
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
