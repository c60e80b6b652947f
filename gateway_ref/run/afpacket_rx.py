"""The live gateway's receive paths: TPACKET_V2 ring (default), TPACKET_V3 ring, plain recv().

Written independently of ``harness/io`` (the gateway never imports the harness), after
Documentation/networking/packet_mmap.rst and <linux/if_packet.h>. Every receiver is set up on
an unbound packet socket (so nothing is queued before it exists) and hands out bursts of at
most ``max_frames`` frames copied out as bytes (one copy per frame: the slot is handed back to
the kernel straight after).

Why V2 is the default: a TPACKET_V3 block is handed to user space only when it is full or
when its retire timer fires (``tp_retire_blk_tov``, in ms, rounded up to a jiffy), so at any
load below "one block per retire period" every packet waits for the timer: a latency floor of
1-4 ms measured here. A TPACKET_V2 ring has one status word per frame slot, set to
TP_STATUS_USER as soon as the frame is in the slot, and poll() wakes on each frame, so the
added latency is one wake-up. V3 packs frames tighter (less memory per small frame) and its
ring can be walked a block at a time: kept as ``--rx-mode v3`` for comparison.
``recv`` is one recv() syscall per frame from a socket buffer of the same size, no ring.

TPACKET_V2 slot header (``tpacket2_hdr``): tp_status @0, tp_len @4, tp_snaplen @8, tp_mac @12.
Slots are ``frame_size`` bytes, laid out back to back (block size is a multiple of it). A frame
longer than its slot (tp_len > tp_snaplen) is not handed on: it is counted in ``truncated``.
A slot the kernel skipped leaves a hole the reader would wait at for a whole lap: ``V2Slots``
moves past it and counts it in ``holes``.
TPACKET_V3 block header (``tpacket_block_desc`` + ``tpacket_hdr_v1``): block_status @8,
num_pkts @12, offset_to_first_pkt @16; packet header (``tpacket3_hdr``): tp_next_offset @0,
tp_snaplen @12, tp_mac @24.
"""
from __future__ import annotations

import dataclasses
import enum
import fcntl
import mmap
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, Protocol

SOL_PACKET = 263
PACKET_RX_RING = 5
PACKET_STATISTICS = 6
PACKET_VERSION = 10
TPACKET_V2 = 1
TPACKET_V3 = 2
SO_RCVBUFFORCE = 33
SIOCGIFMTU = 0x8921
TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1
V3_FRAME_SIZE = 2048  # tp_frame_size: only a bound on one packet's slot in V3
V2_MIN_FRAME = 2048
V2_SLOT_OVERHEAD = 128  # tpacket2_hdr + sockaddr_ll + alignment + a VLAN tag, rounded up
RECV_MAX = 65536
HOLE_SCAN = 64  # slots looked at past an empty one for a ready slot (V2Slots)
HOLE_S = 0.002  # an empty slot with a ready one behind it this long is a hole

_U32 = struct.Struct("<I")
_V2_HDR = struct.Struct("<III H")  # status, len, snaplen, mac
_V3_BLOCK = struct.Struct("<II")  # num_pkts, offset_to_first_pkt (at +12)
_V3_PKT = struct.Struct("<I8xI8xH")  # next_offset, snaplen (at +12), mac (at +24)


class RxMode(enum.Enum):
    """How a port receives (``gateway-ref live --rx-mode``)."""

    V2 = "v2"  # PACKET_RX_RING, TPACKET_V2: per-frame hand-over
    V3 = "v3"  # PACKET_RX_RING, TPACKET_V3: per-block hand-over (full or retired)
    RECV = "recv"  # recv() per frame from the socket buffer


@dataclasses.dataclass(frozen=True)
class RingGeometry:
    """How much memory one port's receiver gets and how it is used.

    ``block_size`` must be a multiple of the page size and of 2048; ``retire_ms`` is only used
    by V3; ``recv`` uses ``block_size * blocks`` as its socket buffer.
    """

    block_size: int = 1 << 18
    blocks: int = 128
    retire_ms: int = 1
    mode: RxMode = RxMode.V2

    def __post_init__(self) -> None:
        if self.block_size <= 0 or self.block_size % mmap.PAGESIZE or self.block_size % V3_FRAME_SIZE:
            raise ValueError(f"block_size {self.block_size}: must be a positive multiple of "
                             f"{mmap.PAGESIZE} and {V3_FRAME_SIZE}")
        if self.blocks < 2:
            raise ValueError(f"blocks {self.blocks}: at least 2")
        if self.retire_ms < 1:
            raise ValueError(f"retire_ms {self.retire_ms}: at least 1")

    @property
    def total_bytes(self) -> int:
        return self.block_size * self.blocks

    @classmethod
    def for_megabytes(cls, megabytes: int, retire_ms: int = 1, mode: RxMode = RxMode.V2) -> RingGeometry:
        """A receiver of about ``megabytes`` MiB in 256 KiB blocks."""
        block = 1 << 18
        return cls(block, max(2, (megabytes << 20) // block), retire_ms, mode)


class Receiver(Protocol):
    """What ``PortIo`` needs from a receive path."""

    truncated: int
    holes: int

    def burst(self, max_frames: int) -> list[bytes]:
        """Up to ``max_frames`` ready frames, in arrival order; [] when none is ready."""
        ...

    def close(self) -> None: ...


def v2_frame_size(mtu: int) -> int:
    """Smallest power-of-two slot (>= 2048) that holds a frame of an ``mtu``-byte L3 packet."""
    size = V2_MIN_FRAME
    while size < mtu + 14 + V2_SLOT_OVERHEAD:
        size <<= 1
    return size


def interface_mtu(sock: socket.socket, iface: str) -> int:
    """The interface's MTU (SIOCGIFMTU, asked in the socket's network namespace)."""
    req = struct.pack("16si", iface.encode()[:15], 0)
    return struct.unpack("16si", fcntl.ioctl(sock.fileno(), SIOCGIFMTU, req))[1]


class V2Slots:
    """Walks TPACKET_V2 slots in ``buf`` (``slots`` slots of ``frame_size`` bytes), recovering
    from a hole.

    The kernel fills slots strictly in ring order and user space reads them in the same order,
    so one cursor follows the kernel's head. Under overload the two can part: the kernel moves
    its head past a slot it then never hands over (the slot stays TP_STATUS_KERNEL) and fills
    the next ones, while the reader waits at the hole; poll() keeps reporting data (it checks
    the slot before the kernel's head) and nothing is read until the kernel laps the ring.
    Seen here with the live gateway after an overloaded burst (no-offload SAs): one slot
    unread, then exactly one ring's worth read per overload; libpcap and Suricata walk the ring
    to the next ready slot for the same reason. A slot the kernel is still copying into is
    also TP_STATUS_KERNEL for a moment, so the cursor moves past a hole only when a ready slot
    follows within ``HOLE_SCAN`` slots and the hole has lasted ``HOLE_S``. The slots passed
    are counted in ``holes``: frames the kernel counted as received (PACKET_STATISTICS) that
    never reached the gateway, so they are reported, not lost silently. The frames behind the
    hole are then read in order; the kernel refills the hole slot on its next lap.
    """

    def __init__(self, buf: Any, frame_size: int, slots: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._buf = buf
        self._frame_size = frame_size
        self._slots = slots
        self._clock = clock
        self._cursor = 0
        self._hole: tuple[int, float] | None = None  # (slot, first seen)
        self.truncated = 0
        self.holes = 0

    def burst(self, max_frames: int) -> list[bytes]:
        mm, size, slots = self._buf, self._frame_size, self._slots
        unpack, release = _V2_HDR.unpack_from, _U32.pack_into
        out: list[bytes] = []
        append = out.append
        i = self._cursor
        base = i * size
        for _ in range(max_frames):
            status, length, snaplen, mac = unpack(mm, base)
            if not status & TP_STATUS_USER:
                break
            if length == snaplen:
                append(mm[base + mac : base + mac + snaplen])
            else:
                self.truncated += 1
            release(mm, base, TP_STATUS_KERNEL)
            i += 1
            if i == slots:
                i = 0
            base = i * size
        self._cursor = i
        if out:
            self._hole = None
        else:
            self._check_hole(i)
        return out

    def _check_hole(self, i: int) -> None:
        """At slot ``i`` nothing is ready: move past it when it is a hole (class docstring)."""
        size, slots, unpack = self._frame_size, self._slots, _U32.unpack_from
        for step in range(1, min(HOLE_SCAN, slots - 1) + 1):
            j = (i + step) % slots
            if unpack(self._buf, j * size)[0] & TP_STATUS_USER:
                break
        else:
            self._hole = None
            return
        now = self._clock()
        if self._hole is None or self._hole[0] != i:
            self._hole = (i, now)
        elif now - self._hole[1] >= HOLE_S:
            self._cursor = j
            self._hole = None
            self.holes += (j - i) % self._slots


class RxRingV2:
    """A TPACKET_V2 RX ring on a socket: the kernel's slots, walked by ``V2Slots``."""

    def __init__(self, sock: socket.socket, geometry: RingGeometry, frame_size: int) -> None:
        block = max(geometry.block_size, frame_size)
        blocks = max(2, geometry.total_bytes // block)
        slots = block // frame_size * blocks
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
        sock.setsockopt(SOL_PACKET, PACKET_RX_RING, struct.pack("IIII", block, blocks, frame_size, slots))
        self._map = mmap.mmap(sock.fileno(), block * blocks, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self._slots = V2Slots(self._map, frame_size, slots)
        self.burst = self._slots.burst

    @property
    def truncated(self) -> int:
        return self._slots.truncated

    @property
    def holes(self) -> int:
        return self._slots.holes

    def close(self) -> None:
        self._map.close()


class RxRingV3:
    """A TPACKET_V3 RX ring: a burst is every frame of the ready blocks (whole blocks, so it
    can exceed ``max_frames`` by up to one block)."""

    def __init__(self, sock: socket.socket, geometry: RingGeometry) -> None:
        g = geometry
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
        frames = g.block_size // V3_FRAME_SIZE * g.blocks
        req = struct.pack("IIIIIII", g.block_size, g.blocks, V3_FRAME_SIZE, frames, g.retire_ms, 0, 0)
        sock.setsockopt(SOL_PACKET, PACKET_RX_RING, req)
        self._map = mmap.mmap(sock.fileno(), g.total_bytes, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self._block_size = g.block_size
        self._blocks = g.blocks
        self._cursor = 0
        self.truncated = 0
        self.holes = 0  # V2 only (V2Slots)

    def burst(self, max_frames: int) -> list[bytes]:
        mm = self._map
        unpack_pkt = _V3_PKT.unpack_from
        frames: list[bytes] = []
        append = frames.append
        while len(frames) < max_frames:
            base = self._cursor * self._block_size
            if not _U32.unpack_from(mm, base + 8)[0] & TP_STATUS_USER:
                break
            count, pos = _V3_BLOCK.unpack_from(mm, base + 12)
            pos += base
            for _ in range(count):
                next_off, snaplen, mac = unpack_pkt(mm, pos)
                append(mm[pos + mac : pos + mac + snaplen])
                pos += next_off
            _U32.pack_into(mm, base + 8, TP_STATUS_KERNEL)
            self._cursor = self._cursor + 1 if self._cursor + 1 < self._blocks else 0
        return frames

    def close(self) -> None:
        self._map.close()


class RecvRx:
    """recv() per frame, non-blocking, from a socket buffer of ``geometry.total_bytes``."""

    def __init__(self, sock: socket.socket, geometry: RingGeometry) -> None:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, min(geometry.total_bytes, (1 << 31) - 1))
        sock.setblocking(False)
        self._recv = sock.recv
        self.truncated = 0
        self.holes = 0  # V2 only (V2Slots)

    def burst(self, max_frames: int) -> list[bytes]:
        recv = self._recv
        out: list[bytes] = []
        try:
            for _ in range(max_frames):
                out.append(recv(RECV_MAX))
        except BlockingIOError:
            pass
        return out

    def close(self) -> None:
        """Nothing of its own: the socket belongs to ``PortIo``."""


def open_receiver(sock: socket.socket, iface: str, geometry: RingGeometry) -> Receiver:
    """Set up ``geometry.mode``'s receiver on the unbound packet socket ``sock``."""
    if geometry.mode is RxMode.V2:
        return RxRingV2(sock, geometry, v2_frame_size(interface_mtu(sock, iface)))
    if geometry.mode is RxMode.V3:
        return RxRingV3(sock, geometry)
    return RecvRx(sock, geometry)


def read_statistics(sock: socket.socket) -> tuple[int, int, int]:
    """PACKET_STATISTICS (reset by the kernel on read): packets, drops, freeze_q (V3 only,
    else 0). The kernel returns 12 bytes for V3 sockets, 8 for the others."""
    raw = sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 12)
    packets, drops = struct.unpack_from("II", raw)
    return packets, drops, struct.unpack_from("I", raw, 8)[0] if len(raw) >= 12 else 0
