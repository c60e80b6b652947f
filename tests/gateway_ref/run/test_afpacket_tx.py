"""The gateway's sendmmsg batches (``MmsgSender``) arrive whole and in order, whether the
iovecs are reused (same lengths as the batch before), rewritten (other lengths) or moved to a
bigger staging buffer. A datagram socketpair stands in for the packet socket: sendmmsg
treats both the same, one message per datagram, and needs no privileges."""
from __future__ import annotations

import socket

import pytest

from gateway_ref.run.afpacket_tx import MmsgSender, available

pytestmark = pytest.mark.skipif(not available(), reason="sendmmsg through ctypes needs 64-bit Linux")


def _roundtrip(sender: MmsgSender, rx: socket.socket, frames: list[bytes]) -> list[bytes]:
    assert sender.send_batch(frames) == len(frames)
    return [rx.recv(70000) for _ in frames]


def test_batches_arrive_whole_in_order_as_lengths_change_and_the_stage_grows() -> None:
    tx, rx = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with tx, rx:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        tx.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        sender = MmsgSender(tx.fileno(), max_batch=8)
        same = [bytes([i]) * 60 for i in range(8)]
        batches = [
            same,
            [bytes([i + 100]) * 60 for i in range(8)],  # same lengths: iovecs reused, new bytes
            [bytes([i]) * (60 + 7 * i) for i in range(5)],  # other lengths, a shorter batch
            [bytes([i]) * 9000 for i in range(8)],  # 72 000 bytes: more than the 16 KiB stage
            same,
        ]
        for frames in batches:
            assert _roundtrip(sender, rx, frames) == frames


def test_empty_and_oversized_batches() -> None:
    tx, rx = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with tx, rx:
        sender = MmsgSender(tx.fileno(), max_batch=4)
        assert sender.send_batch([]) == 0
        with pytest.raises(ValueError, match="at most 4"):
            sender.send_batch([b"x"] * 5)
