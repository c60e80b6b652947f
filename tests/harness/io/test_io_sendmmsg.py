"""sendmmsg through ctypes on a Unix datagram socket pair (no root needed): every frame
arrives whole and in order, batches up to the kernel's UIO_MAXIOV, limits checked."""
from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from harness.io.afpacket import AfPacketConfig, TxMode
from harness.io.sendmmsg import UIO_MAXIOV, BatchSender, sendmmsg_missing

pytestmark = pytest.mark.skipif(sendmmsg_missing() is not None, reason=str(sendmmsg_missing()))


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for s in (a, b):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    yield a, b
    a.close()
    b.close()


def _frames(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") * (1 + i % 7) for i in range(n)]  # lengths vary 4..28


def _receive(sock: socket.socket, n: int) -> list[bytes]:
    sock.settimeout(2)
    return [sock.recv(2048) for _ in range(n)]


@pytest.mark.parametrize("count", [1, 3, 128, UIO_MAXIOV])
def test_a_batch_arrives_whole_and_in_order(pair: tuple[socket.socket, socket.socket], count: int) -> None:
    tx, rx = pair
    frames = _frames(count + 10)
    sender = BatchSender(tx.fileno(), UIO_MAXIOV)
    went = sender.send(frames, 5, 5 + count)
    assert went == count
    assert _receive(rx, count) == frames[5 : 5 + count]


def test_batches_reuse_the_headers(pair: tuple[socket.socket, socket.socket]) -> None:
    tx, rx = pair
    frames = _frames(300)
    sender = BatchSender(tx.fileno(), 64)
    sent = 0
    while sent < len(frames):
        sent += sender.send(frames, sent, min(len(frames), sent + 64))
    assert _receive(rx, 300) == frames


def test_limits_are_named() -> None:
    with pytest.raises(ValueError, match="1..1024"):
        BatchSender(0, UIO_MAXIOV + 1)
    sender = BatchSender(0, 4)
    with pytest.raises(ValueError, match="at most 4"):
        sender.send(_frames(5), 0, 5)
    with pytest.raises(ValueError, match="burst=2000"):
        AfPacketConfig(burst=2000)
    with pytest.raises(ValueError, match="burst=0"):
        AfPacketConfig(tx_mode=TxMode.SEND, burst=0)
    assert AfPacketConfig(tx_mode=TxMode.SEND, burst=2000).burst == 2000



def test_same_lengths_new_contents_and_a_batch_bigger_than_the_staging_buffer(
        pair: tuple[socket.socket, socket.socket]) -> None:
    tx, rx = pair
    sender = BatchSender(tx.fileno(), 128)
    for k in range(3):  # same lengths each time: the iovecs stay, the bytes must change
        frames = [bytes([k, i]) * 30 for i in range(100)]
        assert sender.send(frames, 0, 100) == 100
        assert _receive(rx, 100) == frames
    big = [bytes([i]) * 1400 for i in range(100)]  # 140 kB: more than the first staging buffer
    assert sender.send(big, 0, 100) == 100
    assert _receive(rx, 100) == big
