"""PACKET_RX_RING with TPACKET_V3: the kernel fills blocks of packets, user space walks them.

Block layout (``struct tpacket_block_desc``): version, offset_to_priv, then
``tpacket_hdr_v1``: block_status @8, num_pkts @12, offset_to_first_pkt @16, blk_len @20,
seq_num @24, ts_first_pkt @32, ts_last_pkt @40. ``blk_len`` counts the bytes the block uses
from its start (header and every packet, aligned). Packet (``struct tpacket3_hdr``):
tp_next_offset @0, tp_sec @4, tp_nsec @8, tp_snaplen @12, tp_len @16, tp_status @20,
tp_mac @24, tp_net @26, all offsets relative to the block. A block belongs to user space while
``block_status & TP_STATUS_USER``; writing TP_STATUS_KERNEL hands it back.

Two steps, so a capture running beside a sender in the same process stays cheap:
``take_blocks`` copies each ready block's used bytes out of the ring (one memcpy per block,
thousands of packets) and hands the block back at once; ``parse_block`` (pure, on bytes)
splits a copied block into packets later, when the caller asks for frames. Walking packets
one by one in Python while the sender runs costs ~1 µs per packet of interpreter time
(bench_io.py), which the sender pays for through the GIL.

The kernel retires a partly filled block after ``retire_ms``, so the last packets become
visible only that long after they arrived; and each retired block, however empty, uses up a
whole block, so when the ring is read only at the end of a capture, ``retire_ms`` must be long
enough that the ring does not run out of blocks (at 4 ms and 230 kpps a 64-block ring froze
after ~52 k packets; at 60 ms it holds 100 k+). Timestamps are the kernel's software RX
stamps, CLOCK_REALTIME, in ns (V3 stores ns).
"""
from __future__ import annotations

import mmap
import socket
import struct

from harness.io.packetsock import PACKET_RX_RING, PACKET_VERSION, SOL_PACKET, TPACKET_V3
from harness.io.port import Captured

TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1
_U32 = struct.Struct("<I")
_BLOCK = struct.Struct("<III")  # num_pkts, offset_to_first_pkt, blk_len (at +12)
_PKT = struct.Struct("<IIII8xH")  # next_offset, sec, nsec, snaplen, [len, status], mac


class RingFormatError(ValueError):
    """A copied block's header or packet offsets point outside the block."""


def block_packets(block: bytes) -> int:
    """How many packets a copied block holds (its ``num_pkts``)."""
    return _BLOCK.unpack_from(block, 12)[0]


def parse_block(block: bytes, out: list[Captured]) -> int:
    """Append every packet of a copied block to ``out`` as (RX ns, frame); return how many.

    Raises RingFormatError when an offset points past the block (a corrupt or torn copy).
    """
    count, pos, _used = _BLOCK.unpack_from(block, 12)
    unpack_pkt = _PKT.unpack_from
    append = out.append
    end = len(block)
    for k in range(count):
        if pos + _PKT.size > end:
            raise RingFormatError(f"packet {k} of {count}: header at {pos} past the block ({end} bytes)")
        next_off, sec, nsec, snaplen, mac = unpack_pkt(block, pos)
        start = pos + mac
        if start + snaplen > end:
            raise RingFormatError(f"packet {k} of {count}: {snaplen} bytes at {start} past the block ({end} bytes)")
        append((sec * 1_000_000_000 + nsec, block[start : start + snaplen]))
        pos += next_off
    return count


class RxRingV3:
    """A TPACKET_V3 RX ring on an AF_PACKET socket that is not bound yet."""

    def __init__(
        self,
        sock: socket.socket,
        *,
        block_size: int = 1 << 20,
        blocks: int = 64,
        frame_size: int = 2048,
        retire_ms: int = 4,
    ) -> None:
        if block_size % mmap.PAGESIZE or block_size % frame_size:
            raise ValueError(f"block_size {block_size}: must be a multiple of the page and frame size")
        self.block_size = block_size
        self.blocks = blocks
        self.retire_ms = retire_ms
        frames = block_size // frame_size * blocks
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
        sock.setsockopt(
            SOL_PACKET,
            PACKET_RX_RING,
            struct.pack("IIIIIII", block_size, blocks, frame_size, frames, retire_ms, 0, 0),
        )
        self._map = mmap.mmap(sock.fileno(), block_size * blocks, mmap.MAP_SHARED,
                              mmap.PROT_READ | mmap.PROT_WRITE)
        self._cursor = 0

    def take_blocks(self, out: list[bytes], max_packets: int) -> int:
        """Copy every ready block (in ring order) to ``out`` and hand it back; return the
        number of packets they hold.

        Stops at the first block still owned by the kernel, or once ``max_packets`` are
        taken (whole blocks only, so the last one may carry the count past it).
        """
        mm = self._map
        size = self.block_size
        taken = 0
        for _ in range(self.blocks):
            base = self._cursor * size
            if taken >= max_packets or not _U32.unpack_from(mm, base + 8)[0] & TP_STATUS_USER:
                break
            count, _first, used = _BLOCK.unpack_from(mm, base + 12)
            out.append(mm[base : base + min(used, size)])
            taken += count
            _U32.pack_into(mm, base + 8, TP_STATUS_KERNEL)
            self._cursor = self._cursor + 1 if self._cursor + 1 < self.blocks else 0
        return taken

    def close(self) -> None:
        """Unmap the ring (the socket is closed by its owner)."""
        self._map.close()
