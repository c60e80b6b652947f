"""sendmmsg(2) from Python through ctypes: many frames, one syscall (the harness's own copy;
the harness never imports ``gateway_ref``).

Layout on LP64 Linux: ``struct iovec`` {void *base; size_t len} is 16 bytes; ``struct
mmsghdr`` is ``struct msghdr`` (name, namelen+pad, iov, iovlen, control, controllen,
flags+pad: 56 bytes) plus ``msg_len`` and padding: 64 bytes. The header array is built once,
each message pointing at its own iovec; the iovecs point into a staging buffer the batch's
frames are copied into, and change only when the frame lengths do.
"""
from __future__ import annotations

import ctypes
import errno
import struct
import sys
from collections.abc import Sequence
from itertools import accumulate

_WORDS_PER_MSG = 8
UIO_MAXIOV = 1024  # the kernel sends at most this many messages per call
STAGE_BYTES = 1 << 16  # staging buffer to start with; grows to the biggest batch
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def sendmmsg_missing() -> str | None:
    """Why sendmmsg cannot be used here, or None when it can."""
    if _libc is None or not hasattr(_libc, "sendmmsg"):
        return "libc has no sendmmsg (Linux only)"
    if struct.calcsize("P") != 8:
        return "the mmsghdr layout here assumes a 64-bit (LP64) platform"
    return None


class BatchSender:
    """Up to ``capacity`` frames per sendmmsg call on the socket descriptor ``fd``.

    Frames are copied into one staging buffer at a fixed address (one join and one memmove
    per batch), so the iovecs stay valid from batch to batch and are rewritten only when the
    frame lengths differ from the previous batch's: a stream of same-length batches costs no
    per-frame ctypes work.
    """

    def __init__(self, fd: int, capacity: int = 256) -> None:
        if reason := sendmmsg_missing():
            raise OSError(errno.ENOSYS, reason)
        if not 1 <= capacity <= UIO_MAXIOV:
            raise ValueError(f"capacity={capacity}: must be 1..{UIO_MAXIOV} (the kernel's UIO_MAXIOV)")
        self.capacity = capacity
        self._fd = fd
        self._vecs = (ctypes.c_size_t * (2 * capacity))()
        self._msgs = (ctypes.c_size_t * (_WORDS_PER_MSG * capacity))()
        first_vec = ctypes.addressof(self._vecs)
        self._msgs[2 :: _WORDS_PER_MSG] = [first_vec + 16 * k for k in range(capacity)]  # msg_iov
        self._msgs[3 :: _WORDS_PER_MSG] = [1] * capacity  # msg_iovlen
        self._msgs_at = ctypes.addressof(self._msgs)
        self._stage = ctypes.create_string_buffer(STAGE_BYTES)
        self._sizes: list[int] = []  # frame lengths the iovecs describe now
        fn = _libc.sendmmsg  # type: ignore[union-attr]
        fn.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int)
        fn.restype = ctypes.c_int
        self._fn = fn

    def _lay_out(self, sizes: list[int]) -> None:
        """Point the iovecs at consecutive frames of ``sizes`` in the staging buffer."""
        total = sum(sizes)
        if total > len(self._stage):
            self._stage = ctypes.create_string_buffer(max(total, 2 * len(self._stage)))
        count = len(sizes)
        origin = ctypes.addressof(self._stage)
        self._vecs[0 : 2 * count : 2] = list(accumulate(sizes[:-1], initial=origin))
        self._vecs[1 : 2 * count : 2] = sizes
        self._sizes = sizes

    def send(self, frames: Sequence[bytes], start: int, stop: int) -> int:
        """Send frames[start:stop] (at most ``capacity``); return how many the kernel took.

        Raises OSError with the errno when not even the first frame went.
        """
        count = stop - start
        if count <= 0:
            return 0
        if count > self.capacity:
            raise ValueError(f"{count} frames in one batch: at most {self.capacity}")
        batch = frames[start:stop]
        sizes = list(map(len, batch))
        if sizes != self._sizes:
            self._lay_out(sizes)
        joined = b"".join(batch)
        ctypes.memmove(self._stage, joined, len(joined))
        went = self._fn(self._fd, self._msgs_at, count, 0)
        if went < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"sendmmsg: {errno.errorcode.get(code, code)}")
        return went
