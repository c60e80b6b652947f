"""The transform record and its callable types (see ``transforms`` for the per-packet contract)."""
from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

SealFn = Callable[[bytes, bytes, bytes, bytes], bytes]
OpenFn = Callable[[bytes, bytes, bytes, bytes], "bytes | None"]
IvFn = Callable[[int], bytes]

SEQ_IV: IvFn = struct.Struct(">Q").pack


class TransformError(ValueError):
    """An algorithm combination or key this build cannot turn into a transform."""


@dataclass(frozen=True)
class Transform:
    name: str
    iv_len: int
    icv_len: int
    seal: SealFn
    open: OpenFn
    make_iv: IvFn
