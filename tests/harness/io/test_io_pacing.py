"""Token bucket schedule and the bounded send loop, on fake and monotonic clocks."""
from __future__ import annotations

import time

import pytest

from harness.io import MemoryPort, StopReason
from harness.io.pacing import Rate, paced_send, release_schedule


class FakeClock:
    """A clock that only moves when the code under test sleeps or a send costs time."""

    def __init__(self, send_cost_ns: int = 0) -> None:
        self.now = 0
        self.send_cost_ns = send_cost_ns
        self.sleeps: list[float] = []

    def clock(self) -> int:
        self.now += 50  # every read costs a little, like perf_counter_ns
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += int(seconds * 1e9)

    def batch(self, log: list[tuple[int, int]]):
        def send(frames, start, stop):
            log.append((self.now, stop - start))
            self.now += self.send_cost_ns * (stop - start)
            return stop - start

        return send


@pytest.mark.parametrize("kwargs", [{}, {"pps": 1, "bps": 1}, {"pps": 0}, {"bps": -5}])
def test_rate_needs_exactly_one_positive_unit(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Rate(**kwargs)


def test_pps_schedule_is_evenly_spaced_after_the_burst() -> None:
    times = release_schedule([64] * 10, Rate(pps=1000), burst=3)
    assert times[:3] == [0, 0, 0]
    assert [b - a for a, b in zip(times[2:], times[3:])] == [1_000_000] * 7


def test_bps_schedule_spaces_frames_by_their_length() -> None:
    times = release_schedule([100, 1000, 100], Rate(bps=8e6), burst=1)  # 1 byte per µs
    assert [b - a for a, b in zip(times, times[1:])] == [100_000, 1_000_000]


def test_paced_send_spreads_frames_at_the_rate_on_a_fake_clock() -> None:
    fake = FakeClock()
    log: list[tuple[int, int]] = []
    result = paced_send([b"x" * 64] * 200, fake.batch(log), rate=Rate(pps=1000), burst=1,
                        duration_limit_s=10, clock=fake.clock, sleep=fake.sleep, wall=fake.clock)
    assert result.frames_sent == 200 and result.stop is StopReason.COMPLETE
    starts = [t for t, _ in log]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert min(gaps) >= 1_000_000 - 1000  # never earlier than the rate allows (clock jitter)
    assert starts[-1] - starts[0] >= 199 * 1_000_000 - 1000


def test_duration_limit_stops_a_slow_send() -> None:
    fake = FakeClock()
    log: list[tuple[int, int]] = []
    result = paced_send([b"x"] * 1000, fake.batch(log), rate=Rate(pps=100), burst=1,
                        duration_limit_s=1.0, clock=fake.clock, sleep=fake.sleep, wall=fake.clock)
    assert result.stop is StopReason.DURATION_LIMIT
    assert 95 <= result.frames_sent <= 101
    assert result.frames_sent == sum(n for _, n in log)


def test_unlimited_send_uses_full_bursts() -> None:
    fake = FakeClock()
    log: list[tuple[int, int]] = []
    result = paced_send([b"x"] * 100, fake.batch(log), rate=None, burst=32, duration_limit_s=1.0,
                        clock=fake.clock, sleep=fake.sleep, wall=fake.clock)
    assert [n for _, n in log] == [32, 32, 32, 4]
    assert [i for i, _ in result.bursts] == [0, 32, 64, 96]
    assert fake.sleeps == []


def test_a_port_that_never_takes_frames_stalls_boundedly() -> None:
    fake = FakeClock()
    result = paced_send([b"x"] * 10, lambda f, a, b: 0, rate=None, duration_limit_s=5.0,
                        clock=fake.clock, sleep=fake.sleep, wall=fake.clock)
    assert result.stop is StopReason.STALLED and result.frames_sent == 0


def test_short_sends_are_retried_until_done() -> None:
    fake = FakeClock()
    calls = []

    def one_at_a_time(frames, start, stop):
        calls.append(start)
        return 1

    result = paced_send([b"a", b"bb", b"ccc"], one_at_a_time, rate=None, burst=8, duration_limit_s=1,
                        clock=fake.clock, sleep=fake.sleep, wall=fake.clock)
    assert calls == [0, 1, 2] and result.frames_sent == 3 and result.bytes_sent == 6


def test_1000_pps_for_200_frames_takes_at_least_150_ms_of_monotonic_time() -> None:
    tx, rx = MemoryPort.pair()
    rx.start_capture()
    start = time.monotonic()
    result = tx.send([b"\x00" * 64] * 200, rate_pps=1000, duration_limit_s=10)
    took = time.monotonic() - start
    assert result.frames_sent == 200 and len(rx.stop_capture()) == 200
    assert took >= 0.150  # lower bound only: the rate limit must hold frames back
    assert result.elapsed_ns >= 150_000_000
