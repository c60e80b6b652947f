"""sendmmsg(2) from Python through ctypes: many frames, one syscall (the harness's own copy;
the harness never imports ``gateway_ref``).

Layout on LP64 Linux: ``struct iovec`` {void *base; size_t len} is 16 bytes; ``struct
mmsghdr`` is ``struct msghdr`` (name, namelen+pad, iov, iovlen, control, controllen,
flags+pad: 56 bytes) plus ``msg_len`` and padding: 64 bytes. The header array is built once,
each message pointing at its own iovec; per batch only the iovec bases/lengths change, written
with two strided ctypes slice assignments over one joined buffer of the batch's frames.
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
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def sendmmsg_missing() -> str | None:
    """Why sendmmsg cannot be used here, or None when it can."""
    if _libc is None or not hasattr(_libc, "sendmmsg"):
        return "libc has no sendmmsg (Linux only)"
    if struct.calcsize("P") != 8:
        return "the mmsghdr layout here assumes a 64-bit (LP64) platform"
    return None


class BatchSender:
    """Up to ``capacity`` frames per sendmmsg call on the socket descriptor ``fd``."""

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
        fn = _libc.sendmmsg  # type: ignore[union-attr]
        fn.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int)
        fn.restype = ctypes.c_int
        self._fn = fn

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
        joined = b"".join(batch)  # kept alive by this frame until the call returns
        origin = ctypes.cast(ctypes.c_char_p(joined), ctypes.c_void_p).value or 0
        sizes = [len(f) for f in batch]
        self._vecs[0 : 2 * count : 2] = list(accumulate(sizes[:-1], initial=origin))
        self._vecs[1 : 2 * count : 2] = sizes
        went = self._fn(self._fd, self._msgs_at, count, 0)
        if went < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"sendmmsg: {errno.errorcode.get(code, code)}")
        return went
