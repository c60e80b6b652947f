"""The verifier's view of one sent packet, taken from the stream's ``SentPacket`` record.

Only four things matter here: where it was sent (DUT port), the frame bytes, its position in
the sent sequence and its signature key (stream id, per-stream sequence).
"""
from __future__ import annotations

from typing import Any, NamedTuple

FrameKey = tuple[int, int]


class SentView(NamedTuple):
    index: int
    key: FrameKey | None
    port: int
    frame: bytes


def sent_view(index: int, sent: Any) -> SentView:
    """Adapt a ``SentPacket`` (attributes ``stream_id``, ``seq``, ``port``, ``frame``)."""
    try:
        stream, seq, port, frame = sent.stream_id, sent.seq, sent.port, sent.frame
    except AttributeError as exc:
        raise TypeError(f"sent packet #{index} lacks {exc.name!r} (need stream_id, seq, port, frame)") from None
    key = None if stream is None or seq is None else (int(stream), int(seq))
    return SentView(index, key, int(port), bytes(frame))
