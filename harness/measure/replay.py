"""Anti-replay under reordering: how many legitimate packets a window of W drops.

The model is the receive-side window of RFC 4303 §3.4.3 (and Appendix A): with T the highest
sequence number accepted so far, a packet s > T is accepted and slides the window; s with
T - s >= W is "too old" and dropped; otherwise it is dropped if already seen, else accepted.
(DPDK ipsec-secgw also accepts s = T - W; the project's reference gateway follows the RFC.)

Every packet of a reordered stream is legitimate (no duplicates), so every drop is a wrong
drop caused by the window being shallower than the reordering. ``expected_drops`` is the pure
model; ``measure_replay`` puts the same arrival order through any DUT-like callable and
compares.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


def expected_drops(arrival: Sequence[int], window: int) -> int:
    """Packets an RFC 4303 §3.4.3 receiver with a ``window``-packet window drops."""
    if window < 1:
        raise ValueError(f"replay window must be >= 1 packet, got {window}")
    top = 0
    seen: set[int] = set()
    dropped = 0
    for seq in arrival:
        if seq < 1:
            raise ValueError(f"sequence numbers start at 1 (RFC 4303 §3.3.3), got {seq}")
        if seq > top:
            top = seq
            seen = {s for s in seen if top - s < window}
            seen.add(seq)
        elif top - seq >= window or seq in seen:
            dropped += 1
        else:
            seen.add(seq)
    return dropped


def delayed_order(count: int, depth: int, every: int) -> tuple[int, ...]:
    """Sequence numbers 1..count where every ``every``-th packet arrives ``depth`` packets late.

    A delayed packet p arrives right after packet p + depth, so it lags the window top by
    ``depth`` positions (fewer near the end of the stream).
    """
    if count < 1 or depth < 0 or every < 1:
        raise ValueError(f"need count >= 1, depth >= 0, every >= 1; got {count}, {depth}, {every}")
    keys = {p: (p + depth + 0.5 if p % every == 0 else float(p)) for p in range(1, count + 1)}
    return tuple(sorted(keys, key=keys.__getitem__))


@dataclass(frozen=True)
class ReplayResult:
    """Counts in packets; shares as fractions of ``sent``."""

    window: int
    sent: int
    expected_dropped: int
    measured_dropped: int

    @property
    def expected_share(self) -> float:
        return self.expected_dropped / self.sent

    @property
    def measured_share(self) -> float:
        return self.measured_dropped / self.sent


def measure_replay(
    forward: Callable[[Sequence[int]], int], arrival: Sequence[int], window: int
) -> ReplayResult:
    """Feed ``arrival`` (sequence numbers in arrival order) through ``forward``.

    ``forward`` sends packets with those sequence numbers, in that order, through a DUT whose
    replay window is ``window`` and returns how many it forwarded.
    """
    forwarded = forward(arrival)
    if not 0 <= forwarded <= len(arrival):
        raise ValueError(f"forward() reported {forwarded} forwarded of {len(arrival)} sent")
    return ReplayResult(
        window=window,
        sent=len(arrival),
        expected_dropped=expected_drops(arrival, window),
        measured_dropped=len(arrival) - forwarded,
    )
