"""Correlation of received frames with sent packets by payload signature.

Each received frame has been reduced (by ``harness.verify.observe``) to a ``Received``: its port
and capture index, timestamp, the (stream, seq) key from the signature found in its clear or
decrypted payload, and the SA it arrived on. Here the keys are matched against where each
sent packet was expected to leave the DUT, giving integer counts per stream and per SA:
delivered, lost, duplicated, reordered, and a list of unexpected frames with the reason.

Reordering follows the RFC 4737 §3.3 notion: a packet is reordered when its sequence number is
lower than that of a packet of the same stream that arrived before it.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

FrameKey = tuple[int, int]  # (stream id, per-stream sequence)


@dataclass(frozen=True)
class Delivery:
    """Where a sent packet must come out: port, and the SA involved (outbound SA for an
    encryption, inbound SA for a decryption, None for clear forwarding)."""

    port: int
    sa: int | None = None


class Received(NamedTuple):
    """One frame from the DUT (a NamedTuple: one is built per received packet)."""

    port: int
    index: int  # position in that port's capture
    ts_ns: int
    frame: bytes
    key: FrameKey | None  # None: no signature found
    spi: int | None = None  # SA the frame arrived on (ESP on a known SA), None when clear
    esp: Any = None  # the codec's decoded ESP view, when decrypted
    clear_l3: bytes | None = None  # the clear (or decrypted inner) L3 packet
    esp_seq: int | None = None  # full sequence number (ESN high bits inferred)


class Unexpected(enum.Enum):
    NO_SIGNATURE = "no-signature"
    UNKNOWN_SIGNATURE = "unknown-signature"  # a signature no sent packet carries
    SHOULD_BE_DROPPED = "should-be-dropped"
    WRONG_PORT = "wrong-port"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class FlowStats:
    expected: int = 0  # packets expected to be delivered
    delivered: int = 0  # distinct expected packets received on the right port
    lost: int = 0
    duplicated: int = 0  # extra copies beyond the first
    reordered: int = 0
    unexpected: int = 0  # frames attributed to this flow that should not have come out


@dataclass(frozen=True)
class Correlation:
    matches: Mapping[FrameKey, Received]  # first arrival on the right port
    unexpected: tuple[tuple[Received, Unexpected], ...]
    lost: tuple[FrameKey, ...]
    per_stream: Mapping[int, FlowStats]
    per_sa: Mapping[int, FlowStats]

    def totals(self) -> FlowStats:
        return _sum(self.per_stream.values(), extra_unexpected=sum(
            1 for r, _ in self.unexpected if r.key is None or r.key[0] not in self.per_stream))


def _sum(stats: Sequence[FlowStats] | Any, *, extra_unexpected: int = 0) -> FlowStats:
    totals = dict.fromkeys(_FIELDS, 0)
    for s in stats:
        for f in _FIELDS:
            totals[f] += getattr(s, f)
    totals["unexpected"] += extra_unexpected
    return FlowStats(**totals)


_ARRIVAL = itemgetter(2, 0, 1)  # Received (ts_ns, port, index): the order frames left the DUT
_FIELDS = ("expected", "delivered", "lost", "duplicated", "reordered", "unexpected")
_EXPECTED, _DELIVERED, _LOST, _DUPLICATED, _REORDERED, _UNEXPECTED = range(6)


def _rows() -> defaultdict[int | None, list[int]]:
    return defaultdict(lambda: [0] * len(_FIELDS))


def _freeze(rows: Mapping[int | None, list[int]]) -> dict[int, FlowStats]:
    return {k: FlowStats(*v) for k, v in sorted((k, v) for k, v in rows.items() if k is not None)}


def correlate(expected: Mapping[FrameKey, Delivery | None], received: Sequence[Received]) -> Correlation:
    """Match ``received`` frames (all ports) against ``expected`` (every sent key: its delivery,
    or None when it must be dropped)."""
    streams, sas = _rows(), _rows()
    for key, delivery in expected.items():
        if delivery is not None:
            streams[key[0]][_EXPECTED] += 1
            sas[delivery.sa][_EXPECTED] += 1
    matches: dict[FrameKey, Received] = {}
    unexpected: list[tuple[Received, Unexpected]] = []
    highest: dict[int, int] = {}
    # delivered / reordered per (stream, SA), added to the rows at the end (one dict per packet)
    delivered: dict[tuple[int, int | None], int] = {}
    reordered: dict[tuple[int, int | None], int] = {}
    get, top_of = expected.get, highest.get
    for rx in sorted(received, key=_ARRIVAL):
        key = rx[4]
        delivery = get(key) if key is not None else None
        if delivery is None or delivery.port != rx[0] or key in matches:
            reason = _classify(rx, expected, matches)
            unexpected.append((rx, reason))
            if key is not None and key in expected:
                col = _DUPLICATED if reason is Unexpected.DUPLICATE else _UNEXPECTED
                streams[key[0]][col] += 1
                sas[delivery.sa if delivery else rx.spi][col] += 1
            continue
        matches[key] = rx
        stream, seq = key
        pair = (stream, delivery.sa)
        delivered[pair] = delivered.get(pair, 0) + 1
        if seq < top_of(stream, -1):
            reordered[pair] = reordered.get(pair, 0) + 1
        else:
            highest[stream] = seq
    for col, counts in ((_DELIVERED, delivered), (_REORDERED, reordered)):
        for (stream, sa), n in counts.items():
            streams[stream][col] += n
            sas[sa][col] += n
    lost = tuple(k for k, d in expected.items() if d is not None and k not in matches)
    for key in lost:
        streams[key[0]][_LOST] += 1
        sas[expected[key].sa][_LOST] += 1  # type: ignore[union-attr]
    return Correlation(matches, tuple(unexpected), lost, _freeze(streams), _freeze(sas))


def _classify(rx: Received, expected: Mapping[FrameKey, Delivery | None],
              matches: Mapping[FrameKey, Received]) -> Unexpected | None:
    if rx.key is None:
        return Unexpected.NO_SIGNATURE
    if rx.key not in expected:
        return Unexpected.UNKNOWN_SIGNATURE
    delivery = expected[rx.key]
    if delivery is None:
        return Unexpected.SHOULD_BE_DROPPED
    if delivery.port != rx.port:
        return Unexpected.WRONG_PORT
    if rx.key in matches:
        return Unexpected.DUPLICATE
    return None
