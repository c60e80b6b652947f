"""PACKET_TX_RING with TPACKET_V2 (Documentation/networking/packet_mmap.rst).

Each slot starts with ``struct tpacket2_hdr`` (32 bytes); with no PACKET_TX_HAS_OFF the
frame data starts at TPACKET2_HDRLEN - sizeof(sockaddr_ll) = 52 - 20 = 32 bytes into the
slot. We copy a burst into the slots after the previous one (the kernel's ring head moves on and
wraps, never resets), set ``tp_len`` and ``tp_status = TP_STATUS_SEND_REQUEST``, and one
blocking ``send()`` makes the kernel transmit every requested slot and wait until they are
done, so all slots are free again (TP_STATUS_AVAILABLE) when it returns: no per-slot status
polling is needed, only a check of the burst's first and last slot afterwards.
"""
from __future__ import annotations

import mmap
import socket
import struct
from collections.abc import Sequence

from harness.io.packetsock import PACKET_TX_RING, PACKET_VERSION, SOL_PACKET, TPACKET_V2

TP_STATUS_AVAILABLE = 0
TP_STATUS_SEND_REQUEST = 1
TP_STATUS_WRONG_FORMAT = 4
DATA_OFFSET = 32
BLOCK_SIZE = 1 << 16
_U32 = struct.Struct("<I")
_HEADER = struct.Struct("<II")  # tp_status, tp_len


def slot_size_for(max_frame: int) -> int:
    """Smallest power-of-two slot (at least 2048) holding the header plus ``max_frame`` bytes."""
    size = 2048
    while size < DATA_OFFSET + max_frame:
        size *= 2
    return size


class TxRing:
    """A TPACKET_V2 TX ring on an AF_PACKET socket bound to an interface."""

    def __init__(self, sock: socket.socket, *, frames: int = 4096, slot_size: int = 2048) -> None:
        block_size = max(BLOCK_SIZE, slot_size)
        per_block = block_size // slot_size
        blocks = max(1, frames // per_block)
        self.slots = blocks * per_block
        self.slot_size = slot_size
        self.max_frame = slot_size - DATA_OFFSET
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
        sock.setsockopt(
            SOL_PACKET, PACKET_TX_RING, struct.pack("IIII", block_size, blocks, slot_size, self.slots)
        )
        self._sock = sock
        self._map = mmap.mmap(sock.fileno(), block_size * blocks, mmap.MAP_SHARED,
                              mmap.PROT_READ | mmap.PROT_WRITE)
        self._cursor = 0  # follows the kernel's ring head, which never resets

    def send_batch(self, frames: Sequence[bytes], start: int, stop: int) -> int:
        """Queue frames[start:stop] (at most one ring's worth) and flush; return how many went.

        The kernel reads the ring only inside ``send()``, and a blocking ``send()`` returns
        once every requested slot is transmitted and free again, so slots are written in
        order without polling their status. Raises ValueError naming a frame too big for a slot.
        """
        mm = self._map
        pack_header = _HEADER.pack_into
        size = self.slot_size
        slots = self.slots
        limit = self.max_frame
        stop = min(stop, start + slots)
        first = cursor = self._cursor
        for i in range(start, stop):
            frame = frames[i]
            length = len(frame)
            if length > limit:
                raise ValueError(f"frame {i}: {length} bytes, a TX ring slot holds at most {limit}")
            off = cursor * size
            mm[off + DATA_OFFSET : off + DATA_OFFSET + length] = frame
            pack_header(mm, off, TP_STATUS_SEND_REQUEST, length)
            cursor = cursor + 1 if cursor + 1 < slots else 0
        self._cursor = cursor
        if stop > start:
            self._sock.send(b"")
            self._check_sent(first, stop - start)
        return stop - start

    def _check_sent(self, first: int, count: int) -> None:
        """Raise OSError when a slot was not sent (e.g. TP_STATUS_WRONG_FORMAT)."""
        mm = self._map
        for k in (first, (first + count - 1) % self.slots):
            off = k * self.slot_size
            status = _U32.unpack_from(mm, off)[0]
            if status != TP_STATUS_AVAILABLE:
                _U32.pack_into(mm, off, TP_STATUS_AVAILABLE)
                raise OSError(f"TX ring slot {k}: kernel status {status:#x} after send()")

    def close(self) -> None:
        """Unmap the ring (the socket is closed by its owner)."""
        self._map.close()
