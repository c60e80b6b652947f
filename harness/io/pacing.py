"""Rate limiting shared by every port: a token bucket in its GCRA form, and the send loop.

The bucket is pure (time is passed in), so its schedule is tested without clocks. The send
loop is bounded: it returns when every frame went, when ``duration_limit_s`` of monotonic
time ran out, or when the port refused frames more than a bounded number of times in a row.
It sleeps for gaps above ``SLEEP_ABOVE_NS`` and spins (re-reading ``perf_counter_ns``) for
shorter ones, never past the deadline.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

from harness.io.port import SendResult, StopReason

BatchFn = Callable[[Sequence[bytes], int, int], int]
"""send_batch(frames, start, stop) hands frames[start:stop] to the port; returns how many went."""

SLEEP_ABOVE_NS = 200_000
SPIN_MARGIN_NS = 100_000
STALL_RETRIES = 2_000
STALL_SLEEP_S = 50e-6
DEFAULT_BURST = 32


@dataclasses.dataclass(frozen=True)
class Rate:
    """Exactly one of frames per second or L2 bits per second (frame bytes × 8)."""

    pps: float | None = None
    bps: float | None = None

    def __post_init__(self) -> None:
        if (self.pps is None) == (self.bps is None):
            raise ValueError("give exactly one of rate_pps, rate_bps")
        value = self.pps if self.pps is not None else self.bps
        if not value or value <= 0:
            raise ValueError(f"rate must be positive, got {value!r}")

    def cost_ns(self, frame_len: int) -> float:
        """Nanoseconds of the rate one frame of ``frame_len`` bytes uses up."""
        if self.pps is not None:
            return 1e9 / self.pps
        return frame_len * 8e9 / self.bps  # type: ignore[operator]

    @staticmethod
    def from_args(rate_pps: float | None, rate_bps: float | None) -> Rate | None:
        """The Rate for a ``send`` call's keyword arguments; None when both are None."""
        if rate_pps is None and rate_bps is None:
            return None
        return Rate(pps=rate_pps, bps=rate_bps)


class TokenBucket:
    """Token bucket as GCRA: a frame may leave at ``tat - tolerance`` or later.

    ``tat`` (theoretical arrival time) advances by each frame's cost; ``tolerance_ns`` is the
    burst allowance ((burst - 1) frames' worth), so at most ``burst`` frames leave back to back.
    """

    def __init__(self, rate: Rate, tolerance_ns: float, start_ns: int) -> None:
        self._rate = rate
        self._tolerance = tolerance_ns
        self._tat = float(start_ns)

    def earliest_ns(self) -> float:
        """Earliest time the next frame may leave."""
        return self._tat - self._tolerance

    def take(self, now_ns: int, frame_len: int) -> None:
        """Account one frame leaving at ``now_ns`` (not before ``earliest_ns()``)."""
        self._tat = max(self._tat, float(now_ns)) + self._rate.cost_ns(frame_len)


def release_schedule(lengths: Sequence[int], rate: Rate, burst: int, start_ns: int = 0) -> list[int]:
    """Release time (ns) of each frame for a sender that is always ready: the ideal pacing."""
    bucket = TokenBucket(rate, (burst - 1) * rate.cost_ns(lengths[0]) if lengths else 0.0, start_ns)
    times = []
    for length in lengths:
        at = max(start_ns, int(-(-bucket.earliest_ns() // 1)))
        bucket.take(at, length)
        times.append(at)
    return times


def _wait_until(target_ns: float, clock: Callable[[], int], sleep: Callable[[float], None]) -> None:
    while (now := clock()) < target_ns:
        remaining = target_ns - now
        if remaining > SLEEP_ABOVE_NS:
            sleep((remaining - SPIN_MARGIN_NS) / 1e9)


@dataclasses.dataclass
class _Progress:
    sent: int = 0
    stalls: int = 0


def _push(frames: Sequence[bytes], start: int, stop: int, send_batch: BatchFn, progress: _Progress,
          sleep: Callable[[float], None]) -> bool:
    """Send frames[start:stop], retrying short sends; False when the port stalled."""
    i = start
    while i < stop:
        went = send_batch(frames, i, stop)
        i += went
        if went:
            progress.stalls = 0
            continue
        progress.stalls += 1
        if progress.stalls > STALL_RETRIES:
            progress.sent = i
            return False
        sleep(STALL_SLEEP_S)
    progress.sent = stop
    return True


def paced_send(
    frames: Sequence[bytes],
    send_batch: BatchFn,
    *,
    rate: Rate | None,
    burst: int = DEFAULT_BURST,
    duration_limit_s: float,
    clock: Callable[[], int] = time.perf_counter_ns,
    wall: Callable[[], int] = time.time_ns,
    sleep: Callable[[float], None] = time.sleep,
) -> SendResult:
    """Send ``frames`` through ``send_batch`` in bursts, paced by ``rate`` (None: unlimited)."""
    if burst < 1:
        raise ValueError(f"burst={burst}: must be at least 1")
    if duration_limit_s <= 0:
        raise ValueError(f"duration_limit_s={duration_limit_s}: must be positive")
    n = len(frames)
    start = clock()
    deadline = start + int(duration_limit_s * 1e9)
    bucket = None
    if rate is not None and n:
        bucket = TokenBucket(rate, (burst - 1) * rate.cost_ns(len(frames[0])), start)
    progress = _Progress()
    bursts: list[tuple[int, int]] = []
    stop = StopReason.COMPLETE
    while progress.sent < n:
        i = progress.sent
        now = clock()
        if now >= deadline:
            stop = StopReason.DURATION_LIMIT
            break
        if bucket is None:
            j = min(n, i + burst)
        else:
            j = i
            while j < n and j - i < burst and bucket.earliest_ns() <= now:
                bucket.take(now, len(frames[j]))
                j += 1
            if j == i:
                _wait_until(min(bucket.earliest_ns(), deadline), clock, sleep)
                continue
        bursts.append((i, wall()))
        if not _push(frames, i, j, send_batch, progress, sleep):
            stop = StopReason.STALLED
            break
    elapsed = clock() - start
    sent = progress.sent
    return SendResult(
        frames_requested=n,
        frames_sent=sent,
        bytes_sent=sum(map(len, frames[:sent])) if sent else 0,
        first_tx_ns=bursts[0][1] if bursts else None,
        last_tx_ns=bursts[-1][1] if bursts else None,
        elapsed_ns=elapsed,
        stop=stop,
        bursts=tuple(bursts),
    )
