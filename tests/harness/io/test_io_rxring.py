"""Splitting copied TPACKET_V3 blocks into frames (pure, no sockets).

Blocks are built here from the layout in <linux/if_packet.h> (``struct tpacket_block_desc``,
``struct tpacket_hdr_v1``, ``struct tpacket3_hdr``) and the offsets net/packet/af_packet.c
uses for a SOCK_RAW socket: packets start 48 bytes into the block, the MAC header of each
starts at ``TPACKET_ALIGN(TPACKET3_HDRLEN + 16) - 14`` = 82, each packet is padded to 16 bytes.
"""
from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.io.rxring import RingFormatError, block_packets, parse_block

BLOCK_HEADER = 48  # tpacket_block_desc with tpacket_hdr_v1, no private area
MAC_OFFSET = 82
ALIGN = 16


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def build_block(frames: list[tuple[int, bytes]], *, seq: int = 1) -> bytes:
    """A retired block as the kernel lays it out, holding ``frames`` (RX ns, bytes)."""
    body = bytearray()
    for k, (ts, frame) in enumerate(frames):
        size = _align(MAC_OFFSET + len(frame))
        last = k == len(frames) - 1
        header = struct.pack("<IIIIIIHH12x", 0 if last else size, ts // 1_000_000_000, ts % 1_000_000_000,
                             len(frame), len(frame), 1, MAC_OFFSET, MAC_OFFSET + 14)
        body += header + bytes(MAC_OFFSET - len(header)) + frame + bytes(size - MAC_OFFSET - len(frame))
    used = BLOCK_HEADER + len(body)
    head = struct.pack("<IIIIIIQ8x8x", 1, 0, 1, len(frames), BLOCK_HEADER, used, seq)
    return head + bytes(body)


frames_strategy = st.lists(
    st.tuples(st.integers(0, 2**32 * 10**9 - 1), st.binary(min_size=14, max_size=1514)), max_size=40
)


@given(frames_strategy)
def test_parse_block_returns_every_frame_with_its_ns_stamp(frames: list[tuple[int, bytes]]) -> None:
    block = build_block(frames)
    out: list[tuple[int, bytes]] = [(1, b"earlier")]
    assert parse_block(block, out) == len(frames) == block_packets(block)
    assert out == [(1, b"earlier"), *frames]


def test_parse_block_keeps_nanoseconds() -> None:
    out: list[tuple[int, bytes]] = []
    parse_block(build_block([(1_700_000_000_123_456_789, bytes(60))]), out)
    assert out[0][0] == 1_700_000_000_123_456_789


def test_truncated_copy_is_a_format_error_naming_the_packet() -> None:
    block = build_block([(5, bytes(60)), (6, bytes(60))])
    with pytest.raises(RingFormatError, match="packet 1 of 2"):
        parse_block(block[:-40], [])


def test_offset_past_the_block_is_a_format_error() -> None:
    block = bytearray(build_block([(5, bytes(60))]))
    struct.pack_into("<I", block, BLOCK_HEADER + 12, 4000)  # snaplen beyond the copy
    with pytest.raises(RingFormatError, match="4000 bytes"):
        parse_block(bytes(block), [])
