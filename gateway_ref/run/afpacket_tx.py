"""Batched transmit with sendmmsg(2) through ctypes: one syscall for up to ``max_batch`` frames.

The frames of a batch are joined and copied into a staging buffer at a fixed address; a
pre-built ``struct mmsghdr`` array (x86-64/aarch64 LP64 layout: msghdr is 56 bytes, mmsghdr
64) points each message at one ``struct iovec`` (16 bytes) into it, rewritten (two ctypes
slice assignments) only when the batch's frame lengths differ from the previous batch's: a
gateway forwarding one packet size pays no per-frame ctypes work. Everything else in the
headers stays zero (no address: the socket is bound).
Only for LP64 Linux; ``available()`` says whether it can be used here.
"""
from __future__ import annotations

import ctypes
import errno
import itertools
import struct
import sys
from collections.abc import Sequence

MMSGHDR_WORDS = 8  # 64 bytes: msg_name, namelen, iov, iovlen, control, controllen, flags, msg_len
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def available() -> bool:
    """True on 64-bit Linux with sendmmsg in libc."""
    return _LIBC is not None and hasattr(_LIBC, "sendmmsg") and struct.calcsize("P") == 8


class MmsgSender:
    """Sends batches of frames on a bound packet socket's file descriptor."""

    def __init__(self, fd: int, max_batch: int = 256) -> None:
        if not available():
            raise OSError(errno.ENOSYS, "sendmmsg through ctypes needs 64-bit Linux")
        self._fd = fd
        self.max_batch = max_batch
        self._iov = (ctypes.c_uint64 * (2 * max_batch))()
        self._hdr = (ctypes.c_uint64 * (MMSGHDR_WORDS * max_batch))()
        iov = ctypes.addressof(self._iov)
        for i in range(max_batch):
            self._hdr[MMSGHDR_WORDS * i + 2] = iov + 16 * i  # msg_iov
            self._hdr[MMSGHDR_WORDS * i + 3] = 1  # msg_iovlen
        self._call = _LIBC.sendmmsg  # type: ignore[union-attr]
        self._call.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int)
        self._call.restype = ctypes.c_int
        self._hdr_addr = ctypes.addressof(self._hdr)
        self._stage = ctypes.create_string_buffer(max_batch * 2048)
        self._lens: list[int] = []  # the frame lengths the iovecs describe now

    def _lay_out(self, lens: list[int]) -> None:
        """Point the iovecs at consecutive frames of ``lens`` bytes in the staging buffer."""
        total = sum(lens)
        if total > len(self._stage):
            self._stage = ctypes.create_string_buffer(max(total, 2 * len(self._stage)))
        n = len(lens)
        self._iov[0 : 2 * n : 2] = list(itertools.accumulate(lens[:-1], initial=ctypes.addressof(self._stage)))
        self._iov[1 : 2 * n : 2] = lens
        self._lens = lens

    def send_batch(self, frames: Sequence[bytes]) -> int:
        """Send ``frames`` (at most ``max_batch``); return how many the kernel took.

        A refused first message (ENOBUFS, EAGAIN, EMSGSIZE) returns 0, like a short send;
        other errors raise OSError.
        """
        n = len(frames)
        if n == 0:
            return 0
        if n > self.max_batch:
            raise ValueError(f"batch of {n} frames: at most {self.max_batch}")
        lens = list(map(len, frames))
        if lens != self._lens:
            self._lay_out(lens)
        buf = b"".join(frames)
        ctypes.memmove(self._stage, buf, len(buf))
        sent = self._call(self._fd, self._hdr_addr, n, 0)
        if sent < 0:
            err = ctypes.get_errno()
            if err in (errno.ENOBUFS, errno.EAGAIN, errno.EMSGSIZE):
                return 0
            raise OSError(err, f"sendmmsg: {errno.errorcode.get(err, err)}")
        return sent
